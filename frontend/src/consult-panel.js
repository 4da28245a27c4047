// 智能咨询 on three pages: similar past cases and a reply draft on the workbench, answered
// questions while a resident types a report, similar past disputes (类案推送) for a
// mediator. Every match shows where it comes from (its citation); all text goes in as text.

import "./consult.css";
import { element } from "./lib/dom.js";
import { send } from "./lib/http.js";
import { t } from "./strings.js";

// Characters typed before the resident's question is asked, and the pause that asks it.
const MIN_QUESTION = 4;
const TYPING_PAUSE_MS = 400;
const SNIPPET = 120;

function matchItem(match) {
  const item = element("li", "consult-match");
  item.dataset.source = match.source;
  item.dataset.kind = match.kind;
  item.append(element("p", "consult-citation", `${match.citation} · ${match.day}`));
  const text = match.kind === "knowledge" ? match.text : match.title || match.text;
  item.append(element("p", "consult-text", text.slice(0, SNIPPET)));
  if (match.answer) {
    item.append(element("p", "consult-answer", t("page.consult.answer", { answer: match.answer })));
  }
  if (match.answered_by && match.kind !== "knowledge") {
    item.append(element("p", "consult-by", t("page.consult.answered_by", { unit: match.answered_by })));
  }
  if (match.reasons.length) {
    item.append(element("p", "consult-reasons", t("page.consult.why", { reasons: match.reasons.join("；") })));
  }
  return item;
}

function showMatches(list, matches) {
  list.replaceChildren(...matches.map(matchItem));
  if (!matches.length) list.append(element("li", "consult-empty", t("page.consult.none")));
}

/** The workbench: past cases like the open one, and a draft the handler edits; nothing
 * is drawn when another case was opened meanwhile (`stillOpen()` is false). */
export async function showSimilarCases(number, stillOpen = () => true) {
  const panel = document.getElementById("consult-panel");
  if (!panel) return;
  panel.dataset.state = "loading";
  const url = `/api/v1/consult/cases/${encodeURIComponent(number)}/similar`;
  const found = await send("GET", url).catch(() => null);
  if (!stillOpen()) return;
  panel.hidden = !found;
  if (found) {
    showMatches(document.getElementById("consult-matches"), found.matches);
    // The same case reopened after a move keeps the handler's edits to its draft.
    if (panel.dataset.number !== number) document.getElementById("consult-draft").value = found.draft;
    panel.dataset.number = number;
  }
  panel.dataset.state = "ready";
}

// The moves whose note is the reply the reporter is given.
const REPLYING_MOVES = new Set(["resolved", "self_resolved"]);

/** The edited draft into the move dialog's note when the handler resolves the case. */
export function fillReplyNote(move, note) {
  const draft = document.getElementById("consult-draft");
  if (draft && !draft.closest("[hidden]") && REPLYING_MOVES.has(move.to)) note.value = draft.value;
}

/** The resident's form: answered questions like the one being typed, before it is sent. */
export function wireAnsweredQuestions(textarea) {
  const section = document.getElementById("consult-answers");
  const list = document.getElementById("consult-answers-list");
  if (!section || !list) return;
  let timer = null;
  let asked = "";
  textarea.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const question = textarea.value.trim();
      if (question.length < MIN_QUESTION || question === asked) return;
      asked = question;
      const url = `/api/v1/consult/answers?${new URLSearchParams({ q: question.slice(0, 2000) })}`;
      const found = await send("GET", url).catch(() => null);
      if (!found || textarea.value.trim() !== question) return;
      section.hidden = !found.length;
      showMatches(list, found);
    }, TYPING_PAUSE_MS);
  });
}

/** The mediation page: finished disputes of the area like this one, with their agreements. */
export async function showSimilarDisputes(number) {
  const panel = document.getElementById("consult-disputes");
  if (!panel) return;
  const url = `/api/v1/consult/disputes/${encodeURIComponent(number)}/similar`;
  const found = await send("GET", url).catch(() => null);
  panel.hidden = !found;
  if (found) showMatches(document.getElementById("consult-disputes-list"), found);
}
