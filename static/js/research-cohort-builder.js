// The cohort builder answers a change it cannot make (an incomplete criterion, a concept the
// release does not hold) with 400 and the builder showing why beside the field. htmx leaves
// 4xx and 5xx answers unswapped unless told to, so swap these in: without it the person would
// see nothing happen. Only the builder's own regions are concerned.
document.addEventListener("htmx:beforeSwap", (event) => {
  const status = event.detail.xhr.status;
  const target = event.detail.target;
  if ((status === 400 || status === 503) && target && target.closest("#cohort-builder, #add-item")) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
