// The household visit (入户走访) with its safety assessment, in the field app. The visit
// goes through the outbox like a report: kept on the phone until the server has it, sent
// once with its own key. A household comes from the worker's visit tasks (kept on the
// phone) or, with a connection, by its household number.

import { clearErrors, showError } from "./forms.js";
import { getJson } from "./lib/http.js";
import { enqueue } from "./outbox.js";
import { t } from "./strings.js";

const VISIT = "household_visit";
let known = new Map(); // household label or number -> { id, taskId }

/** The visit tasks of today's list offer their households by name. */
export function offerHouseholds(tasks) {
  known = new Map();
  const options = document.getElementById("visit-households");
  options.replaceChildren();
  for (const task of tasks) {
    if (task.task_type !== VISIT || task.done || !task.subject_id) continue;
    const label = `${task.label} #${task.subject_id}`;
    known.set(label, { id: task.subject_id, taskId: task.id });
    options.append(new Option(label, label));
  }
}

async function household(text) {
  if (known.has(text)) return known.get(text);
  try {
    const found = await getJson(`/api/v1/registry/households?number=${encodeURIComponent(text)}`);
    return { id: found.id, taskId: null, address: found.address };
  } catch {
    return null;
  }
}

function findings(form) {
  return [...form.querySelectorAll(".visit-item")].map((row) => {
    const item = row.dataset.item;
    return {
      item,
      hazard: form[`hazard-${item}`].checked,
      note: form[`note-${item}`].value.trim(),
    };
  });
}

/** A household number typed while online is looked up at once and kept for the visit,
 * so the visit itself can be made with no connection. */
function wireLookup(form) {
  const hint = document.getElementById("visit-household-hint");
  form.household.addEventListener("change", async () => {
    const text = form.household.value.trim();
    if (!text || known.has(text)) return;
    const found = await household(text);
    if (!found) return;
    known.set(text, found);
    hint.textContent = t("page.field.visit.household_found", { address: found.address });
  });
}

export function wireVisit(point, afterQueued) {
  const form = document.getElementById("visit-form");
  wireLookup(form);
  for (const row of form.querySelectorAll(".visit-item")) {
    const box = row.querySelector("input[type=checkbox]");
    box.addEventListener("change", () => {
      row.querySelector("input:not([type])").hidden = !box.checked;
    });
  }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const text = form.household.value.trim();
    if (!text) return showError(form, "subject_id", t("page.field.required"));
    const found = await household(text);
    if (!found) return showError(form, "subject_id", t("page.field.visit.household_unknown"));
    const assessment = findings(form);
    const openCase = form.open_case.checked;
    if (openCase && !assessment.some((finding) => finding.hazard)) {
      return showError(form, "open_case", t("page.field.visit.open_case_needs_hazard"));
    }
    await enqueue({
      kind: "record",
      body: {
        task_type: VISIT,
        occurred_at: new Date().toISOString(),
        subject_kind: "household",
        subject_id: found.id,
        ...(found.taskId ? { task_id: found.taskId } : {}),
        assessment,
        open_case: openCase,
        note: form.note.value.trim(),
        ...point(),
      },
    });
    form.reset();
    for (const note of form.querySelectorAll(".visit-item input:not([type])")) note.hidden = true;
    const done = document.getElementById("visit-done");
    done.textContent = t(navigator.onLine ? "page.field.queued" : "page.field.queued_offline");
    done.hidden = false;
    await afterQueued();
  });
}
