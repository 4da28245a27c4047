// The queue's column filters on the workbench (channel, department, area, deadline, order)
// and the Excel export of exactly what they list: the same parameters go to
// GET /api/v1/cases and GET /api/v1/cases/export.xlsx, both inside the reader's area.

import { send } from "./lib/http.js";
import { regionPicker, showRegion } from "./lib/region-picker.js";
import { t } from "./strings.js";

const FIELDS = ["channel", "department", "region", "due_before", "sort"];

/** Wires the filter form; `onChange` reloads the queue. Returns a reader of the chosen filters. */
export function wireFilters(onChange) {
  const form = document.getElementById("queue-filters");
  if (!form) return () => ({});
  fillDepartments(form.elements.department);
  regionPicker(form.elements.region);
  const chosen = () => {
    const values = {};
    for (const name of FIELDS) {
      const value = form.elements[name].value.trim();
      if (!value) continue;
      // A day picked in the browser is the end of that day in Beijing time.
      values[name] = name === "due_before" ? `${value}T23:59:59+08:00` : value;
    }
    return values;
  };
  form.addEventListener("change", (event) => {
    // The region picker's own search box changes nothing until a region is chosen.
    if (!event.target.closest(".region-picker")) onChange();
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (form.reportValidity()) onChange();
  });
  wireSaved(form, chosen, onChange);
  return chosen;
}

/** The user's saved filters (stored on the server, theirs alone): pick one, save, delete. */
function wireSaved(form, chosen, onChange) {
  const picker = document.getElementById("saved-filter");
  if (!picker) return;
  const load = async () => {
    const saved = await send("GET", "/api/v1/cases/filters").catch(() => []);
    picker.replaceChildren(
      new Option(t("page.faces_map.saved.none"), ""),
      ...saved.map((item) => {
        const option = new Option(item.name, String(item.id));
        option.dataset.query = item.query;
        return option;
      }),
    );
  };
  picker.addEventListener("change", () => {
    const option = picker.selectedOptions[0];
    if (!option?.value) return;
    const query = new URLSearchParams(option.dataset.query);
    for (const name of FIELDS) {
      const value = query.get(name) ?? "";
      form.elements[name].value = name === "due_before" ? value.slice(0, 10) : value;
    }
    showRegion(form.elements.region);
    if (!form.elements.sort.value) form.elements.sort.value = "-created";
    onChange();
  });
  document.getElementById("saved-filter-save").addEventListener("click", async () => {
    const name = document.getElementById("saved-filter-name").value.trim();
    if (!name || !form.reportValidity()) return;
    const query = new URLSearchParams(chosen()).toString();
    const saved = await send("POST", "/api/v1/cases/filters", { name, query });
    await load();
    picker.value = String(saved.id);
  });
  document.getElementById("saved-filter-delete").addEventListener("click", async () => {
    if (!picker.value) return;
    await send("DELETE", `/api/v1/cases/filters/${encodeURIComponent(picker.value)}`);
    await load();
  });
  load();
}

/** Points the export link at the queue as listed now (tab, search and filters). */
export function showExport(params) {
  const link = document.getElementById("queue-export");
  if (!link) return;
  const query = new URLSearchParams(params);
  query.delete("limit");
  query.delete("offset");
  link.href = `/api/v1/cases/export.xlsx?${query}`;
}

async function fillDepartments(select) {
  try {
    const departments = await send("GET", "/api/v1/departments");
    select.append(...departments.map((department) => new Option(department.name, department.code)));
  } catch {
    select.title = t("page.faces_map.filters.departments_failed");
  }
}
