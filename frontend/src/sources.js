// The data sources page (数据汇聚): the area's sources and their saved column mappings,
// a file upload answered by its row report (a file with any bad row imports nothing),
// and the watched folder's latest runs. File names, headings and type values come from
// other systems: all of it goes in as text.

import { clearErrors, showError, showFailure } from "./forms.js";
import { button, element, fillTable } from "./lib/dom.js";
import { send } from "./lib/http.js";
import { formatTime } from "./lib/time.js";
import { readJson, t } from "./strings.js";

const config = readJson("sources-config");
const FIELDS = ["record_id", "occurred_at", "type", "status", "lng", "lat", "grid_code", "address"];
let sources = [];

function failed(error) {
  return t("page.sources.failed", { message: error.message });
}

function riskName(code) {
  return config.riskClasses[code] ?? code;
}

function showMapping(source) {
  const { mapping } = source;
  document.getElementById("mapping-heading").textContent = t("page.sources.mapping", { name: source.name });
  fillTable(
    "mapping-columns",
    FIELDS.filter((field) => mapping.columns[field]).map((field) => [t(`sources.column.${field}`), mapping.columns[field]]),
  );
  document.getElementById("mapping-time").textContent = mapping.time_format
    ? t("page.sources.mapping.time_format", { value: mapping.time_format })
    : t("page.sources.mapping.time_auto");
  document.getElementById("mapping-default").textContent = mapping.default_class
    ? t("page.sources.mapping.default_class", { value: riskName(mapping.default_class) })
    : t("page.sources.mapping.no_default");
  fillTable(
    "mapping-classes",
    Object.entries(mapping.classes).map(([type, code]) => [type, riskName(code)]),
  );
  document.getElementById("mapping").hidden = false;
}

function drawSources() {
  fillTable(
    "sources",
    sources.map((source) => [
      source.name,
      t(`page.sources.kind.${source.kind}`),
      source.region_code,
      source.records.toLocaleString(),
      formatTime(source.updated_at),
      button(t("page.sources.show_mapping"), () => showMapping(source)),
    ]),
  );
  document.getElementById("sources-none").hidden = sources.length > 0;
  const select = document.getElementById("upload-source");
  select.replaceChildren(
    ...sources.map((source) => {
      const option = element("option", "", `${source.name} · ${t(`page.sources.kind.${source.kind}`)}`);
      option.value = source.name;
      return option;
    }),
  );
}

function showReport(report) {
  let summary = t("page.sources.report.summary", report);
  if (report.dry_run) summary = t("page.sources.report.dry_run", report);
  else if (report.refused) summary = t("page.sources.report.refused", report);
  const line = document.getElementById("report-summary");
  line.textContent = summary;
  line.dataset.refused = String(report.refused);
  fillTable(
    "report-errors",
    report.errors.map((problem) => [String(problem.row), problem.column, problem.message]),
  );
  document.getElementById("report-errors").hidden = report.errors.length === 0;
  document.getElementById("report").hidden = false;
}

function wireUpload() {
  const form = document.getElementById("upload-form");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    if (!form.file.files.length) {
      showError(form, "file", t("page.sources.upload.required"));
      form.file.focus();
      return;
    }
    const body = new FormData();
    body.append("file", form.file.files[0]);
    body.append("dry_run", form.dry_run.checked ? "true" : "false");
    try {
      const name = encodeURIComponent(form.source.value);
      showReport(await send("POST", `/api/v1/analysis/sources/${name}/imports`, body));
      await loadSources();
    } catch (error) {
      showFailure(form, error, failed(error));
    }
  });
}

async function drawDrops() {
  const answers = await Promise.all(
    sources.map((source) =>
      send("GET", `/api/v1/analysis/sources/${encodeURIComponent(source.name)}/drops`).then((drops) => ({ source, drops })),
    ),
  );
  const runs = answers
    .flatMap(({ source, drops }) => drops.runs.map((run) => ({ source, run })))
    .sort((a, b) => b.run.taken_at.localeCompare(a.run.taken_at));
  const watched = answers.some(({ drops }) => drops.watched);
  fillTable(
    "drops",
    runs.map(({ source, run }) => {
      const report = element("pre", "drop-report", run.report.join("\n"));
      return [source.name, run.file, t(`page.sources.outcome.${run.outcome}`), formatTime(run.taken_at), report];
    }),
  );
  document.getElementById("drops").hidden = runs.length === 0;
  const note = document.getElementById("drops-note");
  note.hidden = runs.length > 0;
  note.textContent = watched || !sources.length ? t("page.sources.drops.none") : t("page.sources.drops.unset");
}

async function loadSources() {
  sources = await send("GET", "/api/v1/analysis/sources");
  drawSources();
}

async function start() {
  const page = document.getElementById("sources-page");
  wireUpload();
  try {
    await loadSources();
    await drawDrops();
    page.dataset.state = "ready";
  } catch (error) {
    const note = document.getElementById("drops-note");
    note.textContent = failed(error);
    note.hidden = false;
    page.dataset.state = "failed";
  }
}

start();
