// Accessible names for admin controls that Django's widgets leave unnamed, for every
// admin page (templates/admin/base_site.html): the body editor, select2 autocompletes,
// the date and time halves of a date-time field, and the inputs of a tabular inline.
// Names come from the labels and column headers already on the page (so they are in
// the page's language). Widgets that redraw themselves (select2) are fixed again on
// every change; the body editor's greyed-out toolbar buttons are marked aria-disabled.
(function () {
  "use strict";

  function text(el) {
    return el ? el.textContent.replace(/\s+/g, " ").replace(/[:*]\s*$/, "").trim() : "";
  }

  function labelFor(control) {
    if (!control || !control.id) return "";
    const label = document.querySelector('label[for="' + control.id + '"]');
    if (label) return text(label);
    // A tabular inline: the header of the control's column.
    const cell = control.closest("td");
    const table = control.closest("table");
    if (cell && table) {
      const th = table.querySelectorAll("thead th")[cell.cellIndex];
      if (th) return text(th);
    }
    // A row whose label points at another part of the field (split date-time).
    const row = control.closest(".form-row, .fieldBox");
    return row ? text(row.querySelector("label")) : "";
  }

  function name(el, value) {
    if (value && !el.getAttribute("aria-label")) el.setAttribute("aria-label", value);
  }

  function fix() {
    // The prose editor's toolbar greys out what cannot be used now (undo with
    // nothing to undo) with a class: say so to assistive technology too.
    document.querySelectorAll(".prose-menubar__button").forEach(function (button) {
      const off = button.classList.contains("disabled") && !button.classList.contains("active");
      if (off && button.getAttribute("aria-disabled") !== "true") button.setAttribute("aria-disabled", "true");
      if (!off && button.hasAttribute("aria-disabled")) button.removeAttribute("aria-disabled");
    });
    // The prose editor: its contenteditable is named after the field's label.
    document.querySelectorAll(".ProseMirror[contenteditable]").forEach(function (editor) {
      const textarea = editor.closest(".prose-editor, .form-row, .fieldBox");
      const source = textarea && textarea.querySelector("textarea");
      name(editor, labelFor(source));
    });
    // select2 (admin autocomplete): the combobox, its rendered value and search field.
    document.querySelectorAll("select.admin-autocomplete").forEach(function (select) {
      const container = select.nextElementSibling;
      if (!container || !container.classList.contains("select2")) return;
      const label = labelFor(select);
      container
        .querySelectorAll(".select2-selection, .select2-selection__rendered[role], .select2-search__field")
        .forEach(function (el) { name(el, label); });
      // Its clear button sits in the list of choices; a list holds only items.
      container.querySelectorAll("ul.select2-selection__rendered > .select2-selection__clear").forEach(function (clear) {
        clear.parentNode.parentNode.insertBefore(clear, clear.parentNode);
      });
    });
    // The open dropdown's search field names the field being searched.
    const open = findOpenSelect();
    if (open) {
      document.querySelectorAll(".select2-dropdown .select2-search__field").forEach(function (el) {
        name(el, labelFor(open));
      });
    }
    // Split date-time fields: "Publish at (Date)", "Publish at (Time)".
    document.querySelectorAll("p.datetime input").forEach(function (input) {
      let part = input.previousSibling;
      while (part && part.nodeType === Node.ELEMENT_NODE && part.tagName === "BR") part = part.previousSibling;
      const partName = part && part.nodeType === Node.TEXT_NODE ? text(part) : "";
      const field = labelFor(input);
      name(input, partName ? field + " (" + partName + ")" : field);
    });
    // Other inputs of tabular inlines, named after their column.
    document.querySelectorAll(".tabular td input:not([type=hidden]), .tabular td select, .tabular td textarea").forEach(function (control) {
      if (!document.querySelector('label[for="' + control.id + '"]')) name(control, labelFor(control));
    });
  }

  function findOpenSelect() {
    const open = document.querySelector(".select2-container--open");
    return open && open.previousElementSibling;
  }

  let queued = false;
  function later() {
    if (queued) return;
    queued = true;
    window.requestAnimationFrame(function () { queued = false; fix(); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    fix();
    // Classes too: the editor's toolbar turns buttons on and off by class.
    new MutationObserver(later).observe(document.body, {
      childList: true,
      subtree: true,
      attributes: true,
      attributeFilter: ["class"],
    });
  });
})();
