// The workbench of dispatchers, department handlers and grid staff: queues
// with SLA lights, a case's facts, map, photos, timeline and duplicates (for a case
// devices opened, the alarms it gathered: desk-alarm-origin.js), and
// the moves the reader may make now (the server says which, see /moves).
// Queues refresh on their own: at once when a new case is reported in the reader's
// area (Server-Sent Events), and every minute for what others did to the cases.

import "leaflet/dist/leaflet.css";
import "./desk.css";
import L from "leaflet";
import { fillReplyNote, showSimilarCases } from "./consult-panel.js";
import { showAlarmOrigin } from "./desk-alarm-origin.js";
import { showCameras, wireCameraView } from "./desk-cameras.js";
import { showExport, wireFilters } from "./desk-filters.js";
import { showSupervisions } from "./desk-supervisions.js";
import { wireIntake } from "./desk-intake.js";
import { clearErrors, showError, showFailure } from "./forms.js";
import { addBaseMap } from "./lib/basemap.js";
import { button, tableRow } from "./lib/dom.js";
import { getList, send } from "./lib/http.js";
import { formatTime } from "./lib/time.js";
import { readJson, t } from "./strings.js";

const config = readJson("desk-config");
const PAGE_SIZE = 50;
const REFRESH_MS = 60000;
// The first tab drawn is the role's main queue (the config's keys come sorted).
const firstTab = document.querySelector(".queue-tab")?.dataset.tab;
const state = { tab: firstTab, q: "", offset: 0, open: null, move: null };
const selected = new Set();
let detailMap = null;
let departments = null;
// The column filters (desk-filters.js); reloading the queue from its first page on a change.
const filters = wireFilters(() => {
  state.offset = 0;
  loadQueue();
});

function queueParams(tab, extra = {}) {
  const preset = config.tabs[tab];
  const params = new URLSearchParams();
  for (const status of preset.state ?? []) params.append("state", status);
  for (const key of ["unlocated", "overdue", "mine"]) {
    if (preset[key] !== undefined) params.set(key, String(preset[key]));
  }
  for (const [key, value] of Object.entries(extra)) params.set(key, String(value));
  return params;
}

function fetchQueue(tab, extra) {
  return getList(`/api/v1/cases?${queueParams(tab, extra)}`);
}

function light(value) {
  const dot = document.createElement("span");
  dot.className = `sla-light sla-${value ?? "none"}`;
  dot.textContent = t(`page.desk.light.${value ?? "none"}`);
  return dot;
}

function queueRow(item) {
  const cells = [];
  if (config.mayBulk) {
    const box = document.createElement("input");
    box.type = "checkbox";
    box.checked = selected.has(item.number);
    box.setAttribute("aria-label", t("page.desk.select", { number: item.number }));
    box.addEventListener("change", () => {
      if (box.checked) selected.add(item.number);
      else selected.delete(item.number);
      updateBulk();
    });
    cells.push(box);
  }
  const row = tableRow([
    ...cells,
    button(item.number, () => openCase(item.number), "link-button"),
    light(item.sla_light),
    t(`case.status.${item.status}`),
    item.description.length > 60 ? `${item.description.slice(0, 60)}…` : item.description,
    formatTime(item.created_at),
  ]);
  row.dataset.number = item.number;
  row.className = item.number === state.open ? "is-open" : "";
  return row;
}

async function loadQueue() {
  const asked = {
    limit: PAGE_SIZE,
    offset: state.offset,
    ...(state.q ? { q: state.q } : {}),
    ...filters(),
  };
  showExport(queueParams(state.tab, asked));
  const { items: cases, total } = await fetchQueue(state.tab, asked);
  const body = document.querySelector("#queue-table tbody");
  body.replaceChildren(...cases.map(queueRow));
  document.getElementById("queue-empty").hidden = cases.length !== 0;
  const last = Math.min(state.offset + cases.length, total);
  document.getElementById("page-info").textContent = t("page.desk.page", {
    from: total ? state.offset + 1 : 0,
    to: last,
    total,
  });
  document.getElementById("page-prev").disabled = state.offset === 0;
  document.getElementById("page-next").disabled = last >= total;
  document.getElementById("queue-table").dataset.state = "ready";
}

async function loadCounts() {
  await Promise.all(
    Object.keys(config.tabs).map(async (tab) => {
      const { total } = await fetchQueue(tab, { limit: 1 });
      document.querySelector(`[data-count="${tab}"]`).textContent = `(${total})`;
    }),
  );
}

function refresh() {
  return Promise.all([loadQueue(), loadCounts()]).catch(() => {});
}

function updateBulk() {
  const bar = document.getElementById("bulk-bar");
  if (!bar) return;
  document.getElementById("bulk-count").textContent = t("page.desk.selected", {
    count: selected.size,
  });
  for (const button of bar.querySelectorAll("[data-bulk]")) button.disabled = selected.size === 0;
  document.getElementById("bulk-department").disabled = selected.size === 0;
}

/** The dispatch targets, with the one routing chose for the case (`routedId`) selected. */
async function departmentOptions(select, routedId = null) {
  departments ??= await send("GET", "/api/v1/departments");
  select.replaceChildren(
    ...departments.map(
      (department) =>
        new Option(department.name, department.code, false, department.id === routedId),
    ),
  );
}

async function bulkMove(to) {
  const body = { numbers: [...selected], to };
  if (to === "dispatched") body.department_code = document.getElementById("bulk-department").value;
  const results = await send("POST", "/api/v1/cases/transitions", body);
  const moved = results.filter((item) => item.moved).length;
  const output = document.getElementById("bulk-result");
  const refused = results.filter((item) => !item.moved);
  output.textContent = [
    t("page.desk.bulk.done", { moved, refused: refused.length }),
    ...refused.map((item) => `${item.number}: ${item.error}`),
  ].join(" ");
  output.hidden = false;
  selected.clear();
  updateBulk();
  await refresh();
}

function wireQueue() {
  for (const tab of document.querySelectorAll(".queue-tab")) {
    tab.addEventListener("click", () => {
      for (const other of document.querySelectorAll(".queue-tab")) {
        other.setAttribute("aria-selected", String(other === tab));
      }
      state.tab = tab.dataset.tab;
      state.offset = 0;
      selected.clear();
      updateBulk();
      loadQueue();
    });
  }
  document.getElementById("queue-search").addEventListener("submit", (event) => {
    event.preventDefault();
    state.q = event.target.q.value.trim();
    state.offset = 0;
    loadQueue();
  });
  document.getElementById("page-prev").addEventListener("click", () => {
    state.offset = Math.max(0, state.offset - PAGE_SIZE);
    loadQueue();
  });
  document.getElementById("page-next").addEventListener("click", () => {
    state.offset += PAGE_SIZE;
    loadQueue();
  });
  const all = document.getElementById("select-all");
  all?.addEventListener("change", () => {
    for (const row of document.querySelectorAll("#queue-table tbody tr")) {
      const box = row.querySelector("input[type=checkbox]");
      box.checked = all.checked;
      if (all.checked) selected.add(row.dataset.number);
      else selected.delete(row.dataset.number);
    }
    updateBulk();
  });
  const bar = document.getElementById("bulk-bar");
  if (bar) {
    departmentOptions(document.getElementById("bulk-department")).catch(() => {});
    for (const button of bar.querySelectorAll("[data-bulk]")) {
      button.addEventListener("click", () => bulkMove(button.dataset.bulk));
    }
    updateBulk();
  }
}

function showMap(item) {
  const container = document.getElementById("detail-map");
  container.hidden = item.lng === null;
  if (item.lng === null) return;
  if (!detailMap) {
    detailMap = L.map(container, { attributionControl: false });
    addBaseMap(detailMap, config);
    detailMap.markers = L.layerGroup().addTo(detailMap);
  }
  detailMap.markers.clearLayers();
  L.circleMarker([item.lat, item.lng], { radius: 8, color: "#c62828", weight: 3 }).addTo(
    detailMap.markers,
  );
  detailMap.setView([item.lat, item.lng], 16);
  detailMap.invalidateSize();
  if (item.grid_code) {
    const bbox = [item.lng - 0.02, item.lat - 0.02, item.lng + 0.02, item.lat + 0.02].join(",");
    const community = item.grid_code.slice(0, 12);
    send("GET", `/api/v1/geo/regions/${community}/grids.geojson?bbox=${bbox}`)
      .then((features) => L.geoJSON(features, { style: { weight: 2 } }).addTo(detailMap.markers))
      .catch(() => {});
  }
}

function showPhotos(number, photos) {
  const box = document.getElementById("photos");
  box.replaceChildren(
    ...photos.map((photo) => {
      const image = document.createElement("img");
      image.src = `/api/v1/cases/${encodeURIComponent(number)}/photos/${photo.id}`;
      image.alt = t(`page.desk.photo.${photo.purpose}`);
      image.loading = "lazy";
      return image;
    }),
  );
  if (!photos.length) box.textContent = t("page.desk.none");
}

function showTimeline(actions) {
  document.getElementById("timeline").replaceChildren(
    ...actions.map((action) => {
      const item = document.createElement("li");
      const note = action.note ? ` — ${action.note}` : "";
      const who = action.actor_name || action.actor;
      item.textContent = `${formatTime(action.created_at)} ${t(`case.status.${action.to_status}`)} · ${who}${note}`;
      item.title = action.actor;
      return item;
    }),
  );
}

function showDuplicates(number, candidates) {
  const list = document.getElementById("duplicates");
  if (!list) return;
  list.replaceChildren(
    ...candidates.map((candidate) => {
      const item = document.createElement("li");
      item.textContent = `${candidate.number} · ${candidate.description.slice(0, 40)} · ${t("page.desk.similarity", { value: Math.round(candidate.similarity * 100) })} `;
      const merge = document.createElement("button");
      merge.type = "button";
      merge.className = "btn-secondary btn-small";
      merge.textContent = t("page.desk.merge");
      merge.addEventListener("click", async () => {
        await send("POST", `/api/v1/cases/${encodeURIComponent(number)}/merge`, {
          into: candidate.number,
        });
        await openCase(number);
        await refresh();
      });
      item.append(merge);
      return item;
    }),
  );
  if (!candidates.length) list.textContent = t("page.desk.none");
}

function showMoves(item, moves) {
  const box = document.getElementById("moves");
  box.replaceChildren(
    ...moves.map((move) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = move.to === "rejected" ? "btn-secondary" : "btn-primary";
      button.textContent = move.needs_decision ? t("page.desk.move.decide") : move.label;
      button.dataset.move = move.to;
      button.addEventListener("click", () => openMove(item, move));
      return button;
    }),
  );
}

async function openCase(number) {
  state.open = number;
  document.getElementById("detail").dataset.state = "loading";
  for (const row of document.querySelectorAll("#queue-table tbody tr")) {
    row.classList.toggle("is-open", row.dataset.number === number);
  }
  const path = `/api/v1/cases/${encodeURIComponent(number)}`;
  const [item, moves, photos, actions, candidates] = await Promise.all([
    send("GET", path),
    send("GET", `${path}/moves`),
    send("GET", `${path}/photos`),
    send("GET", `${path}/actions`),
    config.mayBulk ? send("GET", `${path}/duplicates`).catch(() => []) : Promise.resolve([]),
  ]);
  // A case opened meanwhile wins: this one's answers, late, draw nothing over it.
  const stillOpen = () => state.open === number;
  if (!stillOpen()) return;
  const detail = document.getElementById("detail");
  detail.hidden = false;
  detail.dataset.version = item.version;
  document.getElementById("detail-number").textContent = item.number;
  for (const sheet of ["dispatch", "supervision"]) {
    const link = document.getElementById(`sheet-${sheet}`);
    link.href = `/desk/cases/${encodeURIComponent(item.number)}/sheets/${sheet}`;
  }
  document.getElementById("detail-status").textContent = t(`case.status.${item.status}`);
  document.getElementById("detail-light").replaceWith(
    Object.assign(light(item.sla_light), { id: "detail-light" }),
  );
  document.getElementById("detail-description").textContent = item.description;
  const category = document.getElementById("fact-category");
  category.textContent = item.category_name ?? item.category_code ?? t("page.desk.none");
  category.title = item.category_code ?? "";
  document.getElementById("fact-channel").textContent = t(`page.desk.channel.${item.channel}`);
  const place = document.getElementById("fact-place");
  place.textContent = item.unlocated
    ? t("page.desk.unlocated")
    : `${item.address ?? ""} ${item.place_name ?? item.grid_code}`.trim();
  place.title = item.grid_code ?? item.region_code;
  document.getElementById("fact-due").textContent =
    formatTime(item.stage_due_at) || t("page.desk.none");
  document.getElementById("fact-routing").textContent = item.routing_explanation || t("page.desk.none");
  document.getElementById("fact-component").textContent = item.component
    ? t("page.desk.component", item.component)
    : t("page.desk.none");
  showMoves(item, moves);
  showMap(item);
  showPhotos(number, photos);
  showTimeline(actions);
  showDuplicates(number, candidates);
  if (config.mayViewCameras) showCameras(number, config, stillOpen);
  // The side panels ask their own questions side by side, not one after the other.
  await Promise.all([
    config.mayReadSupervisions ? showSupervisions(number, stillOpen) : null,
    showSimilarCases(number, stillOpen),
    config.mayReadAlarms ? showAlarmOrigin(item, config, stillOpen) : null,
  ]);
  if (stillOpen()) detail.dataset.state = "ready";
}

function openMove(item, move) {
  state.move = { item, move };
  const form = document.getElementById("move-form");
  clearErrors(form);
  form.reset();
  document.getElementById("move-heading").textContent = `${move.label} · ${item.number}`;
  document.getElementById("note-required").hidden = !move.needs_note;
  document.getElementById("move-decision").hidden = !move.needs_decision;
  document.getElementById("move-department").hidden = !move.needs_department;
  document.getElementById("move-evidence").hidden = !move.needs_account;
  fillReplyNote(move, document.getElementById("move-note"));
  if (move.needs_department) {
    const routed = item.routed_department_id ?? item.department_id;
    departmentOptions(document.getElementById("move-department-select"), routed).catch((error) =>
      showFailure(form, error, t("page.desk.failed")),
    );
  }
  document.getElementById("move-dialog").showModal();
}

async function submitMove(form) {
  const { item, move } = state.move;
  const note = form.note.value.trim();
  if (move.needs_note && !note) {
    showError(form, "note", t("page.desk.required"));
    form.note.focus();
    return;
  }
  const path = `/api/v1/cases/${encodeURIComponent(item.number)}`;
  if (move.needs_account && form.photo.files.length) {
    const upload = new FormData();
    upload.append("files", form.photo.files[0]);
    await send("POST", `${path}/photos`, upload);
  }
  const body = { to: move.to, note, version: item.version };
  if (move.needs_department) body.department_code = form.department_code.value;
  if (move.needs_decision) body.approve = form.approve.value === "true";
  await send("POST", `${path}/transitions`, body);
  document.getElementById("move-dialog").close();
  await openCase(item.number);
  await refresh();
}

function wireMoves() {
  const form = document.getElementById("move-form");
  document
    .getElementById("move-cancel")
    .addEventListener("click", () => document.getElementById("move-dialog").close());
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    try {
      await submitMove(form);
    } catch (error) {
      showFailure(form, error, t("page.desk.failed"));
    }
  });
}

function listen() {
  let pending = null;
  const stream = new EventSource("/api/v1/live/cases");
  stream.addEventListener("case", () => {
    clearTimeout(pending);
    pending = setTimeout(refresh, 300); // a burst of reports refreshes once
  });
}

wireQueue();
wireMoves();
wireCameraView();
wireIntake(config, refresh);
refresh();
// A case point on a map links here with its number.
const askedCase = new URLSearchParams(window.location.search).get("case");
if (askedCase) openCase(askedCase);
listen();
setInterval(refresh, REFRESH_MS);
