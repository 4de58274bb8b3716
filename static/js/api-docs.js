// Swagger UI draws its "copy" buttons as an icon with no name (axe: button-name); give each
// one a name as it appears. The Swagger UI region is in English, so the name is too.
new MutationObserver(() => {
  for (const button of document.querySelectorAll(".copy-to-clipboard button:not([aria-label])")) {
    button.setAttribute("aria-label", "Copy to clipboard");
  }
}).observe(document.getElementById("swagger-ui"), { childList: true, subtree: true });
