// The routing table on the administrator's page: the rules in order with their
// conditions by name, the form that adds or edits one (category, area and department
// kind chosen from lists and the region picker, never typed as codes), moving a rule up
// or down, and the preview of where a sample case goes. The API checks every change
// against the administrator's area and logs it.

import { formBody, wireForm } from "./admin-forms.js";
import { clearErrors, showFailure } from "./forms.js";
import { categoriesInForce, categoryGroups } from "./lib/category-options.js";
import { kindName } from "./lib/department-kinds.js";
import { button, element, fillTable, tableRow } from "./lib/dom.js";
import { send } from "./lib/http.js";
import { regionName, regionNames } from "./lib/region-names.js";
import { regionPicker, showRegion } from "./lib/region-picker.js";
import { t } from "./strings.js";

const RULE_FIELDS = ["name", "category_prefix", "region_prefix", "channel", "target_level", "department_kind"];
let categoryNames = new Map();

/** Keep `value` choosable in `select` even when no option carries it (a rule saved with a
 * code this page does not list): it is added under its code, so editing never loses it. */
function keepChoice(select, value) {
  if (value && ![...select.options].some((option) => option.value === value)) {
    select.append(new Option(value, value));
  }
  select.value = value ?? "";
}

/** The categories in force as the rule form's choices (a whole group or one category) and
 * the preview's (a category): only they can be filed under, so only they are routed.
 * `categories` (every category) names what a saved rule points at. */
function fillCategoryChoices(tree, categories) {
  categoryNames = new Map(categories.map((item) => [item.code, item.name]));
  const wholeGroup = (name) => t("page.admin.rule.whole_group", { name });
  for (const [id, options] of [
    ["rule-category", { wholeGroup }],
    ["preview-category", {}],
  ]) {
    const select = document.getElementById(id);
    select.replaceChildren(select.options[0], ...categoryGroups(tree, options));
  }
}

/** Kinds the city's departments have that the catalogue does not name, after the named ones. */
function addDepartmentKinds(departments) {
  const select = document.getElementById("rule-kind");
  const listed = new Set([...select.options].map((option) => option.value));
  for (const kind of new Set(departments.map((item) => item.kind))) {
    if (!listed.has(kind)) select.append(new Option(kindName(kind), kind));
  }
}

function ruleBody(rule, position) {
  const body = { active: rule.active, grid_may_handle: rule.grid_may_handle, position };
  for (const field of RULE_FIELDS) body[field] = rule[field] ?? "";
  if (!body.department_kind) body.department_kind = null;
  return body;
}

function editRule(rule) {
  const form = document.getElementById("rule-form");
  for (const field of RULE_FIELDS) {
    const control = form[field];
    if (control instanceof HTMLSelectElement) keepChoice(control, rule[field] ?? "");
    else control.value = rule[field] ?? "";
  }
  showRegion(form.region_prefix);
  form.grid_may_handle.checked = rule.grid_may_handle;
  form.dataset.ruleId = String(rule.id);
  form.dataset.position = String(rule.position);
  document.getElementById("rule-form-heading").textContent = t("page.admin.rule_order.editing", { name: rule.name });
  form.scrollIntoView({ block: "center" });
  form.name.focus();
}

/** Move up, move down and edit for one rule of the table (positions start at 1). */
function ruleActions(rule, count, reload) {
  const move = (by) => async () => {
    await send("PUT", `/api/v1/routing-rules/${rule.id}`, ruleBody(rule, rule.position + by));
    await reload();
  };
  const cell = element("span", "row-actions");
  const up = button(t("page.admin.rule_order.up"), move(-1));
  up.disabled = rule.position <= 1;
  up.setAttribute("aria-label", t("page.admin.rule_order.up_named", { name: rule.name }));
  const down = button(t("page.admin.rule_order.down"), move(1));
  down.disabled = rule.position >= count;
  down.setAttribute("aria-label", t("page.admin.rule_order.down_named", { name: rule.name }));
  const edit = button(t("page.admin.account.edit"), () => editRule(rule));
  edit.setAttribute("aria-label", t("page.admin.rule_order.edit_named", { name: rule.name }));
  cell.append(up, down, edit);
  return cell;
}

/** A rule's category condition by name, its code on hover. */
function categoryCell(prefix) {
  if (!prefix) return t("page.admin.any");
  const node = element("span", "", categoryNames.get(prefix) ?? prefix);
  node.title = prefix;
  return node;
}

export async function loadRules(asked = send("GET", "/api/v1/routing-rules")) {
  const rules = await asked;
  const regions = await regionNames(rules.map((rule) => rule.region_prefix));
  fillTable(
    "rules-table",
    rules.map((rule) =>
      tableRow([
        rule.position,
        rule.name,
        categoryCell(rule.category_prefix),
        rule.region_prefix ? regionName(rule.region_prefix, regions) : t("page.admin.any"),
        rule.channel ? t(`page.desk.channel.${rule.channel}`) : t("page.admin.any"),
        t(`page.admin.level.${rule.target_level}`),
        rule.department_kind ? kindName(rule.department_kind) : "",
        rule.grid_may_handle ? "✓" : "",
        ruleActions(rule, rules.length, loadRules),
        button(t("page.admin.delete"), async () => {
          if (!window.confirm(t("page.admin.rule.confirm_delete", { name: rule.name }))) return;
          await send("DELETE", `/api/v1/routing-rules/${rule.id}`);
          await loadRules();
        }),
      ]),
    ),
  );
}

/** Save the rule form: a new rule, or the one loaded into it by its edit button. */
async function saveRule(form, body) {
  const id = form.dataset.ruleId;
  if (id) {
    await send("PUT", `/api/v1/routing-rules/${id}`, { ...body, position: Number(form.dataset.position) });
    delete form.dataset.ruleId;
    document.getElementById("rule-form-heading").textContent = t("page.admin.rule.add");
  } else {
    await send("POST", "/api/v1/routing-rules", body);
  }
}

function wirePreview() {
  const form = document.getElementById("rule-preview-form");
  const result = document.getElementById("rule-preview-result");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    result.textContent = "";
    const body = {
      region_code: form.region_code.value.trim(),
      channel: form.channel.value,
      priority: form.priority.value,
      category_code: form.category_code.value || null,
    };
    try {
      const found = await send("POST", "/api/v1/routing-rules/preview", body);
      const target = found.department_name
        ? `${found.handling_region_name} ${found.department_name}`
        : found.handling_region_name;
      result.textContent = found.rule
        ? t("page.admin.rule_preview.by_rule", { position: found.rule.position, name: found.rule.name, target })
        : t("page.admin.rule_preview.no_rule", { target });
      result.title = found.reason;
      result.dataset.rule = found.rule ? String(found.rule.id) : "";
    } catch (error) {
      showFailure(form, error, t("page.admin.failed"));
    }
  });
}

/** The rule form's lists and pickers, its saving and the preview; `lists` gives the page's
 * categories and departments as it asked for them once. The rules are asked for at the
 * same time as the lists: the table waits only for the categories' names. */
export async function startRules(lists) {
  regionPicker(document.getElementById("rule-region"));
  regionPicker(document.getElementById("preview-region"));
  wireForm("rule-form", async (form) => {
    await saveRule(form, formBody(form));
    form.reset();
    await loadRules();
  });
  wirePreview();
  const rules = send("GET", "/api/v1/routing-rules");
  const [tree, categories, departments] = await Promise.all([
    categoriesInForce(),
    lists.categories(),
    lists.departments(),
  ]);
  fillCategoryChoices(tree, categories);
  addDepartmentKinds(departments);
  await loadRules(rules);
}
