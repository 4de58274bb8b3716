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

// A search sent as someone types can answer after they chose a concept among earlier results
// (a slow network, a second search): keep the concept they chose when the new results still
// list it, rather than falling back to the first one. Forgotten when the kind changes.
let chosenConcept = null;
document.addEventListener("change", (event) => {
  if (event.target.name === "item_concept") {
    chosenConcept = event.target.value;
  } else if (event.target.name === "item_kind") {
    chosenConcept = null;
  }
});
document.addEventListener("htmx:afterSettle", () => {
  if (chosenConcept === null) {
    return;
  }
  const radio = document.querySelector(
    `#concept-results input[name="item_concept"][value="${CSS.escape(chosenConcept)}"]`,
  );
  if (radio && !radio.checked) {
    radio.checked = true;
  }
});
