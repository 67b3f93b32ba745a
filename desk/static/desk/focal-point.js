/*
 * The photo's focal point (photo change page, desk/admin.py PhotoAdmin.preview).
 *
 * Click the picture, or focus it and use the arrow keys (Shift: ten times
 * further): the point moves, the focal_x / focal_y fields follow, and each
 * rendition shape (16:9, square) is previewed as the worker will cut it.
 * Saving the form stores the point and re-makes the renditions
 * (articles.services.photo_save, the existing pipeline).
 */

// Python's round(): halves go to the even neighbour (Math.round sends them up,
// which put the preview a pixel off the worker's crop).
function roundHalfEven(value) {
  const floor = Math.floor(value)
  const rest = value - floor
  if (rest > 0.5) return floor + 1
  if (rest < 0.5) return floor
  return floor % 2 === 0 ? floor : floor + 1
}

/**
 * The same arithmetic as articles.images.crop_box: the largest box of the
 * aspect inside the picture, as centred on the focal point as it fits.
 * Change both together.
 */
export function cropBox(width, height, fx, fy, [aw, ah]) {
  let cropW
  let cropH
  if (width * ah > height * aw) {
    cropW = roundHalfEven((height * aw) / ah)
    cropH = height
  } else {
    cropW = width
    cropH = roundHalfEven((width * ah) / aw)
  }
  const left = Math.min(Math.max(roundHalfEven(fx * width - cropW / 2), 0), width - cropW)
  const top = Math.min(Math.max(roundHalfEven(fy * height - cropH / 2), 0), height - cropH)
  return { left, top, width: cropW, height: cropH }
}

/**
 * CSS object-position for an object-fit: cover image that shows exactly that box:
 * a percentage p puts the picture's offset at p × (picture − box).
 */
export function objectPosition(width, height, box) {
  const share = (offset, spare) => (spare > 0 ? (offset / spare) * 100 : 50)
  const x = share(box.left, width - box.width)
  const y = share(box.top, height - box.height)
  return `${x.toFixed(2)}% ${y.toFixed(2)}%`
}

const clamp = (value) => Math.min(1, Math.max(0, value))
const round3 = (value) => Math.round(value * 1000) / 1000

function attach(root) {
  const fx = document.getElementById("id_focal_x")
  const fy = document.getElementById("id_focal_y")
  const picture = root.querySelector("[data-focal-picture]")
  const image = picture?.querySelector("img")
  const marker = root.querySelector(".nr-focal-marker")
  const now = root.querySelector("[data-focal-now]")
  if (!fx || !fy || !picture || !image) return
  const crops = [...root.querySelectorAll("[data-crop]")].map((crop) => {
    const aspect = crop.dataset.crop.split(":").map(Number)
    crop.style.aspectRatio = `${aspect[0]} / ${aspect[1]}`
    return { crop, aspect, img: crop.querySelector("img") }
  })
  // The stored picture's size (upright, as the worker reads it); the loaded image's as a fallback.
  const size = () => ({
    width: Number(root.dataset.width) || image.naturalWidth,
    height: Number(root.dataset.height) || image.naturalHeight,
  })
  const read = (field) => {
    const value = Number.parseFloat(field.value)
    return Number.isFinite(value) ? clamp(value) : 0.5
  }

  const render = () => {
    const x = read(fx)
    const y = read(fy)
    marker.style.left = `${x * 100}%`
    marker.style.top = `${y * 100}%`
    const { width, height } = size()
    for (const { crop, aspect, img } of crops) {
      if (!width || !height) continue
      const box = cropBox(width, height, x, y, aspect)
      img.style.objectPosition = objectPosition(width, height, box)
      crop.dataset.box = `${box.left},${box.top},${box.width},${box.height}`
    }
    const text = now.dataset.template
      .replace("%(x)s", `${Math.round(x * 100)} %`)
      .replace("%(y)s", `${Math.round(y * 100)} %`)
    now.textContent = text
    picture.setAttribute("aria-label", text)
    root.dataset.focal = `${x},${y}`
  }

  const set = (x, y) => {
    fx.value = round3(clamp(x)).toFixed(3)
    fy.value = round3(clamp(y)).toFixed(3)
    render()
  }

  picture.addEventListener("click", (event) => {
    const box = image.getBoundingClientRect()
    if (event.detail === 0 || !box.width || !box.height) return // a keyboard "click"
    set((event.clientX - box.left) / box.width, (event.clientY - box.top) / box.height)
  })
  picture.addEventListener("keydown", (event) => {
    const step = event.shiftKey ? 0.1 : 0.01
    const moves = {
      ArrowLeft: [-step, 0],
      ArrowRight: [step, 0],
      ArrowUp: [0, -step],
      ArrowDown: [0, step],
    }
    const move = moves[event.key]
    if (!move) return
    event.preventDefault()
    set(read(fx) + move[0], read(fy) + move[1])
  })
  for (const field of [fx, fy]) field.addEventListener("input", render)
  if (image.complete) render()
  else image.addEventListener("load", render)
  render()
}

// (No document when tests/desk/test_focal_point.py runs cropBox under Node.)
if (typeof document !== "undefined") {
  for (const root of document.querySelectorAll("[data-focal]")) attach(root)
}
