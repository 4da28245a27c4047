// The administrator's care of accounts and of the routing table's order: edit an account,
// deactivate or re-enable it, give it a temporary password (shown once), move a rule up
// or down, load a rule into the form to edit it, and preview where a sample case goes.
// The API checks every change against the administrator's area and logs it.

import { clearErrors, showFailure } from "./forms.js";
import { button, element } from "./lib/dom.js";
import { send } from "./lib/http.js";
import { showRegion } from "./lib/region-picker.js";
import { t } from "./strings.js";

const RULE_FIELDS = ["name", "category_prefix", "region_prefix", "channel", "target_level", "department_kind"];
let editingUser = null;

function status(text) {
  const line = document.getElementById("account-status");
  line.textContent = text;
  line.hidden = false;
}

function openAccount(user, departments) {
  departments = departments();
  editingUser = user;
  const form = document.getElementById("account-form");
  clearErrors(form);
  document.getElementById("account-heading").textContent = t("page.admin.account.edit_heading", {
    username: user.username,
  });
  const select = form.department_code;
  select.replaceChildren(
    new Option(t("page.admin.none"), ""),
    ...departments.map((item) => new Option(item.name, item.code)),
  );
  const current = departments.find((item) => item.id === user.department_id);
  form.display_name.value = user.display_name;
  form.role.value = user.role;
  form.scope_code.value = user.scope_code;
  showRegion(form.scope_code);
  select.value = current ? current.code : "";
  document.getElementById("account-dialog").showModal();
}

/** The buttons of one account's row: edit, deactivate or re-enable, reset its password;
 * `departments` gives the department list when the editor opens. */
export function accountActions(user, departments, reload) {
  const cell = element("span", "row-actions");
  if (!user.active) cell.append(element("span", "field-hint", t("page.admin.account.inactive")));
  cell.append(
    button(t("page.admin.account.edit"), () => openAccount(user, departments)),
    button(t(user.active ? "page.admin.account.deactivate" : "page.admin.account.activate"), async () => {
      if (user.active && !window.confirm(t("page.admin.account.confirm_deactivate", { username: user.username }))) return;
      try {
        await send("PATCH", `/api/v1/users/${user.id}`, { active: !user.active });
        status(t(user.active ? "page.admin.account.deactivated" : "page.admin.account.activated", { username: user.username }));
        await reload();
      } catch (error) {
        status(error.message);
      }
    }),
    button(t("page.admin.account.reset"), async () => {
      if (!window.confirm(t("page.admin.account.confirm_reset", { username: user.username }))) return;
      try {
        const reset = await send("POST", `/api/v1/users/${user.id}/password`);
        status(t("page.admin.account.temporary", { username: reset.username, password: reset.temporary_password }));
      } catch (error) {
        status(error.message);
      }
    }),
  );
  return cell;
}

export function wireAccountDialog(reload) {
  const form = document.getElementById("account-form");
  document.getElementById("account-cancel").addEventListener("click", () => {
    document.getElementById("account-dialog").close();
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    try {
      await send("PATCH", `/api/v1/users/${editingUser.id}`, {
        display_name: form.display_name.value.trim(),
        role: form.role.value,
        scope_code: form.scope_code.value.trim(),
        department_code: form.department_code.value,
      });
      document.getElementById("account-dialog").close();
      status(t("page.admin.account.saved", { username: editingUser.username }));
      await reload();
    } catch (error) {
      showFailure(form, error, t("page.admin.failed"));
    }
  });
}

function ruleBody(rule, position) {
  const body = { active: rule.active, grid_may_handle: rule.grid_may_handle, position };
  for (const field of RULE_FIELDS) body[field] = rule[field] ?? "";
  if (!body.department_kind) body.department_kind = null;
  return body;
}

/** Move up, move down and edit for one rule of the table (positions start at 1). */
export function ruleActions(rule, count, reload) {
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
  const edit = button(t("page.admin.account.edit"), () => {
    const form = document.getElementById("rule-form");
    for (const field of RULE_FIELDS) form[field].value = rule[field] ?? "";
    form.grid_may_handle.checked = rule.grid_may_handle;
    form.dataset.ruleId = String(rule.id);
    form.dataset.position = String(rule.position);
    document.getElementById("rule-form-heading").textContent = t("page.admin.rule_order.editing", { name: rule.name });
    form.scrollIntoView({ block: "center" });
    form.name.focus();
  });
  edit.setAttribute("aria-label", t("page.admin.rule_order.edit_named", { name: rule.name }));
  cell.append(up, down, edit);
  return cell;
}

/** Save the rule form: a new rule, or the one loaded into it by its edit button. */
export async function saveRule(form, body) {
  const id = form.dataset.ruleId;
  if (id) {
    await send("PUT", `/api/v1/routing-rules/${id}`, { ...body, position: Number(form.dataset.position) });
    delete form.dataset.ruleId;
    document.getElementById("rule-form-heading").textContent = t("page.admin.rule.add");
  } else {
    await send("POST", "/api/v1/routing-rules", body);
  }
}

export function wirePreview() {
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
      category_code: form.category_code.value.trim() || null,
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
