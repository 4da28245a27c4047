// Forms that talk to the API (through lib/http.js): show the server's field-level
// refusals at their fields, readable by screen readers.

export function clearErrors(form) {
  for (const field of form.querySelectorAll(".field.has-error")) {
    field.classList.remove("has-error");
    field.querySelector(".field-error")?.remove();
    for (const input of field.querySelectorAll("[aria-invalid]")) {
      input.removeAttribute("aria-invalid");
      input.removeAttribute("aria-describedby");
    }
  }
  const summary = form.querySelector(".form-error");
  if (summary) summary.hidden = true;
}

/** Show a message at its field; a field the form does not have gets the form's summary line. */
export function showError(form, name, message) {
  const field = form.querySelector(`.field[data-field="${name}"]`);
  if (!field) {
    const summary = form.querySelector(".form-error");
    summary.textContent = summary.hidden ? message : `${summary.textContent} ${message}`;
    summary.hidden = false;
    return;
  }
  field.classList.add("has-error");
  const note = document.createElement("p");
  note.className = "field-error";
  note.id = `${form.id}-${name}-error`;
  note.textContent = message;
  field.append(note);
  const input = field.querySelector("input:not([type=radio]), textarea, select, [tabindex]");
  if (input) {
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", note.id);
  }
}

export function showFailure(form, error, fallback) {
  if (error.fields?.length) {
    for (const problem of error.fields) {
      // lng / lat / crs share the location block; photos.0 is the photo input.
      const name = problem.field.split(".")[0];
      showError(form, name === "lat" || name === "crs" ? "lng" : name, problem.message);
    }
  } else {
    showError(form, "-", error.status ? error.message : fallback);
  }
  form.querySelector('[aria-invalid="true"]')?.focus();
}
