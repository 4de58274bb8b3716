// Answering a survey: after a refused page, focus goes to the list of errors (or the notice
// that the survey changed) so a screen reader reads it first. The header's language switcher
// reloads the page; what the person typed on this section since the last save comes back.
(function () {
  "use strict";

  const notice = document.getElementById("form-errors") || document.getElementById("survey-changed");
  if (notice) {
    notice.focus();
  }

  const resume = document.getElementById("resume-url");
  if (resume) {
    resume.addEventListener("focus", function () {
      resume.select();
    });
  }

  const form = document.getElementById("survey-section");
  const switcher = document.querySelector("form.tapestry-language");
  if (!form || !switcher || !window.sessionStorage) {
    return;
  }
  const key = "tapestry-survey:" + window.location.pathname;
  const section = form.elements.namedItem("section").value;

  switcher.addEventListener("submit", function () {
    const values = [];
    for (const element of form.elements) {
      if (!element.name || !element.name.startsWith("q-")) {
        continue;
      }
      if ((element.type === "radio" || element.type === "checkbox") && !element.checked) {
        continue;
      }
      values.push([element.name, element.value]);
    }
    try {
      window.sessionStorage.setItem(key, JSON.stringify({ section: section, values: values }));
    } catch (error) {
      // Storage full or refused: the saved answers still come back, only unsaved typing is lost.
    }
  });

  let stored = null;
  try {
    stored = JSON.parse(window.sessionStorage.getItem(key) || "null");
    window.sessionStorage.removeItem(key);
  } catch (error) {
    stored = null;
  }
  if (!stored || stored.section !== section || !Array.isArray(stored.values)) {
    return;
  }
  const given = new Map();
  for (const [name, value] of stored.values) {
    if (!given.has(name)) {
      given.set(name, []);
    }
    given.get(name).push(value);
  }
  for (const element of form.elements) {
    if (!element.name || !element.name.startsWith("q-")) {
      continue;
    }
    const values = given.get(element.name) || [];
    if (element.type === "radio" || element.type === "checkbox") {
      element.checked = values.includes(element.value);
    } else {
      element.value = values[0] || "";
    }
  }
})();
