// Hints while a call is typed at the desk: the classifier's category suggestion (offered
// in the category list, never chosen for the operator) and the open cases that may be
// the same matter. Nothing is stored until the form is sent.

import { element } from "./lib/dom.js";
import { send } from "./lib/http.js";
import { t } from "./strings.js";

const PAUSE_MS = 400;
const MIN_CHARS = 4;

function percent(value) {
  return Math.round(value * 100);
}

export function wireHints(form, draft) {
  const select = document.getElementById("intake-category");
  const status = document.getElementById("intake-suggestion");
  const use = document.getElementById("intake-use-suggestion");
  const list = document.getElementById("intake-duplicates");
  let timer = null;
  let asked = 0;
  let best = null;

  function offer(categories) {
    const chosen = select.value;
    const known = new Set([...select.options].map((option) => option.value));
    for (const category of categories) {
      if (known.has(category.code)) continue;
      const option = element("option", null, category.name ?? category.code);
      option.value = category.code;
      option.title = category.code;
      select.append(option);
    }
    select.value = chosen;
  }

  function showSuggestion(category) {
    best = category;
    use.hidden = !category || select.value === category.code;
    status.textContent = category
      ? t("page.desk.intake.suggested", {
          name: category.name ?? category.code,
          percent: percent(category.confidence),
        })
      : t("page.desk.intake.no_suggestion");
  }

  function showDuplicates(found) {
    if (!found.length) {
      list.replaceChildren(element("li", null, t("page.desk.intake.no_duplicates")));
      return;
    }
    list.replaceChildren(
      ...found.map((candidate) => {
        const item = element("li", "duplicate-hint");
        const line = t("page.desk.intake.duplicate_line", {
          number: candidate.number,
          status: t(`case.status.${candidate.status}`),
          percent: percent(candidate.similarity),
        });
        item.append(element("strong", null, line));
        item.append(element("p", null, candidate.description));
        if (candidate.reasons.length) item.append(element("p", "field-hint", candidate.reasons.join("；")));
        return item;
      }),
    );
  }

  async function ask() {
    const body = draft();
    if (body.description.length < MIN_CHARS) {
      showSuggestion(null);
      showDuplicates([]);
      return;
    }
    const mine = ++asked;
    try {
      const hints = await send("POST", "/api/v1/desk/hints", body);
      if (mine !== asked) return;
      if (hints.category) offer([hints.category, ...hints.alternatives]);
      showSuggestion(hints.category);
      showDuplicates(hints.duplicates);
      form.dataset.hints = "ready";
    } catch {
      // A hint that fails to come leaves the form as it was: the filing does not need it.
    }
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(ask, PAUSE_MS);
  }

  form.querySelector("#intake-description").addEventListener("input", later);
  select.addEventListener("change", () => showSuggestion(best));
  use.addEventListener("click", () => {
    if (!best) return;
    select.value = best.code;
    showSuggestion(best);
  });
  return {
    refresh: later,
    reset() {
      best = null;
      showSuggestion(null);
      showDuplicates([]);
      delete form.dataset.hints;
    },
  };
}
