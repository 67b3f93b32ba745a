/*
 * Newsroom's body blocks for django-prose-editor (Tiptap): an inline photo
 * from the library and a "Read also" link to another article.
 *
 * Loaded by the prose editor when a field's config names "NewsPhoto" or
 * "ReadAlso" (settings.DJANGO_PROSE_EDITOR_EXTENSIONS, desk/forms.py). Each
 * node writes exactly the markup the server keeps (articles/body_blocks.py):
 *
 *   <figure data-photo-id="12" [data-caption="…"] [data-credit="…"]></figure>
 *   <aside data-read-also="34"></aside>
 *
 * Everything else a node shows (thumbnail, the library's caption and credit,
 * the article's headline) comes from display-only data-* attributes the
 * server adds for the editor (desk/editor_blocks.py) or from the pickers'
 * endpoints (desk/editor_endpoints.py), and is never written back. The
 * server sanitizes the body again on save whatever this file does.
 */
import { crel, Node } from "django-prose-editor/editor"
import { photoDropZone } from "./photo-drop.js"

let uid = 0
const nextId = (prefix) => `${prefix}-${++uid}`
const format = (text, values) =>
  String(text || "").replace(/%\((\w+)\)s/g, (_m, key) => values[key] ?? "")

const csrfToken = () =>
  document.querySelector("input[name=csrfmiddlewaretoken]")?.value ||
  document.cookie.match(/(?:^|; )csrftoken=([^;]+)/)?.[1] ||
  ""

const currentArticleId = () => window.location.pathname.match(/\/article\/(\d+)\/change\//)?.[1]

async function getJSON(url) {
  const response = await fetch(url, {
    credentials: "same-origin",
    headers: { Accept: "application/json" },
  })
  const data = await response.json().catch(() => ({}))
  if (!response.ok) throw new Error(data.error?.message || response.statusText)
  return data
}

// --- An accessible modal dialog -------------------------------------------------
// Labelled by its heading, focus kept inside (Tab and Shift+Tab wrap), Esc
// closes it, and focus goes back to the editor when it closes.

const FOCUSABLE =
  "a[href], button:not([disabled]), input:not([disabled]), select:not([disabled])," +
  " textarea:not([disabled]), [tabindex]:not([tabindex='-1'])"

function openDialog({ title, className, editor, build }) {
  const titleId = nextId("nr-dialog-title")
  const dialog = crel("dialog", {
    className: `nr-dialog ${className}`,
    "aria-labelledby": titleId,
    "aria-modal": "true",
  })
  dialog.append(crel("h2", { id: titleId, textContent: title }))
  const close = () => {
    if (dialog.open) dialog.close()
  }
  build(dialog, close)

  const focusables = () =>
    [...dialog.querySelectorAll(FOCUSABLE)].filter(
      (el) => !el.hidden && !el.closest("[hidden]") && el.getClientRects().length,
    )
  dialog.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault()
      close()
      return
    }
    if (event.key !== "Tab") return
    const items = focusables()
    if (!items.length) return
    const first = items[0]
    const last = items[items.length - 1]
    const inside = dialog.contains(document.activeElement)
    if (event.shiftKey && (document.activeElement === first || !inside)) {
      event.preventDefault()
      last.focus()
    } else if (!event.shiftKey && (document.activeElement === last || !inside)) {
      event.preventDefault()
      first.focus()
    }
  })
  dialog.addEventListener("close", () => {
    dialog.remove()
    editor.commands.focus()
  })
  document.body.append(dialog)
  dialog.showModal()
  return dialog
}

function searchField(labels, className) {
  const id = nextId("nr-search")
  const input = crel("input", { type: "search", id, className, autocomplete: "off" })
  const label = crel("label", { htmlFor: id, textContent: labels.search })
  const status = crel("p", { className: "nr-dialog-status", role: "status" })
  return { input, label, status }
}

function debounce(fn, ms) {
  let timer = null
  return (...args) => {
    clearTimeout(timer)
    timer = setTimeout(() => fn(...args), ms)
  }
}

// Arrow keys move between the search box and the results; Enter picks.
function arrowNavigation(input, list) {
  const buttons = () => [...list.querySelectorAll("button")]
  input.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" && buttons().length) {
      event.preventDefault()
      buttons()[0].focus()
    }
  })
  list.addEventListener("keydown", (event) => {
    const all = buttons()
    const index = all.indexOf(document.activeElement)
    if (index < 0) return
    if (event.key === "ArrowDown" || event.key === "ArrowRight") {
      event.preventDefault()
      all[Math.min(index + 1, all.length - 1)].focus()
    } else if (event.key === "ArrowUp" || event.key === "ArrowLeft") {
      event.preventDefault()
      ;(index === 0 ? input : all[index - 1]).focus()
    }
  })
}

// Insert a block where the cursor is; when a block is selected (the one just
// inserted, say), after it rather than in its place.
function insertBlock(editor, content) {
  const { selection } = editor.state
  const chain = editor.chain().focus()
  if (selection.node) chain.insertContentAt(selection.to, content)
  else chain.insertContent(content)
  chain.run()
}

// --- The photo picker ---------------------------------------------------------

function photoAttrs(photo) {
  return {
    photoId: String(photo.id),
    thumb: photo.thumb || "",
    libraryCaption: photo.caption || "",
    libraryCredit: photo.credit || "",
    alt: photo.alt || "",
  }
}

function openPhotoPicker(editor, options) {
  const labels = options.labels || {}
  const insert = (photo) => insertBlock(editor, { type: "newsPhoto", attrs: photoAttrs(photo) })
  openDialog({
    title: labels.dialogTitle,
    className: "nr-photo-picker",
    editor,
    build(dialog, close) {
      const { input, label, status } = searchField(labels, "nr-photo-search")
      const list = crel("ul", { className: "nr-photo-results", "aria-label": labels.search })
      arrowNavigation(input, list)

      const choice = (photo) => {
        const text = [photo.caption || `#${photo.id}`, photo.credit].filter(Boolean).join(" — ")
        const button = crel("button", {
          type: "button",
          className: "nr-photo-choice",
          "aria-label": text,
        })
        button.dataset.photoId = photo.id
        if (photo.thumb) {
          button.append(crel("img", { src: photo.thumb, alt: "", loading: "lazy" }))
        }
        button.append(
          crel("span", { className: "nr-photo-choice-caption", textContent: photo.caption }),
          crel("small", { textContent: photo.credit ? `${photo.credit} · #${photo.id}` : `#${photo.id}` }),
        )
        button.addEventListener("click", () => {
          close()
          insert(photo)
        })
        return crel("li", {}, [button])
      }
      const show = (results) => {
        list.textContent = ""
        status.textContent = results.length ? "" : labels.noResults
        for (const photo of results) list.append(choice(photo))
      }
      const search = async () => {
        status.textContent = labels.searching
        try {
          const url = `${options.searchUrl}?q=${encodeURIComponent(input.value)}`
          show((await getJSON(url)).results || [])
        } catch (error) {
          status.textContent = error.message
        }
      }
      input.addEventListener("input", debounce(search, 250))
      input.addEventListener("keydown", (event) => {
        if (event.key === "Enter") event.preventDefault()
      })

      // Upload in place: the new photo joins the library and goes into the body.
      const field = (name, text, attrs = {}) => {
        const id = nextId(`nr-upload-${name}`)
        const control = crel("input", { id, name, type: "text", ...attrs })
        return {
          control,
          row: crel("div", { className: "nr-upload-row" }, [
            crel("label", { htmlFor: id, textContent: text }),
            control,
          ]),
        }
      }
      const file = field("image", labels.file, { type: "file", accept: "image/jpeg,image/png,image/webp,image/gif" })
      const caption = field("caption", labels.caption)
      const credit = field("credit", labels.credit)
      const alt = field("alt_text", labels.alt)
      const uploadStatus = crel("p", { className: "nr-dialog-status", role: "status" })
      const uploadButton = crel("button", {
        type: "button",
        className: "button nr-upload",
        textContent: labels.uploadButton,
      })
      uploadButton.addEventListener("click", async () => {
        const chosen = file.control.files?.[0]
        if (!chosen) {
          uploadStatus.textContent = labels.file
          file.control.focus()
          return
        }
        const body = new FormData()
        body.append("image", chosen)
        body.append("caption", caption.control.value)
        body.append("credit", credit.control.value)
        body.append("alt_text", alt.control.value)
        uploadButton.disabled = true
        uploadStatus.textContent = labels.uploading
        try {
          const response = await fetch(options.uploadUrl, {
            method: "POST",
            body,
            credentials: "same-origin",
            headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
          })
          const data = await response.json().catch(() => ({}))
          if (!response.ok) throw new Error(data.error?.message || response.statusText)
          close()
          insert(data)
        } catch (error) {
          uploadStatus.textContent = error.message
          uploadButton.disabled = false
        }
      })
      const upload = crel("fieldset", { className: "nr-upload-box" }, [
        crel("legend", { textContent: labels.upload }),
        file.row,
        caption.row,
        credit.row,
        alt.row,
        uploadButton,
        uploadStatus,
      ])
      // Several at once: each dropped photo joins the library and the list above,
      // with the caption, credit and alt text typed here; pick one to insert it.
      const drop = crel("div", { className: "nr-picker-drop" })
      photoDropZone(drop, {
        uploadUrl: options.uploadUrl,
        labels: options.dropLabels || {},
        fields: () => ({
          caption: caption.control.value,
          credit: credit.control.value,
          alt_text: alt.control.value,
        }),
        onUploaded: (photo) => {
          status.textContent = ""
          list.prepend(choice(photo))
        },
      })
      upload.append(drop)
      const cancel = crel("button", { type: "button", className: "button", textContent: labels.cancel })
      cancel.addEventListener("click", close)

      // The upload box (and its drop zone) before the results: the library's
      // list is long, and a zone at its foot would be out of sight.
      dialog.append(
        crel("div", { className: "nr-search-row" }, [label, input]),
        upload,
        status,
        list,
        crel("div", { className: "nr-dialog-buttons" }, [cancel]),
      )
      search()
      setTimeout(() => input.focus(), 0)
    },
  })
}

// --- The "Read also" picker ---------------------------------------------------

function openArticlePicker(editor, options) {
  const labels = options.labels || {}
  openDialog({
    title: labels.dialogTitle,
    className: "nr-article-picker",
    editor,
    build(dialog, close) {
      const { input, label, status } = searchField(labels, "nr-article-search")
      const list = crel("ul", { className: "nr-article-results", "aria-label": labels.search })
      arrowNavigation(input, list)
      const search = async () => {
        const query = input.value.trim()
        list.textContent = ""
        if (query.length < 2) {
          status.textContent = ""
          return
        }
        status.textContent = labels.searching
        const exclude = currentArticleId()
        const url =
          `${options.searchUrl}?q=${encodeURIComponent(query)}` +
          (exclude ? `&exclude=${exclude}` : "")
        try {
          const results = (await getJSON(url)).results || []
          status.textContent = results.length ? "" : labels.noResults
          for (const article of results) {
            const button = crel("button", { type: "button", className: "nr-article-choice" }, [
              crel("span", { textContent: article.headline }),
              crel("small", { textContent: article.published }),
            ])
            button.dataset.articleId = article.id
            button.addEventListener("click", () => {
              close()
              insertBlock(editor, {
                type: "readAlso",
                attrs: { articleId: String(article.id), title: article.headline },
              })
            })
            list.append(crel("li", {}, [button]))
          }
        } catch (error) {
          status.textContent = error.message
        }
      }
      input.addEventListener("input", debounce(search, 250))
      input.addEventListener("keydown", (event) => {
        if (event.key === "Enter") event.preventDefault()
      })
      const cancel = crel("button", { type: "button", className: "button", textContent: labels.cancel })
      cancel.addEventListener("click", close)
      dialog.append(
        crel("div", { className: "nr-search-row" }, [label, input]),
        status,
        list,
        crel("div", { className: "nr-dialog-buttons" }, [cancel]),
      )
      setTimeout(() => input.focus(), 0)
    },
  })
}

// --- Node views ---------------------------------------------------------------

// Events inside a node's own controls belong to them, not to ProseMirror.
const ownControl = (dom, event) =>
  event.target instanceof Element &&
  dom.contains(event.target) &&
  event.target.closest("input, textarea, button") !== null

function removeButton(label, editor, getPos, nodeSize) {
  const button = crel("button", { type: "button", className: "nr-block-remove", textContent: "×" })
  button.setAttribute("aria-label", label)
  button.title = label
  button.addEventListener("click", () => {
    const pos = getPos()
    if (typeof pos !== "number") return
    editor.chain().focus().deleteRange({ from: pos, to: pos + nodeSize() }).run()
  })
  return button
}

const displayOnly = (dataName) => ({
  default: "",
  rendered: false,
  parseHTML: (element) => element.getAttribute(dataName) || "",
})

export const NewsPhoto = Node.create({
  name: "newsPhoto",
  group: "block",
  atom: true,
  selectable: true,
  draggable: false,

  addOptions() {
    return { searchUrl: "", uploadUrl: "", labels: {}, dropLabels: {} }
  },

  addAttributes() {
    return {
      photoId: {
        default: null,
        parseHTML: (element) => element.getAttribute("data-photo-id"),
        renderHTML: (attributes) => ({ "data-photo-id": attributes.photoId }),
      },
      // This use's caption and credit; null follows the library's.
      caption: {
        default: null,
        parseHTML: (element) => element.getAttribute("data-caption"),
        renderHTML: (attributes) => (attributes.caption ? { "data-caption": attributes.caption } : {}),
      },
      credit: {
        default: null,
        parseHTML: (element) => element.getAttribute("data-credit"),
        renderHTML: (attributes) => (attributes.credit ? { "data-credit": attributes.credit } : {}),
      },
      thumb: displayOnly("data-thumb"),
      libraryCaption: displayOnly("data-library-caption"),
      libraryCredit: displayOnly("data-library-credit"),
      alt: displayOnly("data-alt"),
      missing: displayOnly("data-missing"),
    }
  },

  parseHTML() {
    return [{ tag: "figure[data-photo-id]", priority: 60 }]
  },

  renderHTML({ HTMLAttributes }) {
    return ["figure", HTMLAttributes]
  },

  addNodeView() {
    const labels = this.options.labels || {}
    return ({ node, getPos, editor }) => {
      let current = node
      const dom = crel("figure", { className: "nr-photo-node" })
      const img = crel("img", { alt: "", className: "nr-photo-thumb" })
      const captionId = nextId("nr-caption")
      const creditId = nextId("nr-credit")
      const caption = crel("textarea", { id: captionId, rows: 2, className: "nr-photo-caption" })
      const credit = crel("input", { id: creditId, type: "text", className: "nr-photo-credit" })
      const hint = crel("p", { className: "nr-photo-hint" })
      const fields = crel("div", { className: "nr-photo-fields" }, [
        crel("label", { htmlFor: captionId, textContent: labels.captionHere }),
        caption,
        crel("label", { htmlFor: creditId, textContent: labels.creditHere }),
        credit,
        hint,
      ])
      dom.append(img, fields, removeButton(labels.remove, editor, getPos, () => current.nodeSize))

      const render = () => {
        const attrs = current.attrs
        dom.dataset.photoId = attrs.photoId
        img.hidden = !attrs.thumb
        if (attrs.thumb && img.getAttribute("src") !== attrs.thumb) img.src = attrs.thumb
        if (document.activeElement !== caption) caption.value = attrs.caption ?? attrs.libraryCaption
        if (document.activeElement !== credit) credit.value = attrs.credit ?? attrs.libraryCredit
        caption.placeholder = attrs.libraryCaption
        credit.placeholder = attrs.libraryCredit
        hint.textContent = format(attrs.missing ? labels.missing : labels.libraryHint, {
          id: attrs.photoId,
        })
        dom.classList.toggle("nr-missing", !!attrs.missing)
      }
      // Typed text different from the library's is this use's override; the
      // library's own text (or nothing) means "follow the library".
      const commit = (name, control, library) => {
        const text = control.value.replace(/\s+/g, " ").trim()
        const value = text && text !== (library || "") ? text : null
        if (value === current.attrs[name]) return
        const pos = getPos()
        if (typeof pos !== "number") return
        editor.view.dispatch(
          editor.state.tr.setNodeMarkup(pos, undefined, { ...current.attrs, [name]: value }),
        )
      }
      caption.addEventListener("input", () => commit("caption", caption, current.attrs.libraryCaption))
      credit.addEventListener("input", () => commit("credit", credit, current.attrs.libraryCredit))
      for (const control of [caption, credit]) {
        // Enter would submit the article form; a caption is one line.
        control.addEventListener("keydown", (event) => {
          if (event.key === "Enter") event.preventDefault()
        })
        control.addEventListener("blur", render)
      }
      render()
      return {
        dom,
        update(updated) {
          if (updated.type !== current.type) return false
          current = updated
          render()
          return true
        },
        stopEvent: (event) => ownControl(dom, event),
        ignoreMutation: () => true,
      }
    }
  },

  addCommands() {
    return {
      insertNewsPhoto:
        () =>
        ({ editor }) => {
          openPhotoPicker(editor, this.options)
          return true
        },
    }
  },

  addMenuItems({ buttons, menu }) {
    const labels = this.options.labels || {}
    const button = buttons.text(labels.button, labels.buttonTitle)
    button.classList.add("nr-menu-photo")
    menu.defineItem({
      name: "newsPhoto",
      groups: "nodes",
      button,
      command: (editor) => openPhotoPicker(editor, this.options),
    })
  },
})

export const ReadAlso = Node.create({
  name: "readAlso",
  group: "block",
  atom: true,
  selectable: true,
  draggable: false,

  addOptions() {
    return { searchUrl: "", labels: {} }
  },

  addAttributes() {
    return {
      articleId: {
        default: null,
        parseHTML: (element) => element.getAttribute("data-read-also"),
        renderHTML: (attributes) => ({ "data-read-also": attributes.articleId }),
      },
      title: displayOnly("data-title"),
      missing: displayOnly("data-missing"),
    }
  },

  parseHTML() {
    return [{ tag: "aside[data-read-also]", priority: 60 }]
  },

  renderHTML({ HTMLAttributes }) {
    return ["aside", HTMLAttributes]
  },

  addNodeView() {
    const labels = this.options.labels || {}
    return ({ node, getPos, editor }) => {
      let current = node
      const title = crel("span", { className: "nr-read-also-title" })
      const dom = crel("aside", { className: "nr-read-also-node" }, [
        crel("span", { className: "nr-read-also-label", textContent: labels.prefix }),
        " ",
        title,
        removeButton(labels.remove, editor, getPos, () => current.nodeSize),
      ])
      const render = () => {
        const { articleId, missing } = current.attrs
        dom.dataset.readAlso = articleId
        title.textContent = missing
          ? format(labels.missing, { id: articleId })
          : current.attrs.title || `#${articleId}`
        dom.classList.toggle("nr-missing", !!missing)
      }
      render()
      return {
        dom,
        update(updated) {
          if (updated.type !== current.type) return false
          current = updated
          render()
          return true
        },
        stopEvent: (event) => ownControl(dom, event),
        ignoreMutation: () => true,
      }
    }
  },

  addMenuItems({ buttons, menu }) {
    const labels = this.options.labels || {}
    const button = buttons.text(labels.button, labels.buttonTitle)
    button.classList.add("nr-menu-read-also")
    menu.defineItem({
      name: "readAlso",
      groups: "nodes",
      button,
      command: (editor) => openArticlePicker(editor, this.options),
    })
  },
})
