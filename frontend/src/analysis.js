// The analysis page (研判分析): a stored month's diagnosis for the reader's area, drilled
// down from city to grid. Grids on the map are coloured by events or rate, or the map shows
// H3 hexagons with hot and cold spots and the weekly hours (analysis-views.js); the trend,
// each class's trend, the safe-place list, the anomalies with their evidence and the
// ranking follow; "see cases" (or a hexagon's click) lists the cases behind a figure
// through the case list's own filters (inside the reader's jurisdiction).
// A load is one ticket: only the newest draws and marks the page ready, so a slow answer
// to an earlier choice never paints over a later one.
// Names come from data other people typed: they go in as text nodes, never as HTML, and
// map tooltips get DOM nodes.

import "leaflet/dist/leaflet.css";
import "./analysis.css";
import L from "leaflet";
import { BarChart, LineChart } from "echarts/charts";
import { GridComponent, LegendComponent, TooltipComponent } from "echarts/components";
import * as echarts from "echarts/core";
import { CanvasRenderer } from "echarts/renderers";
import { classes, NO_DATA, RAMP_COLOURS, rampItems } from "./analysis-ramp.js";
import {
  busiestClasses,
  drawClassTrend,
  drawHexagonCaption,
  drawHexagonLegend,
  drawHexagonList,
  drawHours,
  drawSafePlaces,
  fetchSafePlaces,
  hexagonLayer,
  loadClassTrend,
  loadHexagons,
  resizeClassTrend,
  tickClasses,
  wireClassChoice,
} from "./analysis-views.js";
import { button, cell, element, fillTable } from "./lib/dom.js";
import { getList, send } from "./lib/http.js";
import { formatTime } from "./lib/time.js";
import { readJson, t } from "./strings.js";

echarts.use([BarChart, LineChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

const config = readJson("analysis-config");
const CASES_SHOWN = 100;
const state = {
  month: config.month,
  region: config.region,
  measure: "events",
  view: "grids", // or "hexagons"
  risk: "", // the hexagon view's one risk class, "" for all
  trendClasses: null, // the classes charted by class; null until the reader ticks some
  safeLevel: "community",
  path: [],
};
const regions = new Map(); // code -> the geo API's region (with children)
let map = null;
let layer = null;
let trendChart = null;
let loading = 0; // the newest load's ticket

function region(code) {
  if (!regions.has(code)) regions.set(code, send("GET", `/api/v1/geo/regions/${encodeURIComponent(code)}`));
  return regions.get(code);
}

/** The regions from the reader's own area down to `code`, each named (codes on hover). */
async function pathTo(code) {
  const steps = [];
  let current = await region(code);
  steps.unshift(current);
  while (current.code !== config.scopeCode && current.parent_code && steps.length < 6) {
    try {
      current = await region(current.parent_code);
    } catch {
      break; // above the reader's area: named by the API, not opened
    }
    steps.unshift(current);
  }
  return steps;
}

function named(text, code, tag = "span") {
  const node = element(tag, "", text);
  node.title = t("page.analysis.code", { code });
  return node;
}

function percent(value) {
  if (value === null || value === undefined) return "—";
  return `${value > 0 ? "+" : ""}${(value * 100).toFixed(1)}%`;
}

function fixed(value, digits) {
  return value === null || value === undefined ? "—" : value.toFixed(digits);
}

function drawPath() {
  document.getElementById("region-path").replaceChildren(
    ...state.path.map((step, index) => {
      const item = element("li");
      if (index === state.path.length - 1) {
        item.append(named(step.name, step.code));
        item.setAttribute("aria-current", "location");
      } else {
        const link = button(step.name, () => go(step.code), "link-button");
        link.title = t("page.analysis.code", { code: step.code });
        item.append(link);
      }
      return item;
    }),
  );
}

function drawDrill(current) {
  const select = document.getElementById("drill");
  const first = element("option", "", t("page.analysis.drill.choose"));
  first.value = "";
  const options = current.children.map((child) => {
    const option = element("option", "", child.name);
    option.value = child.code;
    option.title = t("page.analysis.code", { code: child.code });
    return option;
  });
  select.replaceChildren(first, ...options);
  document.getElementById("drill-field").hidden = options.length === 0;
}

function drawKpis(report, trend) {
  const events = report.grids.reduce((sum, grid) => sum + grid.events, 0);
  const month = trend.find((entry) => entry.month === report.month);
  document.getElementById("kpi-grids").textContent = report.grids.length.toLocaleString();
  document.getElementById("kpi-events").textContent = events.toLocaleString();
  document.getElementById("kpi-month_on_month").textContent = percent(month?.month_on_month);
  document.getElementById("kpi-year_on_year").textContent = percent(month?.year_on_year);
  const anomalies = report.grids.reduce((sum, grid) => sum + grid.anomalies, 0);
  document.getElementById("kpi-anomalies").textContent = anomalies.toLocaleString();
}

/** A grid with no stored row had no event that month (0); its rate needs residents. */
function value(grid) {
  return state.measure === "rate" ? grid?.rate_per_1000 ?? null : grid?.events ?? 0;
}

function drawLegend(step) {
  const items = rampItems(step, state.measure === "rate" ? 2 : 0);
  const none = element("span", "legend-item");
  none.append(element("span", "swatch ramp-none"), element("span", "", t("page.analysis.legend.none")));
  const title = element("strong", "", t(`page.analysis.measure.${state.measure}`));
  document.getElementById("map-legend").replaceChildren(title, ...items, none);
}

async function gridShapes(current) {
  if (current.level === "grid") {
    const parent = await region(current.parent_code);
    const shapes = await gridShapes(parent);
    return { ...shapes, features: shapes.features.filter((feature) => feature.id === current.code) };
  }
  if (!current.bbox) return { type: "FeatureCollection", features: [] };
  const bbox = current.bbox.map((number) => number.toFixed(6)).join(",");
  return send("GET", `/api/v1/geo/regions/${encodeURIComponent(current.code)}/grids.geojson?bbox=${bbox}`);
}

/** The map's one layer: the grids or the hexagons, fitted into view. */
function showLayer(next) {
  if (!map) {
    map = L.map("analysis-map", { zoomSnap: 0.25 });
    if (config.tileUrl) L.tileLayer(config.tileUrl, { attribution: config.tileAttribution }).addTo(map);
    document.getElementById("analysis-map").leafletMap = map;
  }
  layer?.remove();
  layer = next.addTo(map);
  if (layer.getBounds().isValid()) map.fitBounds(layer.getBounds(), { padding: [8, 8] });
}

function drawMap(report, shapes) {
  const grids = new Map(report.grids.map((grid) => [grid.grid_code, grid]));
  const { step, classOf } = classes(report.grids.map(value));
  const next = L.geoJSON(shapes, {
    style: (feature) => {
      const index = classOf(value(grids.get(feature.id)));
      return { color: "#555", weight: 1, fillColor: index < 0 ? NO_DATA : RAMP_COLOURS[index], fillOpacity: 0.8 };
    },
    onEachFeature: (feature, shape) => {
      const shown = value(grids.get(feature.id));
      const text = t("page.analysis.tooltip", {
        name: feature.properties.name,
        value: shown === null ? t("page.analysis.legend.none") : shown,
      });
      shape.bindTooltip(element("span", "", text));
      shape.on("click", () => go(feature.id));
    },
  });
  showLayer(next);
  drawLegend(step);
  document.getElementById("hex-caption").hidden = true;
}

function showHexagonCases(hexagon) {
  return showCases({
    region: state.region,
    hexagon: hexagon.cell,
    place: t("page.analysis_views.hex.place", { cell: hexagon.cell }),
    riskClass: state.risk || null,
    what: state.risk ? config.riskClasses[state.risk] : t("page.analysis.cases.all_classes"),
  });
}

function drawHexagons({ spots, hours }) {
  const { layer: next, step } = hexagonLayer(spots, showHexagonCases);
  showLayer(next);
  drawHexagonLegend(step);
  drawHexagonCaption(state, spots);
  drawHexagonList(spots, showHexagonCases);
  drawHours(hours);
}

function drawTrend(trend) {
  trendChart ??= echarts.init(document.getElementById("trend-chart"), null, { renderer: "canvas" });
  trendChart.setOption({
    tooltip: { trigger: "axis", renderMode: "richText" },
    legend: { top: 0 },
    grid: { left: 40, right: 16, top: 32, bottom: 28 },
    xAxis: { type: "category", data: trend.map((entry) => entry.month) },
    yAxis: { type: "value", minInterval: 1 },
    series: [
      { name: t("page.analysis.trend.events"), type: "bar", itemStyle: { color: "#2386b8" }, data: trend.map((e) => e.events) },
      { name: t("page.analysis.trend.year_ago"), type: "line", itemStyle: { color: "#e4572e" }, data: trend.map((e) => e.year_ago) },
    ],
  });
  fillTable(
    "trend-table",
    [...trend].reverse().map((entry) => [
      entry.month,
      entry.events.toLocaleString(),
      percent(entry.month_on_month),
      percent(entry.year_on_year),
    ]),
  );
}

function casesButton(what) {
  return button(t("page.analysis.see_cases"), () => showCases(what));
}

function drawAnomalies(report) {
  const rows = [];
  for (const grid of report.grids) {
    for (const risk of grid.risks.filter((item) => item.anomaly)) rows.push({ grid, risk });
  }
  rows.sort((a, b) => a.risk.q_value - b.risk.q_value);
  fillTable(
    "anomalies",
    rows.map(({ grid, risk }) => {
      const row = document.createElement("tr");
      row.dataset.grid = grid.grid_code;
      row.dataset.risk = risk.risk_class;
      row.append(
        cell(named(grid.name, grid.grid_code)),
        cell(risk.name),
        cell(risk.events),
        cell(fixed(risk.baseline_mean, 2)),
        cell(t("page.analysis.test.poisson")),
        cell(risk.p_value.toExponential(2)),
        cell(risk.q_value.toExponential(2)),
        cell(grid.problems),
        cell(casesButton({ region: grid.grid_code, place: grid.name, riskClass: risk.risk_class, what: risk.name })),
      );
      return row;
    }),
  );
  document.getElementById("anomalies-none").hidden = rows.length > 0;
}

function drawRanking(report) {
  fillTable(
    "ranking",
    report.grids.map((grid) => {
      const row = document.createElement("tr");
      row.dataset.grid = grid.grid_code;
      row.append(
        cell(grid.rank),
        cell(named(grid.name, grid.grid_code)),
        cell(grid.events),
        cell(fixed(grid.rate_per_1000, 2)),
        cell(percent(grid.month_on_month)),
        cell(percent(grid.year_on_year)),
        cell(grid.anomalies),
        cell(casesButton({ region: grid.grid_code, place: grid.name, riskClass: null, what: t("page.analysis.cases.all_classes") })),
      );
      return row;
    }),
  );
}

async function showCases({ region: code, hexagon, place, riskClass, what }) {
  const panel = document.getElementById("cases-panel");
  panel.dataset.state = "loading";
  const params = new URLSearchParams({ region: code, month: state.month, limit: String(CASES_SHOWN) });
  if (riskClass) params.set("risk_class", riskClass);
  if (hexagon) params.set("hexagon", hexagon);
  const { items, total } = await getList(`/api/v1/cases?${params}`);
  const caption = [t("page.analysis.cases.of", { place, what, month: state.month, total })];
  if (total > items.length) caption.push(t("page.analysis.cases.more", { shown: items.length }));
  if (!total) caption.push(t("page.analysis.cases.none"));
  document.getElementById("cases-caption").textContent = caption.join(" ");
  fillTable(
    "cases",
    items.map((item) => [item.number, t(`case.status.${item.status}`), formatTime(item.created_at), item.description]),
  );
  document.getElementById("cases").hidden = items.length === 0;
  panel.dataset.state = "ready";
  panel.scrollIntoView({ block: "start" });
}

function exportLinks() {
  const query = new URLSearchParams({ month: state.month, region: state.region });
  document.getElementById("export-xlsx").href = `/api/v1/analysis/monthly.xlsx?${query}`;
  document.getElementById("export-pdf").href = `/api/v1/analysis/monthly.pdf?${query}`;
  const url = new URL(window.location.href);
  url.search = query.toString();
  window.history.replaceState(null, "", url);
}

/** Everything the page shows for the month, area and choices, read before any is drawn. */
async function fetchAll() {
  const query = new URLSearchParams({ month: state.month, region: state.region });
  const [current, report, trend] = await Promise.all([
    region(state.region),
    send("GET", `/api/v1/analysis/monthly?${query}`),
    send("GET", `/api/v1/analysis/trend?region=${encodeURIComponent(state.region)}`),
  ]);
  const chosen = state.trendClasses ?? busiestClasses(report);
  const [path, shapes, hexagons, classLines, safe] = await Promise.all([
    pathTo(current.code),
    state.view === "grids" ? gridShapes(current) : null,
    state.view === "hexagons" ? loadHexagons(state) : null,
    loadClassTrend(current.code, chosen),
    fetchSafePlaces(state, state.safeLevel),
  ]);
  return { current, report, trend, chosen, path, shapes, hexagons, classLines, safe };
}

async function load() {
  const ticket = ++loading;
  const page = document.getElementById("analysis");
  const failure = document.getElementById("analysis-error");
  page.dataset.state = "loading";
  failure.hidden = true;
  try {
    const found = await fetchAll();
    if (ticket !== loading) return; // a later choice is loading: it draws, not this one
    state.report = found.report;
    state.shapes = found.shapes;
    state.path = found.path;
    drawPath();
    drawDrill(found.current);
    drawKpis(found.report, found.trend);
    drawTrend(found.trend);
    tickClasses(found.chosen);
    drawClassTrend(config.riskClasses, found.classLines);
    drawSafePlaces(state, found.safe, config.riskClasses);
    drawAnomalies(found.report);
    drawRanking(found.report);
    exportLinks();
    drawViewFields();
    if (found.hexagons) drawHexagons(found.hexagons);
    else drawMap(found.report, found.shapes);
    page.dataset.region = found.current.code;
    page.dataset.view = state.view;
    page.dataset.state = "ready";
  } catch (error) {
    if (ticket !== loading) return;
    failure.textContent = t("page.analysis.failed", { message: error.message });
    failure.hidden = false;
    page.dataset.state = "failed";
  }
}

/** The grid view colours by a measure; the hexagon view counts one class or all. */
function drawViewFields() {
  const hexagons = state.view === "hexagons";
  document.getElementById("measure").closest(".field").hidden = hexagons;
  document.getElementById("risk-field").hidden = !hexagons;
  document.getElementById("hours-panel").hidden = !hexagons;
}

function go(code) {
  if (code === state.region) return;
  state.region = code;
  load();
}

function wire() {
  const month = document.getElementById("month");
  month.replaceChildren(
    ...config.months.map((item) => {
      const option = element("option", "", item);
      option.value = item;
      option.selected = item === state.month;
      return option;
    }),
  );
  month.addEventListener("change", () => {
    state.month = month.value;
    load();
  });
  const measure = document.getElementById("measure");
  measure.addEventListener("change", () => {
    state.measure = measure.value;
    if (state.report && state.shapes) drawMap(state.report, state.shapes);
  });
  const view = document.getElementById("map-view");
  view.addEventListener("change", () => {
    state.view = view.value;
    load();
  });
  const risk = document.getElementById("hex-risk");
  const all = element("option", "", t("page.analysis_views.risk.all"));
  all.value = "";
  risk.replaceChildren(
    all,
    ...Object.entries(config.riskClasses).map(([code, name]) => {
      const option = element("option", "", name);
      option.value = code;
      return option;
    }),
  );
  risk.addEventListener("change", () => {
    state.risk = risk.value;
    load();
  });
  wireClassChoice(config.riskClasses, (codes) => {
    state.trendClasses = codes;
    load();
  });
  const level = document.getElementById("safe-level");
  level.addEventListener("change", () => {
    state.safeLevel = level.value;
    load();
  });
  document.getElementById("drill").addEventListener("change", (event) => {
    if (event.target.value) go(event.target.value);
  });
  window.addEventListener("resize", () => {
    trendChart?.resize();
    resizeClassTrend();
  });
}

wire();
load();
