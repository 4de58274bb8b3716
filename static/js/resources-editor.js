// The resources editor: a toolbar over a plain <textarea> of HTML. Each button wraps the
// selected words in a tag; the server cleans the HTML on saving and renders the preview (htmx,
// on the textarea's "input" event). Without script the textarea works alone and the toolbar
// stays hidden. The toolbar follows the WAI-ARIA toolbar pattern: one Tab stop, arrow keys
// (and Home, End) move between its buttons.
(function () {
  "use strict";

  function escapeAttribute(value) {
    return value
      .replace(/&/g, "&amp;")
      .replace(/"/g, "&quot;")
      .replace(/</g, "&lt;")
      .replace(/>/g, "&gt;");
  }

  function escapeText(value) {
    return value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }

  function isAddress(value) {
    return /^(https?:\/\/\S+|mailto:\S+)$/i.test(value);
  }

  function listOf(tag, selected) {
    const lines = selected.split(/\r?\n/).map((line) => line.trim()).filter(Boolean);
    const items = (lines.length ? lines : [""]).map((line) => `  <li>${line}</li>`);
    return `<${tag}>\n${items.join("\n")}\n</${tag}>`;
  }

  function setUp(editor) {
    const toolbar = editor.querySelector("[role=toolbar]");
    const textarea = editor.querySelector("textarea");
    const status = editor.querySelector("[role=status]");
    if (!toolbar || !textarea) return;
    const buttons = Array.from(toolbar.querySelectorAll("button"));
    // Hidden on a wrapper: USWDS's display utilities on the toolbar would override `hidden`.
    (toolbar.closest("[hidden]") || toolbar).hidden = false;

    function say(text, isError) {
      if (!status) return;
      status.textContent = text;
      status.classList.toggle("usa-error-message", Boolean(isError));
    }

    function focusButton(index) {
      buttons.forEach((button, position) => {
        button.tabIndex = position === index ? 0 : -1;
      });
      buttons[index].focus();
    }
    buttons.forEach((button, position) => {
      button.tabIndex = position === 0 ? 0 : -1;
    });

    toolbar.addEventListener("keydown", (event) => {
      const current = buttons.indexOf(document.activeElement);
      if (current < 0) return;
      let next = null;
      if (event.key === "ArrowRight") next = (current + 1) % buttons.length;
      else if (event.key === "ArrowLeft") next = (current - 1 + buttons.length) % buttons.length;
      else if (event.key === "Home") next = 0;
      else if (event.key === "End") next = buttons.length - 1;
      if (next !== null) {
        event.preventDefault();
        focusButton(next);
      }
    });

    function insert(markup, caretOffset) {
      const start = textarea.selectionStart;
      const end = textarea.selectionEnd;
      textarea.focus();
      textarea.setRangeText(markup, start, end, "end");
      if (caretOffset !== undefined) {
        textarea.setSelectionRange(start + caretOffset, start + caretOffset);
      }
      textarea.dispatchEvent(new Event("input", { bubbles: true }));
    }

    function apply(button) {
      const tag = button.dataset.tag;
      const selected = textarea.value.slice(textarea.selectionStart, textarea.selectionEnd);
      say("", false);
      if (tag === "ul" || tag === "ol") {
        insert(listOf(tag, selected));
      } else if (tag === "a") {
        const address = (window.prompt(toolbar.dataset.linkPrompt, "https://") || "").trim();
        if (!isAddress(address)) {
          say(toolbar.dataset.addressRefused, true);
          textarea.focus();
          return;
        }
        const words = selected || escapeText(address);
        insert(`<a href="${escapeAttribute(address)}">${words}</a>`);
      } else if (tag === "img") {
        const address = (window.prompt(toolbar.dataset.imagePrompt, "https://") || "").trim();
        // An address on this site (/static/...) or a full one; the page's Content Security
        // Policy shows only images served by the site itself.
        if (!/^(https?:\/\/|\/)\S+$/i.test(address)) {
          say(toolbar.dataset.addressRefused, true);
          textarea.focus();
          return;
        }
        const alternative = (window.prompt(toolbar.dataset.altPrompt, selected) || "").trim();
        if (!alternative) {
          say(toolbar.dataset.altRefused, true);
          textarea.focus();
          return;
        }
        insert(`<img src="${escapeAttribute(address)}" alt="${escapeAttribute(alternative)}">`);
      } else {
        const opening = `<${tag}>`;
        insert(`${opening}${selected}</${tag}>`, selected ? undefined : opening.length);
      }
      say(toolbar.dataset.added, false);
    }

    buttons.forEach((button) => {
      button.addEventListener("click", () => apply(button));
    });
  }

  document.querySelectorAll("[data-resources-editor]").forEach(setUp);
})();
