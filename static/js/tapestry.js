// Sections folded on a phone so the content comes first (the directory's filters) start open
// on a wider screen, where they sit beside the content. Without script they stay folded and
// open with a tap, like any <details>.
for (const section of document.querySelectorAll("details[data-open-from]")) {
  if (window.matchMedia(`(min-width: ${section.dataset.openFrom})`).matches) {
    section.open = true;
  }
}
