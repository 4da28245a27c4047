// The grid worker's phone app (installable, works offline): today's tasks,
// check-in with GPS, and reports (optionally fixed on the spot) with a photo.
// Everything the worker submits goes through the outbox, so it is kept on the
// phone until the server has it; see outbox.js.

import "./field.css";
import { showCases, wireCases } from "./field-cases.js";
import { offerHouseholds, wireVisit } from "./field-visit.js";
import { clearErrors, showError } from "./forms.js";
import { getJson, send } from "./lib/http.js";
import { discard, enqueue, flush, pending } from "./outbox.js";
import { readJson, t } from "./strings.js";

const config = readJson("field-config");
const FLUSH_MS = 30000;
const DUTY_MS = 60000;
const DUTY_KEY = "civicgrid-field-on-duty";
const PHOTO_SIDE = 1600;
let position = null; // { lng, lat } in WGS-84, from the phone

function watchPosition() {
  const state = document.getElementById("location-state");
  if (!navigator.geolocation) {
    state.textContent = t("page.field.location.unavailable");
    return;
  }
  navigator.geolocation.watchPosition(
    (found) => {
      const first = position === null;
      position = { lng: found.coords.longitude, lat: found.coords.latitude };
      if (first) sendPosition();
      state.textContent = t("page.field.location.ok", { accuracy: Math.round(found.coords.accuracy) });
    },
    () => {
      state.textContent = t("page.field.location.unavailable");
    },
    { enableHighAccuracy: true, maximumAge: 30000 },
  );
}

function point() {
  return position ? { lng: Number(position.lng.toFixed(6)), lat: Number(position.lat.toFixed(6)) } : {};
}

function showNetwork() {
  const state = document.getElementById("net-state");
  state.dataset.online = String(navigator.onLine);
  state.textContent = t(navigator.onLine ? "page.field.online" : "page.field.offline");
}

async function showOutbox() {
  const entries = await pending();
  const list = document.getElementById("outbox");
  document.getElementById("outbox-count").textContent = `(${entries.length})`;
  list.replaceChildren(
    ...entries.map((entry) => {
      const item = document.createElement("li");
      item.dataset.key = entry.key;
      const visit = entry.kind === "record" && entry.body.task_type === "household_visit";
      const names = {
        report: entry.body.description,
        sos: t("page.sos.button"),
        ...(visit ? { record: t("page.field.visit.heading") } : {}),
      };
      const what = names[entry.kind] ?? t("page.field.check_in");
      item.textContent = `${t(`page.field.kind.${entry.kind}`)} · ${what.slice(0, 30)}`;
      if (entry.error) {
        item.classList.add("has-error");
        const note = document.createElement("p");
        note.className = "field-error";
        note.textContent = entry.error;
        const drop = document.createElement("button");
        drop.type = "button";
        drop.className = "btn-secondary btn-small";
        drop.textContent = t("page.field.discard");
        drop.addEventListener("click", async () => {
          await discard(entry.key);
          showOutbox();
        });
        item.append(note, drop);
      }
      return item;
    }),
  );
}

/** Once the report just made has reached the server, say its case number (受理编号). */
function showSent(entry) {
  const done = document.getElementById("report-done");
  if (entry.kind !== "report" || entry.error || done.dataset.key !== entry.key) return;
  if (entry.caseNumber) done.textContent = t("page.field.sent", { number: entry.caseNumber });
}

function changed(entry) {
  showSent(entry);
  return showOutbox();
}

async function sync() {
  showNetwork();
  await flush(changed);
  await showOutbox();
  loadTasks();
  showCases();
}

async function loadTasks() {
  let tasks;
  try {
    tasks = await getJson("/api/v1/fieldwork/tasks");
    localStorage.setItem("civicgrid-field-tasks", JSON.stringify(tasks));
  } catch {
    tasks = JSON.parse(localStorage.getItem("civicgrid-field-tasks") ?? "[]");
  }
  const list = document.getElementById("tasks");
  list.replaceChildren(
    ...tasks.map((task) => {
      const item = document.createElement("li");
      item.className = task.done ? "is-done" : "";
      const subject = task.subject_id ? ` #${task.subject_id}` : "";
      item.textContent = `${task.done ? "✓" : "○"} ${task.label}${subject}`;
      return item;
    }),
  );
  document.getElementById("tasks-empty").hidden = tasks.length !== 0;
  offerHouseholds(tasks);
}

async function checkIn() {
  await enqueue({
    kind: "record",
    body: { task_type: "check_in", occurred_at: new Date().toISOString(), ...point() },
  });
  document.getElementById("location-state").textContent = t("page.field.checked_in");
  await showOutbox();
  sync();
}

/** The photo scaled to at most PHOTO_SIDE pixels a side, as a JPEG data URL: phones send less. */
async function photoData(file) {
  const bitmap = await createImageBitmap(file);
  const scale = Math.min(1, PHOTO_SIDE / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  return canvas.toDataURL("image/jpeg", 0.85);
}

function wireReport() {
  const form = document.getElementById("report-form");
  const resolved = document.getElementById("resolved");
  resolved.addEventListener("change", () => {
    document.getElementById("resolve-note-field").hidden = !resolved.checked;
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const description = form.description.value.trim();
    const note = form.resolve_note.value.trim();
    if (!description) return showError(form, "description", t("page.field.required"));
    if (resolved.checked && !note) return showError(form, "resolve_note", t("page.field.required"));
    const photos = form.photo.files.length ? [await photoData(form.photo.files[0])] : [];
    const entry = await enqueue({
      kind: "report",
      body: { description, channel: "grid_worker", photos, ...point() },
      resolveNote: resolved.checked ? note : null,
    });
    form.reset();
    document.getElementById("resolve-note-field").hidden = true;
    const done = document.getElementById("report-done");
    done.textContent = t(navigator.onLine ? "page.field.queued" : "page.field.queued_offline");
    done.dataset.key = entry.key;
    done.hidden = false;
    await showOutbox();
    sync();
  });
}

function registerWorker() {
  if (!("serviceWorker" in navigator)) return;
  navigator.serviceWorker.register("/field/sw.js", { scope: "/field" }).then(async () => {
    const ready = await navigator.serviceWorker.ready;
    // The shell's own files, so the app opens with no connection at all.
    const urls = [
      "/field",
      ...[...document.querySelectorAll("script[src], link[rel=stylesheet]")].map(
        (element) => element.src || element.href,
      ),
    ];
    ready.active?.postMessage({ cache: urls });
  });
}

/** While on duty the centre sees where the worker is; off duty, the position is deleted. */
async function sendPosition() {
  if (localStorage.getItem(DUTY_KEY) !== "on" || !position) return;
  await send("PUT", "/api/v1/fieldwork/duty", point()).catch(() => {});
}

function showDuty() {
  const on = localStorage.getItem(DUTY_KEY) === "on";
  const button = document.getElementById("duty");
  button.setAttribute("aria-pressed", String(on));
  button.textContent = t(on ? "page.field.duty.end" : "page.field.duty.start");
}

async function toggleDuty() {
  const on = localStorage.getItem(DUTY_KEY) !== "on";
  localStorage.setItem(DUTY_KEY, on ? "on" : "off");
  showDuty();
  if (on) await sendPosition();
  else {
    await send("DELETE", "/api/v1/fieldwork/duty").catch(() => {});
  }
}

/** SOS: held for HOLD_MS (a pocket press is short), then queued in the outbox and sent at
 * once; offline it waits there with its key and is sent, once, when the phone is back. */
const HOLD_MS = 1500;
const RESET_MS = 10000;

function wireSos() {
  const sosButton = document.getElementById("sos");
  const state = document.getElementById("sos-state");
  let timer = null;
  const cancel = () => {
    if (timer === null) return;
    clearTimeout(timer);
    timer = null;
    sosButton.dataset.state = "idle";
    state.textContent = t("page.sos.hold");
  };
  const start = (event) => {
    event.preventDefault();
    if (timer !== null) return;
    sosButton.dataset.state = "holding";
    state.textContent = t("page.sos.holding");
    timer = setTimeout(async () => {
      timer = null;
      sosButton.dataset.state = "sent";
      await enqueue({ kind: "sos", body: { ...point(), place: "" } });
      state.textContent = t(navigator.onLine ? "page.sos.sent" : "page.sos.queued");
      await showOutbox();
      await flush(showOutbox);
      const left = (await pending()).some((entry) => entry.kind === "sos");
      state.textContent = t(left ? "page.sos.queued" : "page.sos.sent");
      setTimeout(() => {
        if (timer === null) sosButton.dataset.state = "idle";
      }, RESET_MS);
    }, HOLD_MS);
  };
  sosButton.addEventListener("pointerdown", start);
  for (const name of ["pointerup", "pointerleave", "pointercancel"]) {
    sosButton.addEventListener(name, cancel);
  }
  sosButton.addEventListener("keydown", (event) => {
    if ((event.key === " " || event.key === "Enter") && !event.repeat) start(event);
  });
  sosButton.addEventListener("keyup", cancel);
  sosButton.addEventListener("contextmenu", (event) => event.preventDefault());
}

function boot() {
  wireSos();
  document.getElementById("duty").addEventListener("click", toggleDuty);
  showDuty();
  setInterval(sendPosition, DUTY_MS);
  document.getElementById("check-in").addEventListener("click", checkIn);
  wireReport();
  wireCases();
  wireVisit(point, async () => {
    await showOutbox();
    sync();
  });
  watchPosition();
  window.addEventListener("online", sync);
  window.addEventListener("offline", showNetwork);
  setInterval(sync, FLUSH_MS);
  registerWorker();
  sync().finally(() => {
    document.getElementById("field").dataset.state = "ready";
  });
}

boot();
