// The duty roster (值班表) on the administrator's page: the coming week's duties of the
// area, a form to put a person on duty, a workbook to import and the week to export.
// The week is the server's default one, from the roster day of the shift running now
// (before 08:00 Beijing time that is the day before's night shift).

import { clearErrors, showError, showFailure } from "./forms.js";
import { button, fillTable, tableRow } from "./lib/dom.js";
import { send } from "./lib/http.js";
import { t } from "./strings.js";

function beijingDay() {
  return new Date().toLocaleDateString("en-CA", { timeZone: "Asia/Shanghai" });
}

async function loadRoster() {
  const duties = await send("GET", "/api/v1/roster");
  fillTable(
    "roster-table",
    duties.map((duty) =>
      tableRow([
        duty.day,
        duty.shift_label,
        duty.region_name,
        duty.display_name,
        duty.note,
        button(t("page.admin.delete"), async () => {
          await send("DELETE", `/api/v1/roster/${duty.id}`);
          await loadRoster();
        }),
      ]),
    ),
  );
}

function wire(id, submit) {
  const form = document.getElementById(id);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const empty = [...form.querySelectorAll("[required]")].filter((field) =>
      field.type === "file" ? !field.files.length : !field.value.trim(),
    );
    for (const field of empty) showError(form, field.name, t("page.admin.required"));
    if (empty.length) return;
    try {
      await submit(form);
      await loadRoster();
    } catch (error) {
      showFailure(form, error, t("page.admin.failed"));
    }
  });
}

export function startRoster() {
  const status = document.getElementById("roster-status");
  document.getElementById("roster-day").value = beijingDay();
  document.getElementById("roster-export").href = "/api/v1/roster/export.xlsx";
  wire("roster-form", async (form) => {
    const data = new FormData(form);
    await send("POST", "/api/v1/roster", Object.fromEntries(data.entries()));
    form.username.value = "";
    form.note.value = "";
  });
  wire("roster-import-form", async (form) => {
    const report = await send("POST", "/api/v1/roster/import", new FormData(form));
    status.textContent = t("page.admin.roster_imported", { count: report.stored });
    form.reset();
  });
  return loadRoster();
}
