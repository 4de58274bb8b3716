// Survey results: a filter the server refuses (400, e.g. two filters on an anonymous survey)
// still replaces the results with its explanation when htmx sends the form.
document.addEventListener("htmx:beforeSwap", (event) => {
  const target = event.detail.target;
  if (target && target.id === "results" && event.detail.xhr.status === 400) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
