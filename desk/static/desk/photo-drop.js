/*
 * Several photos at once: drag them onto the zone (or choose them with the
 * file input, the keyboard's way), each uploads on its own request with its
 * own progress bar, and each refused file says why next to its name while
 * the others carry on.
 *
 * Used in two places: the photo library's list page (the element
 * [data-photo-drop] names a json_script with its config,
 * desk/templates/admin/articles/photo/change_list.html) and the body
 * editor's "Insert photo" dialog (body-blocks.js imports photoDropZone).
 * Both post to the picker's upload endpoint (desk.editor_endpoints.photo_upload),
 * which runs the admin form's checks (articles.images.validate_upload) and
 * answers a refusal with a 4xx JSON error naming the reason.
 */

const ACCEPT = "image/jpeg,image/png,image/webp,image/gif"
// Two at a time: each file gets its own progress, and the web process is not flooded.
const PARALLEL = 2

let uid = 0
const format = (text, values) =>
  String(text || "").replace(/%\((\w+)\)s/g, (_m, key) => values[key] ?? "")

const csrfToken = () =>
  document.querySelector("input[name=csrfmiddlewaretoken]")?.value ||
  document.cookie.match(/(?:^|; )csrftoken=([^;]+)/)?.[1] ||
  ""

function el(tag, props = {}, children = []) {
  const node = document.createElement(tag)
  for (const [key, value] of Object.entries(props)) {
    if (key.startsWith("aria-") || key.startsWith("data-")) node.setAttribute(key, value)
    else node[key] = value
  }
  node.append(...children)
  return node
}

/** POST one file; resolves with {ok, status, data}. XMLHttpRequest, for upload progress. */
export function uploadPhoto(url, file, { fields = {}, onProgress = () => {} } = {}) {
  return new Promise((resolve) => {
    const body = new FormData()
    body.append("image", file)
    for (const [name, value] of Object.entries(fields)) body.append(name, value || "")
    const xhr = new XMLHttpRequest()
    xhr.open("POST", url)
    xhr.setRequestHeader("X-CSRFToken", csrfToken())
    xhr.setRequestHeader("Accept", "application/json")
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total)
    })
    xhr.addEventListener("load", () => {
      let data = {}
      try {
        data = JSON.parse(xhr.responseText || "{}")
      } catch {
        data = {}
      }
      resolve({ ok: xhr.status >= 200 && xhr.status < 300, status: xhr.status, data })
    })
    xhr.addEventListener("error", () => resolve({ ok: false, status: 0, data: {} }))
    xhr.addEventListener("abort", () => resolve({ ok: false, status: 0, data: {} }))
    xhr.send(body)
  })
}

/**
 * Build a drop zone inside `container`.
 * options: uploadUrl, labels, changeUrl ("…/__id__/change/", optional: a link
 * to each new photo), fields() (caption, credit, alt_text sent with each
 * file), onUploaded(photo) after each accepted file.
 */
export function photoDropZone(container, options) {
  const labels = options.labels || {}
  const inputId = `nr-drop-input-${++uid}`
  const input = el("input", {
    type: "file",
    id: inputId,
    multiple: true,
    accept: ACCEPT,
    className: "nr-drop-input",
    "data-drop-input": "",
  })
  const zone = el("div", { className: "nr-drop-zone", "data-drop-zone": "" }, [
    el("p", { className: "nr-drop-hint", textContent: labels.drop }),
    el("label", { htmlFor: inputId, className: "nr-drop-choose", textContent: labels.choose }),
    input,
  ])
  const list = el("ul", { className: "nr-drop-files", "aria-label": labels.files || "" })
  const summary = el("p", { className: "nr-drop-summary", role: "status" })
  container.append(zone, list, summary)

  const queue = []
  let running = 0
  let done = 0
  let refused = 0

  const summarise = () => {
    if (!running && !queue.length && (done || refused)) {
      summary.textContent = format(labels.summary, { done, refused })
    }
  }

  const next = () => {
    while (running < PARALLEL && queue.length) {
      const job = queue.shift()
      running += 1
      send(job).finally(() => {
        running -= 1
        summarise()
        next()
      })
    }
  }

  async function send({ file, row, bar, message }) {
    row.dataset.state = "uploading"
    message.textContent = labels.uploading
    const fields = options.fields ? options.fields() : {}
    const result = await uploadPhoto(options.uploadUrl, file, {
      fields,
      onProgress: (share) => {
        bar.value = Math.round(share * 100)
      },
    })
    if (result.ok) {
      done += 1
      bar.value = 100
      row.dataset.state = "done"
      row.dataset.photoId = result.data.id
      message.textContent = format(labels.done, { id: result.data.id })
      if (options.changeUrl) {
        message.append(
          " ",
          el("a", {
            href: options.changeUrl.replace("__id__", result.data.id),
            textContent: labels.edit,
          }),
        )
      }
      options.onUploaded?.(result.data)
    } else {
      refused += 1
      row.dataset.state = "refused"
      bar.hidden = true
      const reason =
        result.data?.error?.message || (result.status ? `HTTP ${result.status}` : labels.network)
      message.textContent = format(labels.refused, { reason })
    }
  }

  const add = (files) => {
    summary.textContent = ""
    for (const file of files) {
      const barId = `nr-drop-bar-${++uid}`
      const name = el("label", { htmlFor: barId, className: "nr-drop-name", textContent: file.name })
      const bar = el("progress", { id: barId, max: 100, value: 0 })
      const message = el("span", { className: "nr-drop-message", "aria-live": "polite" })
      message.textContent = labels.waiting
      const row = el("li", { className: "nr-drop-file", "data-state": "waiting" }, [
        name,
        bar,
        message,
      ])
      row.dataset.fileName = file.name
      list.append(row)
      queue.push({ file, row, bar, message })
    }
    next()
  }

  input.addEventListener("change", () => {
    add([...input.files])
    input.value = ""
  })
  // A drop anywhere on the zone; dragover must be cancelled for drop to fire.
  for (const type of ["dragenter", "dragover"]) {
    zone.addEventListener(type, (event) => {
      event.preventDefault()
      if (event.dataTransfer) event.dataTransfer.dropEffect = "copy"
      zone.classList.add("nr-drop-active")
    })
  }
  zone.addEventListener("dragleave", (event) => {
    if (!zone.contains(event.relatedTarget)) zone.classList.remove("nr-drop-active")
  })
  zone.addEventListener("drop", (event) => {
    event.preventDefault()
    zone.classList.remove("nr-drop-active")
    const files = [...(event.dataTransfer?.files || [])]
    if (files.length) add(files)
  })
  return { add, input, zone, list }
}

// A file dropped beside a zone would make the browser open it in place of the
// page (and lose the form): files dropped anywhere else are ignored.
const carriesFiles = (event) => [...(event.dataTransfer?.types || [])].includes("Files")
for (const type of ["dragover", "drop"]) {
  window.addEventListener(type, (event) => {
    if (carriesFiles(event) && !event.defaultPrevented) event.preventDefault()
  })
}

// The library page: every [data-photo-drop] with its config in a json_script.
for (const container of document.querySelectorAll("[data-photo-drop]")) {
  const config = JSON.parse(document.getElementById(container.dataset.photoDrop).textContent)
  photoDropZone(container, config)
}
