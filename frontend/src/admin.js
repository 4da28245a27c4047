// The administrator's pages: accounts and roles, departments, categories with
// their time limits, routing rules, grid files with their check report, alarm rules
// (admin-alarm-rules.js), sensor threshold rules (admin-thresholds.js) and sensing
// devices (admin-devices.js).
// Every form is checked again by the API, whose refusals show at the field.

import "./admin.css";
import { accountActions, status, wireAccountDialog } from "./admin-accounts.js";
import { startAlarmRules } from "./admin-alarm-rules.js";
import { startDevices } from "./admin-devices.js";
import { startRoster } from "./admin-roster.js";
import { startRules } from "./admin-rules.js";
import { startScenes } from "./admin-scenes.js";
import { startThresholds } from "./admin-thresholds.js";
import { formBody, wireForm } from "./admin-forms.js";
import { clearErrors, showFailure } from "./forms.js";
import { kindName } from "./lib/department-kinds.js";
import { button, element, fillTable as fill, tableRow as row } from "./lib/dom.js";
import { send } from "./lib/http.js";
import { placeSearch } from "./lib/place-search.js";
import { regionName, regionNames } from "./lib/region-names.js";
import { regionPicker } from "./lib/region-picker.js";
import { readJson, t } from "./strings.js";

const config = readJson("admin-config");
let categories = [];
let editing = null; // the category whose time limits the dialog edits
let departmentList = [];
let departmentsAsked = null;
let categoriesAsked = null;

/** The departments, asked for once for every section that opens with them; `fresh` after
 * a change. */
function departments({ fresh = false } = {}) {
  if (fresh || !departmentsAsked) departmentsAsked = send("GET", "/api/v1/departments");
  return departmentsAsked;
}

/** Every category, inactive ones too (the time-limit table shows them all). */
function allCategories({ fresh = false } = {}) {
  if (fresh || !categoriesAsked) {
    categoriesAsked = send("GET", "/api/v1/categories?include_inactive=true").then((list) => list.items);
  }
  return categoriesAsked;
}

function failed() {
  return t("page.admin.failed");
}

async function loadUsers() {
  const [users, units] = await Promise.all([send("GET", "/api/v1/users"), departments()]);
  const names = new Map(units.map((item) => [item.id, item.name]));
  const regions = await regionNames(users.map((user) => user.scope_code));
  fill(
    "users-table",
    users.map((user) =>
      row([
        user.username,
        user.display_name,
        t(`page.role.${user.role}`),
        regionName(user.scope_code, regions),
        user.department_id ? (names.get(user.department_id) ?? user.department_id) : "",
        accountActions(user, () => departmentList, loadUsers),
      ]),
    ),
  );
}

async function loadDepartments(options) {
  const units = await departments(options);
  departmentList = units;
  const regions = await regionNames(units.map((item) => item.region_code));
  fill(
    "departments-table",
    units.map((item) =>
      row([item.code, item.name, kindName(item.kind), regionName(item.region_code, regions)]),
    ),
  );
  const select = document.getElementById("user-department");
  select.replaceChildren(
    new Option(t("page.admin.none"), ""),
    ...units.map((item) => new Option(item.name, item.code)),
  );
}

function openSla(category) {
  editing = category;
  const form = document.getElementById("sla-form");
  clearErrors(form);
  document.getElementById("sla-heading").textContent = `${category.code} ${category.name}`;
  for (const stage of config.stages) form[stage].value = category.sla_hours[stage] ?? "";
  form.hour_basis.value = category.hour_basis;
  document.getElementById("sla-dialog").showModal();
}

async function loadCategories(options) {
  categories = await allCategories(options);
  fill(
    "categories-table",
    categories
      .filter((item) => item.level === 2)
      .map((item) =>
        row([
          item.code,
          item.name,
          ...config.stages.map((stage) => item.sla_hours[stage] ?? "—"),
          t(`page.admin.basis.${item.hour_basis}`),
          // Time limits are the whole city's: only a city administrator is offered the editor.
          config.cityAdmin ? button(t("page.admin.category.edit"), () => openSla(item)) : "",
        ]),
      ),
  );
}

async function loadResources() {
  const resources = await send("GET", "/api/v1/resources");
  const regions = await regionNames(resources.map((resource) => resource.region_code));
  fill(
    "resources-table",
    resources.map((resource) =>
      row([
        t(`resource.kind.${resource.kind}`),
        resource.name,
        resource.contact,
        regionName(resource.region_code, regions),
        button(t("page.admin.delete"), async () => {
          await send("DELETE", `/api/v1/resources/${resource.id}`);
          await loadResources();
        }),
      ]),
    ),
  );
}

function reportLines(listId, lines) {
  document.getElementById(listId).replaceChildren(...lines.map((line) => element("li", "", line)));
}

/** Accounts' areas, departments' regions and duty centres are chosen by name (departments
 * sit at most at a community; the roster's centres are cities, districts and streets). */
function wirePickers() {
  for (const id of ["user-scope", "account-scope"]) {
    const input = document.getElementById(id);
    if (input) regionPicker(input);
  }
  regionPicker(document.getElementById("department-region"), { deepest: "community" });
  regionPicker(document.getElementById("roster-region"), { deepest: "street" });
}

/** A department kind is chosen by name; "another kind" opens a box for a new kind's code. */
function wireDepartmentKind() {
  const form = document.getElementById("department-form");
  form.kind.addEventListener("change", () => {
    const other = form.kind.selectedOptions[0]?.hasAttribute("data-other") ?? false;
    form.kind_other.hidden = !other;
    form.kind_other.required = other;
    if (other) form.kind_other.focus();
  });
}

/** The department form's fields, the kind taken from the new-kind box when it is open. */
function departmentBody(form) {
  const body = formBody(form);
  delete body.kind_other;
  if (!form.kind_other.hidden) body.kind = form.kind_other.value.trim();
  return body;
}

function wireForms() {
  wirePickers();
  wireForm("user-form", async (form) => {
    const created = await send("POST", "/api/v1/users", formBody(form));
    form.reset();
    status(t("page.admin.account.created", { username: created.username }));
    await loadUsers();
  });
  wireDepartmentKind();
  wireForm("department-form", async (form) => {
    await send("POST", "/api/v1/departments", departmentBody(form));
    form.reset();
    form.kind_other.hidden = true;
    await loadDepartments({ fresh: true });
  });
  placeSearch(document.getElementById("resource-place"), {
    status: document.getElementById("resource-place-status"),
    onChoose: (hit) => {
      if (hit.lng === null) return;
      document.getElementById("resource-lng").value = String(hit.lng);
      document.getElementById("resource-lat").value = String(hit.lat);
    },
  });
  wireForm("resource-form", async (form) => {
    const body = formBody(form);
    await send("POST", "/api/v1/resources", { ...body, lng: Number(body.lng), lat: Number(body.lat) });
    form.reset();
    await loadResources();
  });
  wireAccountDialog(loadUsers);
  if (config.cityAdmin) wireCitySettings();
}

/** The taxonomy in force, the category workbook and time limits: forms only a city
 * administrator's page has. */
function wireCitySettings() {
  wireForm("taxonomy-form", async (form) => {
    const name = form.choice.selectedOptions[0].textContent;
    if (!window.confirm(t("page.admin.taxonomy_in_force.confirm", { name }))) return;
    await send("PUT", "/api/v1/categories/taxonomy-in-force", { choice: form.choice.value });
    const line = document.getElementById("taxonomy-status");
    line.textContent = t("page.admin.taxonomy_in_force.saved", { name });
    line.hidden = false;
  });
  wireForm("category-import-form", async (form) => {
    const upload = new FormData();
    upload.append("file", form.file.files[0]);
    const report = await send("POST", "/api/v1/categories/import", upload);
    reportLines("category-import-report", [
      t("page.admin.category.imported", report),
      ...report.errors.map((error) => `${error.row} ${error.column}: ${error.message}`),
    ]);
    await loadCategories({ fresh: true });
  });
  wireForm("grid-form", async (form) => {
    const report = await send("POST", "/api/v1/geo/grids/import", new FormData(form));
    reportLines("grid-report", report.lines);
    document.getElementById("grid-report").dataset.ok = String(report.ok);
  });
  const sla = document.getElementById("sla-form");
  document.getElementById("sla-cancel").addEventListener("click", () => {
    document.getElementById("sla-dialog").close();
  });
  sla.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(sla);
    const hours = {};
    for (const stage of config.stages) {
      if (sla[stage].value !== "") hours[stage] = Number(sla[stage].value);
    }
    try {
      await send("PUT", `/api/v1/categories/${encodeURIComponent(editing.code)}`, {
        sla_hours: hours,
        hour_basis: sla.hour_basis.value,
      });
      document.getElementById("sla-dialog").close();
      await loadCategories({ fresh: true });
    } catch (error) {
      showFailure(sla, error, failed());
    }
  });
}

// A dispatcher's page holds the devices section alone.
const settings = config.administrator
  ? [
      loadUsers(),
      loadDepartments(),
      loadCategories(),
      startRoster(),
      loadResources(),
      startAlarmRules(config),
      ...(config.cityAdmin ? [startThresholds()] : []),
    ]
  : [];
if (config.administrator) {
  wireForms();
  settings.push(startRules({ categories: allCategories, departments }));
}
const sensing = config.mayKeepDevices ? [startDevices(config), startScenes(config)] : [];
Promise.all([...settings, ...sensing]).finally(() => {
  document.getElementById("admin").dataset.state = "ready";
});
