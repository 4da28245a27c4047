// The command centre (综治中心大屏): the viewer's area on a dark 1920×1080 screen.
// The map colours each region one level down by its open cases (red edge when
// any is overdue); clicking a region, or its row in the table, drills down.
// New cases arrive over Server-Sent Events with a popup and an optional chime.
// Sensing devices are markers coloured by status, their last day's alarms a panel.
// Names on the map (regions, workers, resources) come from data other people typed:
// tooltips are DOM text nodes, never HTML strings.

import "leaflet/dist/leaflet.css";
import "./command.css";
import L from "leaflet";
import { CaseLayer } from "./case-points.js";
import * as sos from "./command-sos.js";
import { addBaseMap } from "./lib/basemap.js";
import { button, cell, element } from "./lib/dom.js";
import { send } from "./lib/http.js";
import { formatTime } from "./lib/time.js";
import { readJson, t } from "./strings.js";
import { alarmActions, drawHealth, flaggedDevices, flaggedTooltip, wireDismiss } from "./command-sensing.js";

const config = readJson("command-config");
const RAMP = ["#12355b", "#1b5e8c", "#2386b8", "#f0a202", "#e4572e"];
const REFRESH_MS = 60000;
const PEOPLE_MS = 30000;
const path = []; // [{ code, name }] from the viewer's own area down
let map = null;
let layer = null;
let cases = null; // the open cases themselves, clustered, above the regions
let soundOn = false;
let reloadTimer = null;
let field = null; // on-duty workers and emergency resources, above the regions
let sensing = null; // the area's devices, above the regions
const DEVICE_COLOURS = { online: "#13c2c2", offline: "#8c8c8c", disabled: "#262626" };
const DAY_MS = 24 * 3600 * 1000;

/** The charts come in their own bundle after the figures and map are up: ECharts is most of
 * the page's script, and the numbers should not wait for it. */
let chartsPicture = null;
let chartsRequested = false;

function drawCharts(picture) {
  chartsPicture = picture;
  if (window.civicgridCharts) {
    window.civicgridCharts.draw(picture);
    document.getElementById("centre").dataset.charts = "ready";
    return;
  }
  if (chartsRequested) return;
  chartsRequested = true;
  const script = document.createElement("script");
  script.src = config.chartsUrl;
  script.addEventListener("load", () => drawCharts(chartsPicture));
  document.head.append(script);
}

function drawKpis(picture) {
  for (const key of ["open", "overdue", "reported_today", "closed_today"]) {
    document.getElementById(`kpi-${key}`).textContent = picture[key].toLocaleString();
  }
  document.getElementById("kpi-satisfaction").textContent =
    picture.satisfaction === null ? "–" : picture.satisfaction.toFixed(2);
}

function drawPath() {
  const list = document.getElementById("region-path");
  list.replaceChildren(
    ...path.map((step, index) => {
      if (index === path.length - 1) {
        const item = element("li", "", step.name);
        item.setAttribute("aria-current", "location");
        return item;
      }
      const item = element("li");
      item.append(
        button(
          step.name,
          () => {
            path.splice(index + 1);
            load();
          },
          "",
        ),
      );
      return item;
    }),
  );
}

function drawChildren(picture) {
  const body = document.querySelector("#children-table tbody");
  body.replaceChildren(
    ...picture.children.map((child) => {
      const row = document.createElement("tr");
      const name = cell(
        picture.child_level ? button(child.name, () => drill(child.code, child.name), "") : "",
        "th",
      );
      name.scope = "row";
      row.append(name, ...[child.open, child.overdue, child.today].map((value) => cell(value)));
      row.classList.toggle("has-overdue", child.overdue > 0);
      return row;
    }),
  );
}

function colour(open, most) {
  if (!open) return RAMP[0];
  return RAMP[Math.min(RAMP.length - 1, 1 + Math.floor(((RAMP.length - 2) * open) / most))];
}

const shapesCache = new Map();

function features(code, level) {
  const key = `${code}/${level}`;
  if (!shapesCache.has(key)) shapesCache.set(key, fetchShapes(code, level));
  return shapesCache.get(key);
}

async function fetchShapes(code, level) {
  if (level === "grid") {
    const region = await send("GET", `/api/v1/geo/regions/${code}`);
    const bbox = region.bbox.map((value) => value.toFixed(6)).join(",");
    return send("GET", `/api/v1/geo/regions/${code}/grids.geojson?bbox=${bbox}`);
  }
  return send("GET", `/api/v1/geo/regions/${code}/features.geojson?level=${level}`);
}

async function drawMap(picture, shapesArriving) {
  if (!map) {
    map = L.map("command-map", { attributionControl: false, zoomSnap: 0.25 });
    addBaseMap(map, config);
    // Beneath the devices' pane (450): a cluster badge must not cover a device's marker.
    if (!map.getPane("cases")) map.createPane("cases").style.zIndex = 440;
    cases = new CaseLayer(map, { pane: "cases" });
    cases.group.addTo(map);
  }
  if (!picture.child_level) {
    layer?.remove();
    layer = null;
    return;
  }
  const figures = new Map(picture.children.map((child) => [child.code, child]));
  const most = Math.max(1, ...picture.children.map((child) => child.open));
  const shapes = await shapesArriving;
  const fresh = layer === null || layer.regionCode !== picture.region.code;
  layer?.remove();
  layer = L.geoJSON(shapes, {
    style: (feature) => {
      const found = figures.get(feature.properties.code);
      return {
        color: found?.overdue ? "#ff4d4f" : "#5fa8d3",
        weight: found?.overdue ? 3 : 1,
        fillColor: colour(found?.open ?? 0, most),
        fillOpacity: 0.75,
      };
    },
    onEachFeature: (feature, shape) => {
      const found = figures.get(feature.properties.code);
      shape.bindTooltip(
        element(
          "span",
          "",
          t("page.command.tooltip", {
            name: feature.properties.name,
            open: found?.open ?? 0,
            overdue: found?.overdue ?? 0,
          }),
        ),
      );
      if (picture.child_level !== "grid") {
        shape.on("click", () => drill(feature.properties.code, feature.properties.name));
      }
    },
  }).addTo(map);
  layer.regionCode = picture.region.code;
  // A refresh keeps the viewer's zoom; only a new region fits the map to it.
  if (fresh && layer.getBounds().isValid()) map.fitBounds(layer.getBounds(), { padding: [12, 12] });
}

async function load() {
  const centre = document.getElementById("centre");
  centre.dataset.state = "loading";
  const current = path.at(-1);
  const query = current ? `?region=${encodeURIComponent(current.code)}` : "";
  const picture = config.initial ?? (await send("GET", `/api/v1/dashboard${query}`));
  config.initial = null; // only the first picture comes with the page
  // Ask for the shapes first, so drawing the figures overlaps their journey.
  const shapes = picture.child_level ? features(picture.region.code, picture.child_level) : null;
  if (!current) path.push({ code: picture.region.code, name: picture.region.name });
  drawPath();
  drawKpis(picture);
  drawChildren(picture);
  await drawMap(picture, shapes);
  centre.dataset.region = picture.region.code;
  centre.dataset.state = "ready";
  drawCharts(picture);
}

/** The open cases as clustered points, after the figures and areas are up. */
async function drawCases() {
  const centre = document.getElementById("centre");
  try {
    centre.dataset.casePoints = String(await cases.load());
    centre.dataset.cases = "ready";
  } catch (error) {
    centre.dataset.cases = "failed";
    console.error(error);
  }
}

/** On-duty grid workers (only while on duty) and emergency resources, refreshed on a timer. */
async function drawField() {
  if (!map) return;
  const [workers, resources] = await Promise.all([
    send("GET", "/api/v1/fieldwork/duty").catch(() => []),
    send("GET", "/api/v1/resources").catch(() => []),
  ]);
  field?.remove();
  field = L.layerGroup().addTo(map);
  for (const worker of workers) {
    L.circleMarker([worker.lat, worker.lng], {
      radius: 6,
      color: "#52c41a",
      fillColor: "#52c41a",
      fillOpacity: 0.9,
      className: "on-duty",
    })
      .bindTooltip(
        element("span", "", t("page.command.on_duty", { name: worker.display_name || worker.username })),
      )
      .addTo(field);
  }
  for (const resource of resources) {
    L.circleMarker([resource.lat, resource.lng], {
      radius: 7,
      color: "#f0a202",
      weight: 3,
      fillOpacity: 0.2,
      className: "resource",
    })
      .bindTooltip(
        element("span", "", `${t(`resource.kind.${resource.kind}`)}：${resource.name} ${resource.contact}`),
      )
      .addTo(field);
  }
  document.getElementById("kpi-on_duty").textContent = workers.length;
}

function deviceTooltip(device) {
  return element(
    "span",
    "",
    t("page.command.device.tooltip", {
      name: device.name,
      kind: t(`page.sensing.kind.${device.kind}`),
      status: t(`page.sensing.status.${device.status}`),
      code: device.code,
    }),
  );
}

function drawDevices(devices, flagged) {
  sensing?.remove();
  // Their own pane above the regions, which a refresh redraws on top of the overlay pane.
  if (!map.getPane("devices")) map.createPane("devices").style.zIndex = 450;
  sensing = L.layerGroup().addTo(map);
  for (const device of devices) {
    const colour = DEVICE_COLOURS[device.status] ?? DEVICE_COLOURS.offline;
    L.circleMarker([device.lat, device.lng], {
      radius: 7,
      color: "#ffffff",
      weight: 2,
      fillColor: colour,
      fillOpacity: 0.95,
      pane: "devices",
      className: `device device-${device.status}${flagged.has(device.code) ? " device-flagged" : ""}`,
    })
      .bindTooltip(flagged.has(device.code) ? flaggedTooltip(device, flagged.get(device.code)) : deviceTooltip(device))
      .addTo(sensing);
  }
}

function alarmEntry(alarm, names) {
  const entry = element("li");
  entry.dataset.device = alarm.device_code;
  const line = t("page.command.alarm.line", {
    time: formatTime(alarm.occurred_at, { timeStyle: "short" }),
    type: config.alarmTypes?.[alarm.type] ?? alarm.type,
    device: names.get(alarm.device_code) ?? alarm.device_code,
  });
  entry.append(element("span", "", alarm.detail ? `${line} · ${alarm.detail}` : line));
  if (alarm.case_number) {
    entry.append(element("span", "alarm-case", t("page.command.alarm.case", { number: alarm.case_number })));
  }
  if (config.mayHandleAlarms) entry.append(alarmActions(alarm, drawSensing));
  return entry;
}

function drawAlarms(alarms, names) {
  const since = Date.now() - DAY_MS;
  // Newest first: the day's alarms are the leading ones received within 24 hours.
  const recent = alarms.filter((alarm) => new Date(alarm.received_at).getTime() >= since);
  const list = document.getElementById("alarm-list");
  list.replaceChildren(...recent.map((alarm) => alarmEntry(alarm, names)));
  if (!recent.length) list.append(element("li", "alarm-none", t("page.command.alarms.none")));
  document.querySelector(".panel-alarms").dataset.state = "ready";
}

/** The area's devices on the map and its last day's alarms (the API keeps both in the area). */
async function drawSensing() {
  if (!map || !config.mayReadAlarms) return;
  const [devices, alarms, flagged] = await Promise.all([
    send("GET", "/api/v1/devices?limit=500"),
    send("GET", "/api/v1/alarms?limit=100"),
    flaggedDevices(),
    drawHealth().catch(() => {}),
  ]);
  drawDevices(devices, flagged);
  drawAlarms(alarms, new Map(devices.map((device) => [device.code, device.name])));
}

async function offerNearest(item) {
  const dialog = document.getElementById("nearest-dialog");
  const list = document.getElementById("nearest-list");
  document.getElementById("nearest-heading").textContent = t("page.command.nearest.title", {
    number: item.number,
  });
  list.replaceChildren();
  dialog.showModal();
  const workers = await send("GET", `/api/v1/fieldwork/duty?case=${encodeURIComponent(item.number)}`);
  const resources = await send(
    "GET",
    `/api/v1/resources?near_lng=${item.lng}&near_lat=${item.lat}`,
  ).catch(() => []);
  list.replaceChildren(
    ...workers.slice(0, 5).map((worker) => {
      const entry = element(
        "li",
        "",
        `${worker.display_name || worker.username} · ${Math.round(worker.distance_m)} m `,
      );
      const go = button(
        t("page.command.nearest.send"),
        async () => {
          await send("POST", "/api/v1/fieldwork/duty/summon", {
            case_number: item.number,
            username: worker.username,
          });
          go.disabled = true;
          go.textContent = t("page.command.nearest.sent");
        },
        "command-button",
      );
      entry.append(go);
      return entry;
    }),
    ...resources
      .slice(0, 3)
      .map((resource) =>
        element(
          "li",
          "",
          `${t(`resource.kind.${resource.kind}`)}：${resource.name} · ${Math.round(resource.distance_m)} m · ${resource.contact}`,
        ),
      ),
  );
  if (!workers.length && !resources.length) list.textContent = t("page.command.nearest.none");
}

function drill(code, name) {
  path.push({ code, name });
  load();
}

function chime() {
  if (!soundOn) return;
  const audio = new AudioContext();
  const tone = audio.createOscillator();
  const gain = audio.createGain();
  tone.frequency.value = 880;
  gain.gain.setValueAtTime(0.2, audio.currentTime);
  gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.6);
  tone.connect(gain).connect(audio.destination);
  tone.start();
  tone.stop(audio.currentTime + 0.6);
}

function announce(item) {
  const feed = document.getElementById("live-feed");
  const entry = element("li");
  const time = formatTime(item.created_at, { timeStyle: "medium" });
  entry.append(
    element(
      "span",
      "",
      `${time} ${item.number} · ${t(`page.desk.channel.${item.channel}`)} · ${item.description}`,
    ),
  );
  entry.classList.toggle("is-urgent", item.priority === "urgent");
  if (item.lng !== null && config.maySummon) {
    entry.append(
      button(t("page.command.nearest.open"), () => offerNearest(item), "command-button feed-action"),
    );
  }
  feed.prepend(entry);
  while (feed.children.length > 30) feed.lastChild.remove();
  const toast = document.getElementById("toast");
  toast.textContent = t("page.command.new_case", { number: item.number, description: item.description });
  toast.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (toast.hidden = true), 8000);
  chime();
  if (item.channel === "device") drawSensing();
  clearTimeout(reloadTimer);
  reloadTimer = setTimeout(load, 3000);
}

function listen() {
  const state = document.getElementById("live-state");
  const stream = new EventSource("/api/v1/live/cases");
  stream.addEventListener("open", () => {
    state.dataset.live = "on";
    state.textContent = t("page.command.live.on");
  });
  stream.addEventListener("error", () => {
    state.dataset.live = "off";
    state.textContent = t("page.command.live.off");
  });
  stream.addEventListener("case", (event) => announce(JSON.parse(event.data)));
  stream.addEventListener("sos", (event) => sos.heard(JSON.parse(event.data)));
}

function wireTools() {
  const sound = document.getElementById("sound-toggle");
  sound.addEventListener("click", () => {
    soundOn = !soundOn;
    sound.setAttribute("aria-pressed", String(soundOn));
    sound.textContent = t(soundOn ? "page.command.sound.on" : "page.command.sound.off");
  });
  const clock = document.getElementById("clock");
  const tick = () => {
    clock.textContent = formatTime(new Date());
  };
  tick();
  setInterval(tick, 1000);
  window.addEventListener("resize", () => map?.invalidateSize());
}

wireTools();
wireDismiss();
load().then(() => Promise.all([drawCases(), drawField(), drawSensing()]));
listen();
sos.loadOpen();
setInterval(() => load().then(drawCases), REFRESH_MS);
setInterval(drawField, PEOPLE_MS);
setInterval(drawSensing, PEOPLE_MS);
document.getElementById("nearest-close").addEventListener("click", () => {
  document.getElementById("nearest-dialog").close();
});
