// How the administrator's forms send: required fields checked in the page first (each
// refusal at its field, the first one focused), then the API, whose own refusals show at
// their fields too.

import { clearErrors, showError, showFailure } from "./forms.js";
import { t } from "./strings.js";

/** The form's fields as JSON: empty optional fields left out, checkboxes as booleans. */
export function formBody(form) {
  const body = {};
  for (const field of form.elements) {
    if (!field.name || field.type === "submit" || field.type === "file") continue;
    if (field.type === "checkbox") body[field.name] = field.checked;
    else if (field.value.trim() !== "") body[field.name] = field.value.trim();
  }
  return body;
}

function requireFilled(form) {
  let missing = false;
  for (const field of form.querySelectorAll("[required]")) {
    const empty = field.type === "file" ? !field.files.length : !field.value.trim();
    if (empty) {
      showError(form, field.name, t("page.admin.required"));
      missing = true;
    }
  }
  form.querySelector('[aria-invalid="true"]')?.focus();
  return !missing;
}

function showRefusal(form, error) {
  showFailure(form, error, t("page.admin.failed"));
}

/** Send the form with `submit(form)` once its required fields are filled; `refused(form,
 * error)` shows what the API refused (at the fields it names, by default). */
export function wireForm(id, submit, refused = showRefusal) {
  const form = document.getElementById(id);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    if (!requireFilled(form)) return;
    try {
      await submit(form);
    } catch (error) {
      refused(form, error);
    }
  });
}
