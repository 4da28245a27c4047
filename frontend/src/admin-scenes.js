// The scene-rules and dead-letters sections of the administrator's page. Scene rules
// turn Frigate's object events into alarms: the keepers of devices list their area's
// rules, add one, switch one off and on (the whole rule is sent back) and delete one.
// Administrators also read the messages the listener refused. Every name, topic and
// payload is someone else's typing: it goes in as text only.

import { wireForm } from "./admin-forms.js";
import { clearErrors, showFailure } from "./forms.js";
import { button, element, fillTable, tableRow } from "./lib/dom.js";
import { getList, send } from "./lib/http.js";
import { formatTime } from "./lib/time.js";
import { t } from "./strings.js";

const RULES_URL = "/api/v1/alarms/scene-rules";
const LETTERS_SHOWN = 50;
// What a rule is sent as: the listing's fields, without its id and area when a camera places it.
const RULE_FIELDS = [
  "name",
  "camera",
  "zone",
  "labels",
  "min_dwell_seconds",
  "min_count",
  "window_start",
  "window_end",
  "alarm_type",
  "enabled",
];

function alarmTypeName(type) {
  const option = document.querySelector(`#scene-alarm-type option[value="${CSS.escape(type)}"]`);
  return option ? option.textContent : type;
}

function condition(rule) {
  const parts = [];
  if (rule.min_dwell_seconds) {
    parts.push(t("page.scenes.dwell_at_least", { seconds: rule.min_dwell_seconds }));
  }
  if (rule.min_count > 1) parts.push(t("page.scenes.count_at_least", { count: rule.min_count }));
  if (rule.window_start) {
    parts.push(t("page.scenes.window", { start: rule.window_start, end: rule.window_end }));
  }
  return parts.join("；") || t("page.scenes.any_time");
}

function ruleBody(rule, changes) {
  const body = Object.fromEntries(RULE_FIELDS.map((name) => [name, rule[name]]));
  if (!rule.camera) body.region_code = rule.region_code;
  return { ...body, ...changes };
}

function act(label, work) {
  return button(label, async () => {
    const form = document.getElementById("scene-rule-form");
    clearErrors(form);
    try {
      await work();
      await loadRules();
    } catch (error) {
      showFailure(form, error, t("page.admin.failed"));
    }
  });
}

function ruleRow(rule) {
  const box = element("span", "row-actions");
  box.append(
    act(t(rule.enabled ? "page.sensing.disable" : "page.sensing.enable"), () =>
      send("PUT", `${RULES_URL}/${rule.id}`, ruleBody(rule, { enabled: !rule.enabled })),
    ),
    act(t("page.admin.delete"), async () => {
      if (!window.confirm(t("page.scenes.confirm_delete", { name: rule.name }))) return;
      await send("DELETE", `${RULES_URL}/${rule.id}`);
    }),
  );
  const row = tableRow([
    rule.name,
    rule.camera ?? t("page.scenes.area", { code: rule.region_code }),
    rule.zone,
    rule.labels.length ? rule.labels.join(", ") : t("page.scenes.any_object"),
    condition(rule),
    alarmTypeName(rule.alarm_type),
    t(rule.enabled ? "page.scenes.on" : "page.scenes.off"),
    box,
  ]);
  row.dataset.ruleId = String(rule.id);
  return row;
}

async function loadRules() {
  const section = document.getElementById("scene-rules");
  section.dataset.state = "loading";
  const rules = await send("GET", RULES_URL);
  fillTable("scene-rules-table", rules.map(ruleRow));
  section.dataset.state = "ready";
}

function formBody(form) {
  const labels = form.labels.value
    .split(/[,，\s]+/)
    .map((label) => label.trim())
    .filter(Boolean);
  const body = {
    name: form.name.value.trim(),
    zone: form.zone.value.trim(),
    labels,
    min_dwell_seconds: Number(form.min_dwell_seconds.value || 0),
    min_count: Number(form.min_count.value || 1),
    alarm_type: form.alarm_type.value,
  };
  if (form.camera.value.trim()) body.camera = form.camera.value.trim();
  if (form.window_start.value) body.window_start = form.window_start.value;
  if (form.window_end.value) body.window_end = form.window_end.value;
  return body;
}

function wireRuleForm() {
  wireForm("scene-rule-form", async (form) => {
    await send("POST", RULES_URL, formBody(form));
    form.reset();
    await loadRules();
  });
}

function letterRow(letter) {
  return tableRow([
    formatTime(letter.received_at, { dateStyle: "short", timeStyle: "medium" }),
    letter.topic,
    t(`page.dead_letters.reason.${letter.reason}`),
    letter.detail,
    element("code", "dead-letter-payload", letter.payload),
  ]);
}

async function loadDeadLetters() {
  const section = document.getElementById("dead-letters");
  const { items, total } = await getList(`/api/v1/alarms/dead-letters?limit=${LETTERS_SHOWN}`);
  fillTable("dead-letters-table", items.map(letterRow));
  document.getElementById("dead-letters-range").textContent = total
    ? t("page.dead_letters.shown", { shown: items.length, total })
    : t("page.dead_letters.empty");
  section.dataset.state = "ready";
}

/** Wire the scene rules (and, for administrators, the dead letters); resolves once listed. */
export function startScenes(config) {
  wireRuleForm();
  return Promise.all([loadRules(), config.administrator ? loadDeadLetters() : null]);
}
