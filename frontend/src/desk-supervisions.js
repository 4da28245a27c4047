// The urges (催办) and 督办 raised on the open case: which, when, by whom (the SLA clock or
// a person), to whom, the deadline a running one presses and when its stage ended.
// Text goes in as textContent only.

import { getJson } from "./lib/http.js";
import { formatTime } from "./lib/time.js";
import { t } from "./strings.js";

// The SLA clock raises them as `worker:<id>`; a person as `user:<username>`.
function raisedBy(label) {
  return label.startsWith("worker:") ? t("page.case_view.by_clock") : label.replace(/^user:/, "");
}

function entry(raised) {
  const item = document.createElement("li");
  item.className = `case-supervision case-supervision-${raised.kind}`;
  item.dataset.kind = raised.kind;
  const parts = [
    formatTime(raised.created_at),
    t(`page.case_view.kind.${raised.kind}`),
    t("page.case_view.stage", { stage: t(`page.admin.stage.${raised.stage}`) }),
    t("page.case_view.from_to", { by: raisedBy(raised.raised_by), to: raised.addressed_to }),
  ];
  if (raised.deadline) parts.push(t("page.case_view.deadline", { at: formatTime(raised.deadline) }));
  if (raised.resolved_at) parts.push(t("page.case_view.ended", { at: formatTime(raised.resolved_at) }));
  if (raised.note) parts.push(raised.note);
  item.textContent = parts.join(" · ");
  item.title = raised.raised_by;
  return item;
}

/** Fills the list for the case `number`; the list is absent for readers without the right.
 * `stillOpen()` says whether the case is still the one shown when the answer arrives. */
export async function showSupervisions(number, stillOpen = () => true) {
  const list = document.getElementById("case-supervisions");
  if (!list) return;
  const raised = await getJson(`/api/v1/cases/${encodeURIComponent(number)}/supervisions`);
  if (!stillOpen()) return;
  list.replaceChildren(...raised.map(entry));
  if (!raised.length) list.textContent = t("page.case_view.none");
}
