// The sensor threshold rules section of the administrator's page (city administrators
// only: the rules are the whole city's): every rule with its target, condition, duration
// and alarm type, and a form that adds, changes or deletes one. The API checks the form
// again; its refusals show at their fields. Text goes in as textContent only.

import { clearErrors, showFailure } from "./forms.js";
import { button, fillTable } from "./lib/dom.js";
import { getJson, send } from "./lib/http.js";
import { t } from "./strings.js";

const URL = "/api/v1/alarms/thresholds";

function optionText(select, value) {
  return [...select.options].find((option) => option.value === value)?.textContent ?? value;
}

function unitOf(form, measure) {
  return [...form.measure.options].find((option) => option.value === measure)?.dataset.unit ?? "";
}

function showTarget(form) {
  const byCode = form.elements.applies.value === "code";
  form.querySelector('[data-field="device_kind"]').hidden = byCode;
  form.querySelector('[data-field="device_code"]').hidden = !byCode;
}

function startNew(form) {
  clearErrors(form);
  form.reset();
  delete form.dataset.id;
  document.getElementById("threshold-editing").textContent = t("page.thresholds.new");
  showTarget(form);
}

function edit(form, rule) {
  clearErrors(form);
  form.dataset.id = String(rule.id);
  document.getElementById("threshold-editing").textContent = t("page.thresholds.editing", {
    id: rule.id,
  });
  form.elements.applies.value = rule.device_code ? "code" : "kind";
  if (rule.device_kind) form.device_kind.value = rule.device_kind;
  form.device_code.value = rule.device_code ?? "";
  form.measure.value = rule.measure;
  form.comparison.value = rule.comparison;
  form.limit.value = String(rule.limit);
  form.duration_seconds.value = String(rule.duration_seconds);
  form.alarm_type.value = rule.alarm_type;
  form.enabled.checked = rule.enabled;
  showTarget(form);
  form.limit.focus();
}

/** A number typed as a number goes as one; anything else as typed, for the API to name. */
function typed(field, pattern) {
  const value = field.value.trim();
  return pattern.test(value) ? Number(value) : value;
}

function ruleBody(form) {
  const byCode = form.elements.applies.value === "code";
  return {
    device_kind: byCode ? null : form.device_kind.value,
    device_code: byCode ? form.device_code.value.trim() : null,
    measure: form.measure.value,
    comparison: form.comparison.value,
    limit: typed(form.limit, /^-?\d+(\.\d+)?$/),
    duration_seconds: typed(form.duration_seconds, /^-?\d+$/),
    alarm_type: form.alarm_type.value,
    enabled: form.enabled.checked,
  };
}

async function remove(form, rule) {
  if (!window.confirm(t("page.thresholds.confirm_delete", { id: rule.id }))) return;
  await send("DELETE", `${URL}/${rule.id}`);
  if (form.dataset.id === String(rule.id)) startNew(form);
  await loadThresholds(form);
}

async function loadThresholds(form) {
  const rules = await getJson(URL);
  document.getElementById("thresholds-empty").hidden = rules.length > 0;
  fillTable(
    "thresholds-table",
    rules.map((rule) => {
      const actions = document.createElement("span");
      actions.append(
        button(t("page.thresholds.edit"), () => edit(form, rule)),
        " ",
        button(t("page.thresholds.delete"), () => remove(form, rule)),
      );
      return [
        rule.device_code ?? optionText(form.device_kind, rule.device_kind),
        optionText(form.measure, rule.measure),
        `${rule.comparison} ${rule.limit} ${unitOf(form, rule.measure)}`.trim(),
        t("page.thresholds.seconds", { seconds: rule.duration_seconds }),
        optionText(form.alarm_type, rule.alarm_type),
        rule.enabled ? t("page.thresholds.yes") : t("page.thresholds.no"),
        actions,
      ];
    }),
  );
}

/** Draws the section and wires its form; the page has it for a city administrator only. */
export async function startThresholds() {
  const form = document.getElementById("threshold-form");
  for (const radio of form.querySelectorAll('input[name="applies"]')) {
    radio.addEventListener("change", () => showTarget(form));
  }
  document.getElementById("threshold-cancel").addEventListener("click", () => startNew(form));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    try {
      const id = form.dataset.id;
      await send(id ? "PUT" : "POST", id ? `${URL}/${id}` : URL, ruleBody(form));
      startNew(form);
      await loadThresholds(form);
    } catch (error) {
      showFailure(form, error, t("page.admin.failed"));
    }
  });
  showTarget(form);
  await loadThresholds(form);
}
