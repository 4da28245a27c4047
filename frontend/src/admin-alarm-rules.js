// The alarm rules section of the administrator's page: every alarm type's rule in force
// (category, priority, routing, dedupe window, flap suppression, storm threshold), and
// for a city administrator a form that sets one type's rule. The API checks the form
// again; its refusals show at their fields. Text goes in as textContent only.

import { clearErrors, showFailure } from "./forms.js";
import { button, fillTable } from "./lib/dom.js";
import { getJson, send } from "./lib/http.js";
import { t } from "./strings.js";

const NUMBERS = [
  "dedupe_minutes",
  "flap_count",
  "flap_minutes",
  "storm_count",
  "storm_minutes",
];

function label(rule) {
  return document.documentElement.lang.startsWith("en") ? rule.name_en : rule.name;
}

function routing(rule) {
  if (!rule.route_to) return t("page.alarm_rules.route.default");
  if (rule.route_to === "device_owner") return t("page.alarm_rules.route.device_owner");
  return rule.route_to;
}

function pair(count, minutes) {
  return count ? t("page.alarm_rules.per_window", { count, minutes }) : t("page.alarm_rules.off");
}

function edit(form, rule) {
  clearErrors(form);
  form.hidden = false;
  form.dataset.type = rule.type;
  document.getElementById("alarm-rule-editing").textContent = label(rule);
  form.category.value = rule.category ?? "";
  form.priority.value = rule.priority;
  form.route_to.value = rule.route_to ?? "";
  form.opens_case.checked = rule.opens_case;
  for (const name of NUMBERS) form[name].value = String(rule[name]);
  form.category.focus();
}

function ruleBody(form) {
  const body = {
    category: form.category.value.trim() || null,
    priority: form.priority.value,
    route_to: form.route_to.value.trim() || null,
    opens_case: form.opens_case.checked,
  };
  // A field left empty or not a whole number goes as typed; the API names what is wrong.
  for (const name of NUMBERS) {
    const typed = form[name].value.trim();
    body[name] = /^-?\d+$/.test(typed) ? Number(typed) : typed;
  }
  return body;
}

async function loadRules(form, cityAdmin) {
  const rules = await getJson("/api/v1/alarms/rules");
  fillTable(
    "alarm-rules-table",
    rules.map((rule) => [
      label(rule),
      rule.category ?? t("page.alarm_rules.category.none"),
      t(`page.alarm_rules.priority.${rule.priority}`),
      routing(rule),
      rule.opens_case ? t("page.alarm_rules.yes") : t("page.alarm_rules.no"),
      rule.dedupe_minutes ? String(rule.dedupe_minutes) : t("page.alarm_rules.off"),
      pair(rule.flap_count, rule.flap_minutes),
      pair(rule.storm_count, rule.storm_minutes),
      String(rule.version),
      cityAdmin ? button(t("page.alarm_rules.edit"), () => edit(form, rule)) : "",
    ]),
  );
}

/** Draws the section and, for a city administrator, wires its form. */
export async function startAlarmRules(config) {
  const form = document.getElementById("alarm-rule-form");
  if (config.cityAdmin) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors(form);
      try {
        const url = `/api/v1/alarms/rules/${encodeURIComponent(form.dataset.type)}`;
        await send("PUT", url, ruleBody(form));
        form.hidden = true;
        await loadRules(form, true);
      } catch (error) {
        showFailure(form, error, t("page.admin.failed"));
      }
    });
    document
      .getElementById("alarm-rule-cancel")
      .addEventListener("click", () => (form.hidden = true));
  }
  await loadRules(form, config.cityAdmin);
}
