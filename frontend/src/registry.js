// The registry page for staff: find residents (exact by ID number or phone, by
// name within a community), reveal one masked value with a reason (audited),
// import a file with its row report, and read the audit of reveals.
// Every number arrives masked from the API; only a reveal returns one in full.

import "./registry.css";
import { clearErrors, showError, showFailure } from "./forms.js";
import { button, fillTable } from "./lib/dom.js";
import { send } from "./lib/http.js";
import { formatTime } from "./lib/time.js";
import { readJson, t } from "./strings.js";

const config = readJson("registry-config");
const LEVEL_BELOW = { city: "district", district: "street", street: "community" };
let revealing = null; // the resident whose value the dialog reveals

function failed() {
  return t("page.registry.failed");
}

/** The communities inside the user's scope, walking down from it level by level. */
async function communities(code) {
  const region = await send("GET", `/api/v1/geo/regions/${encodeURIComponent(code)}`);
  if (region.level === "community") return [region];
  if (region.level === "grid") {
    return communities(region.parent_code);
  }
  const below = region.children.filter((child) => child.level === LEVEL_BELOW[region.level]);
  const nested = await Promise.all(below.map((child) => communities(child.code)));
  return nested.flat();
}

async function fillCommunities() {
  const select = document.getElementById("community");
  if (select.options.length || !config.scopeCode) return;
  try {
    for (const community of await communities(config.scopeCode)) {
      select.append(new Option(`${community.name}（${community.code}）`, community.code));
    }
  } catch (error) {
    showFailure(document.getElementById("search-form"), error, failed());
  }
}

function searchQuery(form) {
  const mode = form.mode.value;
  const value = form.query.value.trim();
  if (mode === "name") {
    return new URLSearchParams({ community: form.community.value, name: value });
  }
  return new URLSearchParams({ [mode]: value });
}

function revealButton(resident) {
  if (!config.mayReveal) return "";
  const reveal = button(t("page.registry.reveal.open"), () => openReveal(resident));
  reveal.setAttribute("aria-label", t("page.registry.reveal.open_for", { name: resident.name }));
  return reveal;
}

function showResidents(residents) {
  const table = document.getElementById("residents");
  fillTable(
    "residents",
    residents.map((resident) => [
      resident.name,
      resident.document_number,
      resident.phone,
      t(`page.registry.residence.${resident.residence_kind}`),
      resident.address,
      resident.region_code,
      revealButton(resident),
    ]),
  );
  table.hidden = residents.length === 0;
  document.getElementById("search-empty").hidden = residents.length !== 0;
}

function wireSearch() {
  const form = document.getElementById("search-form");
  const modeChanged = () => {
    const byName = form.mode.value === "name";
    document.getElementById("community-field").hidden = !byName;
    document.getElementById("query-label").textContent = t(
      `page.registry.search.query.${form.mode.value}`,
    );
    if (byName) fillCommunities();
  };
  for (const radio of form.querySelectorAll("input[name=mode]")) {
    radio.addEventListener("change", modeChanged);
  }
  modeChanged();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    if (!form.query.value.trim()) {
      showError(form, "query", t("page.registry.required"));
      form.query.focus();
      return;
    }
    try {
      showResidents(await send("GET", `/api/v1/registry/residents?${searchQuery(form)}`));
    } catch (error) {
      showFailure(form, error, failed());
    }
  });
}

function openReveal(resident) {
  revealing = resident;
  const dialog = document.getElementById("reveal-dialog");
  const form = document.getElementById("reveal-form");
  clearErrors(form);
  form.reset();
  document.getElementById("reveal-value").hidden = true;
  dialog.showModal();
  form.reason.focus();
}

function wireReveal() {
  const dialog = document.getElementById("reveal-dialog");
  const form = document.getElementById("reveal-form");
  document.getElementById("reveal-cancel").addEventListener("click", () => dialog.close());
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const reason = form.reason.value.trim();
    if (!reason) {
      showError(form, "reason", t("page.registry.required"));
      form.reason.focus();
      return;
    }
    try {
      const shown = await send(
        "POST",
        `/api/v1/registry/residents/${encodeURIComponent(revealing.id)}/reveal`,
        { field: form.field.value, reason },
      );
      const output = document.getElementById("reveal-value");
      output.textContent = t("page.registry.reveal.value", { value: shown.value });
      output.hidden = false;
    } catch (error) {
      showFailure(form, error, failed());
    }
  });
}

function showReport(report) {
  let summaryKey = "page.registry.import.summary";
  if (report.dry_run) summaryKey = "page.registry.import.summary_dry_run";
  else if (report.refused) summaryKey = "page.registry.import.summary_refused";
  document.getElementById("import-summary").textContent = t(summaryKey, report);
  const table = document.getElementById("import-errors");
  fillTable(
    "import-errors",
    report.errors.map((problem) => [String(problem.row), problem.column, problem.message]),
  );
  table.hidden = report.errors.length === 0;
  document.getElementById("import-report").hidden = false;
}

function wireImport() {
  const form = document.getElementById("import-form");
  if (!form) return;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    if (!form.file.files.length) {
      showError(form, "file", t("page.registry.required"));
      form.file.focus();
      return;
    }
    const body = new FormData(form);
    try {
      // The report comes back whether or not anything was stored: it is what the clerk fixes.
      showReport(await send("POST", "/api/v1/registry/imports", body));
    } catch (error) {
      showFailure(form, error, failed());
    }
  });
}

function wireAudit() {
  const button = document.getElementById("audit-load");
  if (!button) return;
  button.addEventListener("click", async () => {
    const table = document.getElementById("audit");
    const reveals = await send("GET", "/api/v1/registry/reveals");
    fillTable(
      "audit",
      reveals.map((reveal) => [
        formatTime(reveal.at),
        reveal.username,
        `${t(`page.registry.subject.${reveal.subject_kind}`)} #${reveal.subject_id}`,
        t(`page.registry.col.${reveal.field}`),
        reveal.reason,
      ]),
    );
    table.hidden = reveals.length === 0;
    document.getElementById("audit-empty").hidden = reveals.length !== 0;
  });
}

wireSearch();
wireReveal();
wireImport();
wireAudit();
