/*
 * Autosave for the article change form (articles/autosave.py, desk/autosave_admin.py).
 *
 * Every 30 seconds, and when the page is hidden or left, the form's fields are
 * posted to the autosave endpoint as JSON with the version the form was opened
 * at, if they changed since the page loaded or since the last autosave. The
 * server keeps them as this editor's draft revision without touching the
 * article, and refuses (409) once the article was saved by anyone since: then
 * autosave stops and says so. Saving the form stops it too (the save itself
 * replaces the draft). While the page offers an earlier autosave, nothing is
 * autosaved over it.
 *
 * window.newsroomAutosave.save() autosaves now (returns a promise of true
 * when something was kept).
 */
;(() => {
  const status = document.querySelector("[data-autosave-status]")
  const form = document.getElementById("article_form")
  if (!status || !form) return

  const url = status.dataset.autosaveUrl
  const version = Number(status.dataset.autosaveVersion)
  const interval = Number(status.dataset.autosaveInterval || 30) * 1000
  const paused = status.dataset.autosavePaused === "1"
  let stopped = false
  let submitting = false
  let lastSent = null

  const say = (text, kind = "info") => {
    status.textContent = text || ""
    status.dataset.state = kind
  }
  if (paused) say(status.dataset.labelPaused, "paused")

  const csrfToken = () => form.querySelector("[name=csrfmiddlewaretoken]")?.value || ""

  const snapshot = () => {
    const fields = {}
    for (const [name, value] of new FormData(form)) {
      if (name === "csrfmiddlewaretoken" || typeof value !== "string") continue
      if (!fields[name]) fields[name] = []
      fields[name].push(value)
    }
    return JSON.stringify({ based_on_version: version, fields })
  }
  // The form as it loaded: nothing to keep until the editor changes something.
  let baseline = snapshot()
  // The prose editor rewrites its textarea once it starts: take that as the start.
  document.addEventListener("prose-editor:ready", () => {
    if (lastSent === null) baseline = snapshot()
  })

  async function save({ leaving = false } = {}) {
    if (paused || stopped || submitting) return false
    const body = snapshot()
    if (body === baseline || body === lastSent) return false
    if (!leaving) say(status.dataset.labelSaving, "saving")
    try {
      const response = await fetch(url, {
        method: "POST",
        body,
        keepalive: leaving,
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          "X-CSRFToken": csrfToken(),
        },
      })
      const data = await response.json().catch(() => ({}))
      if (response.ok) {
        lastSent = body
        say(data.message, "saved")
        return true
      }
      if (response.status === 409 || response.status === 403) stopped = true
      say(data.error?.message || status.dataset.labelFailed, "error")
    } catch (_error) {
      if (!leaving) say(status.dataset.labelFailed, "error")
    }
    return false
  }

  form.addEventListener("submit", () => {
    submitting = true
  })
  setInterval(save, interval)
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") save({ leaving: true })
  })
  window.addEventListener("pagehide", () => save({ leaving: true }))
  window.newsroomAutosave = { save: () => save() }
})()
