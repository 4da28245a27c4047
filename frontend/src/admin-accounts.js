// The administrator's care of accounts: edit an account, deactivate or re-enable it, give
// it a temporary password (shown once), and say which accounts still wait for their owner
// to choose a password. The API checks every change against the administrator's area and
// logs it.

import { clearErrors, showFailure } from "./forms.js";
import { button, element } from "./lib/dom.js";
import { send } from "./lib/http.js";
import { showRegion } from "./lib/region-picker.js";
import { t } from "./strings.js";

let editingUser = null;

export function status(text) {
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
  if (user.must_change_password) {
    const note = element("span", "field-hint must-change", t("page.admin.account.must_change"));
    note.title = t("page.admin.account.must_change_hint");
    cell.append(note);
  }
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
        await reload();
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
