// The worker's own cases in the field app: mine, to verify, returned to me. Each tab's
// list is kept on the phone, so the last one read shows when there is no connection.

import { element } from "./lib/dom.js";
import { getJson } from "./lib/http.js";
import { t } from "./strings.js";

const STORE = "civicgrid-field-cases-";
let current = "mine";
let asking = 0;

function line(item) {
  const row = element("li", "field-case");
  row.dataset.number = item.number;
  row.append(element("strong", null, `${item.number} · ${t(`case.status.${item.status}`)}`));
  row.append(element("p", null, item.description));
  if (item.address) row.append(element("p", "field-hint", item.address));
  return row;
}

export async function showCases(tab = current) {
  current = tab;
  const list = document.getElementById("field-cases");
  for (const button of document.querySelectorAll(".field-tab")) {
    const chosen = button.dataset.tab === tab;
    button.setAttribute("aria-selected", String(chosen));
    if (chosen) list.setAttribute("aria-labelledby", button.id);
  }
  const asked = ++asking;
  let cases;
  try {
    cases = await getJson(`/api/v1/field/cases?tab=${encodeURIComponent(tab)}`);
    localStorage.setItem(STORE + tab, JSON.stringify(cases));
  } catch {
    cases = JSON.parse(localStorage.getItem(STORE + tab) ?? "[]");
  }
  // A tab tapped while this one was still loading: its answer may come first.
  if (asked !== asking) return;
  list.replaceChildren(...cases.map(line));
  document.getElementById("field-cases-empty").hidden = cases.length !== 0;
  list.dataset.state = "ready";
  list.dataset.tab = tab;
}

export function wireCases() {
  for (const button of document.querySelectorAll(".field-tab")) {
    button.addEventListener("click", () => showCases(button.dataset.tab));
  }
}
