// The analysis page's other views of the same month and area: the map by H3 hexagon with
// its hot and cold spots (Getis-Ord Gi*) and the day-of-week × hour pattern; each risk
// class's monthly trend; and the month's safe-place list (平安小区 / 零发案) with its
// workbook. Everything is read inside the reader's jurisdiction by the API; names go in as
// text nodes, map tooltips get DOM nodes, never HTML strings.

import L from "leaflet";
import { LineChart } from "echarts/charts";
import { GridComponent, LegendComponent, TooltipComponent } from "echarts/components";
import * as echarts from "echarts/core";
import { CanvasRenderer } from "echarts/renderers";
import { classes, NO_DATA, RAMP_COLOURS, rampItems } from "./analysis-ramp.js";
import { button, cell, element, fillTable } from "./lib/dom.js";
import { send } from "./lib/http.js";
import { t } from "./strings.js";

echarts.use([LineChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

const SPOT_COLOURS = { hot: "#b2182b", cold: "#2166ac", none: "#555" };
const TREND_MONTHS = 24; // the class trend reads at most the last two years of reports
const HEXAGONS_LISTED = 50; // the list under the map: the spots and the busiest others
const DEFAULT_CLASSES = 3; // the month's busiest classes are charted until the reader chooses
const LINE_COLOURS = ["#2386b8", "#e4572e", "#3a9e5c", "#8e5bb5", "#d4a017", "#555"];
let classChart = null;

// --- the hexagon map ------------------------------------------------------------------

function areaQuery(state) {
  const query = new URLSearchParams({ window: state.month, region: state.region });
  if (state.risk) query.set("classes", state.risk);
  return query;
}

/** The hexagons of the month and area with Gi*, and the weekly hours, in one go. */
export async function loadHexagons(state) {
  const query = areaQuery(state);
  const [spots, hours] = await Promise.all([
    send("GET", `/api/v1/analysis/hotspots?${query}`),
    send("GET", `/api/v1/analysis/hotspots/hours?${query}`),
  ]);
  return { spots, hours };
}

/** Hexagons filled by their count, outlined red (hot) or blue (cold); a click drills to
 * the cases behind one. Each shape carries its H3 index as `data-cell`. */
export function hexagonLayer(spots, onPick) {
  const { step, classOf } = classes(spots.features.map((feature) => feature.properties.events));
  const layer = L.geoJSON(spots, {
    style: ({ properties }) => ({
      color: SPOT_COLOURS[properties.spot],
      weight: properties.spot === "none" ? 1 : 3,
      fillColor: properties.events ? RAMP_COLOURS[classOf(properties.events)] : NO_DATA,
      fillOpacity: 0.75,
    }),
    onEachFeature: ({ properties }, shape) => {
      const text = t("page.analysis_views.hex.tooltip", {
        events: properties.events,
        spot: t(`page.analysis_views.hex.${properties.spot}`),
        q: properties.q.toFixed(3),
      });
      shape.bindTooltip(element("span", "", text));
      shape.on("add", () => {
        const path = shape.getElement();
        path?.setAttribute("data-cell", properties.cell);
        path?.setAttribute("data-spot", properties.spot);
      });
      shape.on("click", () => onPick(properties));
    },
  });
  return { layer, step };
}

export function drawHexagonLegend(step) {
  const spots = ["hot", "cold"].map((spot) => {
    const item = element("span", "legend-item");
    item.append(element("span", `swatch spot-${spot}`), element("span", "", t(`page.analysis_views.hex.${spot}`)));
    return item;
  });
  const title = element("strong", "", t("page.analysis_views.hex.legend"));
  document.getElementById("map-legend").replaceChildren(title, ...rampItems(step, 0), ...spots);
}

export function drawHexagonCaption(state, spots) {
  const caption = document.getElementById("hex-caption");
  const features = spots.features.map((feature) => feature.properties);
  const count = (spot) => features.filter((item) => item.spot === spot).length;
  caption.textContent = features.length
    ? t("page.analysis_views.hex.caption", {
        month: state.month,
        hexagons: features.length,
        events: features.reduce((sum, item) => sum + item.events, 0),
        hot: count("hot"),
        cold: count("cold"),
        alpha: spots.alpha,
      })
    : t("page.analysis_views.hex.empty", { month: state.month });
  caption.hidden = false;
}

/** The hexagons as a table, hot spots first then the busiest, each with its cases: the
 * map's click for a keyboard, and the figures a leader reads out. */
export function drawHexagonList(spots, onPick) {
  const order = { hot: 0, cold: 1, none: 2 };
  const hexagons = spots.features
    .map((feature) => feature.properties)
    .sort((a, b) => order[a.spot] - order[b.spot] || b.events - a.events || a.cell.localeCompare(b.cell))
    .slice(0, HEXAGONS_LISTED);
  fillTable(
    "hex-list",
    hexagons.map((hexagon) => {
      const row = document.createElement("tr");
      row.dataset.cell = hexagon.cell;
      row.dataset.spot = hexagon.spot;
      row.append(
        cell(hexagon.cell),
        cell(hexagon.events),
        cell(element("span", `spot-label spot-label-${hexagon.spot}`, t(`page.analysis_views.hex.${hexagon.spot}`))),
        cell(hexagon.z.toFixed(2)),
        cell(hexagon.q.toExponential(2)),
        cell(button(t("page.analysis.see_cases"), () => onPick(hexagon))),
      );
      return row;
    }),
  );
}

/** The 7 × 24 matrix as a table, each cell shaded by the ramp and named in its title. */
export function drawHours(hours) {
  const { classOf } = classes(hours.matrix.flat());
  fillTable(
    "hours",
    hours.matrix.map((counts, day) => {
      const row = document.createElement("tr");
      row.append(cell(hours.days[day], "th"));
      counts.forEach((events, hour) => {
        const node = cell(events);
        if (events) node.className = `ramp-${classOf(events)}`;
        node.title = t("page.analysis_views.hours.cell", { day: hours.days[day], hour, events });
        row.append(node);
      });
      return row;
    }),
  );
  document.getElementById("hours-total").textContent = t("page.analysis_views.hours.total", { total: hours.total });
}

// --- the trend per risk class -----------------------------------------------------------

/** The month's busiest classes in the report, for the chart until the reader chooses. */
export function busiestClasses(report) {
  const totals = new Map();
  for (const grid of report.grids) {
    for (const risk of grid.risks) totals.set(risk.risk_class, (totals.get(risk.risk_class) ?? 0) + risk.events);
  }
  return [...totals]
    .filter(([, events]) => events > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, DEFAULT_CLASSES)
    .map(([code]) => code);
}

/** One checkbox per risk class, named; `onChange` gets the codes ticked. */
export function wireClassChoice(names, onChange) {
  const boxes = document.getElementById("class-boxes");
  for (const [code, name] of Object.entries(names)) {
    const label = element("label", "class-box");
    const box = document.createElement("input");
    box.type = "checkbox";
    box.value = code;
    box.addEventListener("change", () => {
      onChange([...boxes.querySelectorAll("input:checked")].map((input) => input.value));
    });
    label.append(box, element("span", "", name));
    boxes.append(label);
  }
}

export function tickClasses(codes) {
  for (const box of document.querySelectorAll("#class-boxes input")) box.checked = codes.includes(box.value);
}

/** Each chosen class's monthly counts in the area, over the stored reports (last 24). */
export async function loadClassTrend(region, codes) {
  const area = encodeURIComponent(region);
  const series = await Promise.all(
    codes.map((code) =>
      send("GET", `/api/v1/analysis/trend?region=${area}&risk_class=${encodeURIComponent(code)}`),
    ),
  );
  return codes.map((code, index) => ({ code, months: series[index].slice(-TREND_MONTHS) }));
}

export function drawClassTrend(names, lines) {
  const months = lines[0]?.months.map((entry) => entry.month) ?? [];
  const empty = lines.every((line) => line.months.every((entry) => entry.events === 0));
  const chartBox = document.getElementById("class-trend-chart");
  document.getElementById("class-trend-hint").textContent = t("page.analysis_views.class_trend.hint", {
    months: Math.min(TREND_MONTHS, Math.max(months.length, 1)),
  });
  document.getElementById("class-trend-empty").hidden = !empty;
  chartBox.hidden = empty;
  drawClassTable(names, lines, months, empty);
  if (empty) return;
  classChart ??= echarts.init(chartBox, null, { renderer: "canvas" });
  classChart.resize();
  classChart.setOption(
    {
      color: LINE_COLOURS,
      tooltip: { trigger: "axis", renderMode: "richText" },
      legend: { top: 0, type: "scroll" },
      grid: { left: 40, right: 16, top: 36, bottom: 28 },
      xAxis: { type: "category", data: months },
      yAxis: { type: "value", minInterval: 1 },
      series: lines.map((line) => ({
        name: names[line.code] ?? line.code,
        type: "line",
        data: line.months.map((entry) => entry.events),
      })),
    },
    true,
  );
}

function drawClassTable(names, lines, months, empty) {
  const head = document.querySelector("#class-trend-table thead tr");
  head.replaceChildren(
    cell(t("page.analysis_views.class_trend.month"), "th"),
    ...lines.map((line) => cell(names[line.code] ?? line.code, "th")),
  );
  for (const heading of head.children) heading.scope = "col";
  const rows = empty ? [] : [...months.keys()].reverse();
  fillTable(
    "class-trend-table",
    rows.map((index) => [months[index], ...lines.map((line) => line.months[index].events.toLocaleString())]),
  );
  document.getElementById("class-trend-table").hidden = empty;
}

export function resizeClassTrend() {
  classChart?.resize();
}

// --- the safe-place list ----------------------------------------------------------------

/** The month's communities or compounds of the area with their status, or null for a
 * month whose list was not produced (the page says so rather than failing). */
export async function fetchSafePlaces(state, level) {
  const query = new URLSearchParams({ month: state.month, region: state.region, level });
  try {
    return await send("GET", `/api/v1/analysis/safe-places?${query}`);
  } catch (error) {
    if (error.status === 404) return null;
    throw error;
  }
}

/** The list as a leader publishes it: how many are safe, the classes counted, each place
 * with its status, and the workbook of the same rows. */
export function drawSafePlaces(state, found, names) {
  const link = document.getElementById("safe-export");
  const query = new URLSearchParams({ month: state.month, region: state.region, level: state.safeLevel });
  link.href = `/api/v1/analysis/safe-places.xlsx?${query}`;
  link.hidden = found === null;
  const summary = document.getElementById("safe-summary");
  const counted = document.getElementById("safe-classes");
  if (found === null) {
    summary.textContent = t("page.analysis_views.safe.missing", { month: state.month });
    counted.textContent = "";
    fillTable("safe-places", []);
    return;
  }
  summary.textContent = t("page.analysis_views.safe.summary", {
    month: found.month,
    safe: found.safe,
    total: found.places.length,
    level: t(`page.analysis_views.safe.level.${found.level}`),
  });
  counted.textContent = t("page.analysis_views.safe.classes", {
    classes: found.classes.map((code) => names[code] ?? code).join("、"),
  });
  fillTable(
    "safe-places",
    found.places.map((place) => {
      const row = document.createElement("tr");
      row.dataset.place = place.place_code;
      row.dataset.status = place.status;
      const name = element("span", "", place.name);
      name.title = t("page.analysis.code", { code: place.place_code });
      const status = element("span", `safe-status safe-${place.status}`, place.status_label);
      const published = place.published ? "page.analysis_views.safe.published" : "page.analysis_views.safe.unpublished";
      row.append(cell(name), cell(status), cell(place.events), cell(t(published)));
      return row;
    }),
  );
}
