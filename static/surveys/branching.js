// "Show this question if": shows and hides a section's questions as the person answers, by
// evaluating the same condition trees the server does (tapestry/surveys/logic.py; ADR 0018).
// The page carries the trees, the question kinds and the answers given on earlier sections in
// <script id="survey-branching" type="application/json">. A hidden question gets `hidden`
// (out of the tab order and of the accessibility tree) and its inputs are disabled, so its
// answer is not sent; the server drops hidden answers anyway. Without this script every such
// question stays in view with its condition in words.
(function () {
  "use strict";

  const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

  function number(text) {
    if (typeof text !== "string") {
      return null;
    }
    const trimmed = text.trim();
    if (!NUMBER.test(trimmed)) {
      return null;
    }
    const value = Number(trimmed);
    return Number.isFinite(value) ? value : null;
  }

  function isBlank(answer) {
    return answer === null || answer === undefined || answer === "" ||
      (Array.isArray(answer) && answer.length === 0);
  }

  function compare(op, answer, value, kind) {
    const blank = isBlank(answer);
    if (value === "" || blank) {
      const same = blank && value === "";
      if (op === "=") {
        return same;
      }
      if (op === "!=") {
        return !same;
      }
      return false;
    }
    let left = answer;
    let right = value;
    if (kind === "number") {
      left = number(answer);
      right = number(value);
      if (left === null || right === null) {
        return false;
      }
    }
    if (op === "=") {
      return left === right;
    }
    if (op === "!=") {
      return left !== right;
    }
    if (kind !== "number" && kind !== "date") {
      // As REDCap does: an order comparison of choice codes compares them as numbers.
      left = number(answer);
      right = number(value);
      if (left === null || right === null) {
        return false;
      }
    }
    switch (op) {
      case "<": return left < right;
      case "<=": return left <= right;
      case ">": return left > right;
      case ">=": return left >= right;
      default: return false;
    }
  }

  function evaluate(condition, answers, kinds) {
    if (!condition || Object.keys(condition).length === 0) {
      return true;
    }
    const op = condition.op;
    if (op === "and") {
      return condition.args.every(function (arg) { return evaluate(arg, answers, kinds); });
    }
    if (op === "or") {
      return condition.args.some(function (arg) { return evaluate(arg, answers, kinds); });
    }
    const answer = answers[condition.question];
    if (op === "checked" || op === "unchecked") {
      const ticked = Array.isArray(answer) && answer.includes(condition.choice);
      return op === "checked" ? ticked : !ticked;
    }
    return compare(op, answer, condition.value, kinds[condition.question] || "text");
  }

  // For tests: the browser test compares this with logic.evaluate on the same trees.
  window.tapestrySurveys = { evaluate: evaluate };

  const data = document.getElementById("survey-branching");
  const form = document.getElementById("survey-section");
  if (!data || !form) {
    return;
  }
  const branching = JSON.parse(data.textContent);

  function group(code) {
    return form.querySelector('[data-question="' + code + '"]');
  }

  function currentAnswer(element) {
    const kind = element.dataset.kind;
    if (kind === "multiple") {
      return Array.from(element.querySelectorAll("input:checked")).map(function (input) {
        return input.value;
      });
    }
    if (kind === "single" || kind === "likert") {
      const checked = element.querySelector("input:checked");
      return checked ? checked.value : null;
    }
    const input = element.querySelector("input, textarea");
    const value = input ? input.value.trim() : "";
    return value === "" ? null : value;
  }

  function apply() {
    const kept = Object.assign({}, branching.answers);
    for (const question of branching.questions) {
      const element = group(question.code);
      if (!element) {
        continue;
      }
      const show = evaluate(question.show_if, kept, branching.kinds);
      element.hidden = !show;
      for (const input of element.querySelectorAll("input, textarea, select")) {
        input.disabled = !show;
      }
      if (show) {
        const answer = currentAnswer(element);
        if (!isBlank(answer)) {
          kept[question.code] = answer;
        }
      }
    }
  }

  // The live questions follow the answers, so the note in words is not needed.
  for (const note of form.querySelectorAll(".tapestry-condition")) {
    note.hidden = true;
  }
  form.addEventListener("change", apply);
  form.addEventListener("input", apply);
  apply();
})();
