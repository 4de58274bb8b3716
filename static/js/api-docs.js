// Swagger UI draws some controls without a name (axe: button-name, select-name): its icon-only
// "copy" buttons, and the media-type and example choosers that appear once an operation is
// tried. Give each one a name as it appears. The Swagger UI region is in English, so the names
// are too.
function nameSwaggerControls() {
  for (const button of document.querySelectorAll(".copy-to-clipboard button:not([aria-label])")) {
    button.setAttribute("aria-label", "Copy to clipboard");
  }
  for (const select of document.querySelectorAll("#swagger-ui select:not([aria-label])")) {
    if (select.labels && select.labels.length) continue;
    const titled = select.closest("[class*='media-type'], .examples-select, .response-control-examples");
    const title = titled && titled.querySelector("small, label, .examples-select__section-label");
    const text = title && title.textContent.trim();
    select.setAttribute("aria-label", text || (select.classList.contains("content-type") ? "Media type" : "Choose"));
  }
}
new MutationObserver(nameSwaggerControls).observe(document.getElementById("swagger-ui"), {
  childList: true,
  subtree: true,
});
