// The SOS page of a key place (school, hospital): one big button, held to send.
// The terminal is an `sos_button` device: an administrator registers it and opens the
// enrollment link (/sos#code=…&key=…) here once; code and key are kept in this browser
// (IndexedDB) and the link's fragment, never sent to any server, is wiped from the bar.
// A press is an `sos` alarm (POST /api/v1/alarms) with its own event id, kept until the
// server has it, so a press made offline is sent when the connection is back, and once.

import "./sos.css";
import { openDB } from "idb";
import { call } from "./lib/http.js";
import { t } from "./strings.js";

const HOLD_MS = 1500;
const RETRY_MS = 10000;
let position = null;

function database() {
  return openDB("civicgrid-sos", 1, {
    upgrade(db) {
      db.createObjectStore("device");
      db.createObjectStore("presses", { keyPath: "event_id" });
    },
  });
}

async function enrolment() {
  const db = await database();
  const fragment = new URLSearchParams(window.location.hash.slice(1));
  if (fragment.get("code") && fragment.get("key")) {
    await db.put("device", { code: fragment.get("code"), key: fragment.get("key") }, "enrolment");
    history.replaceState(null, "", window.location.pathname);
  }
  return db.get("device", "enrolment");
}

async function sendWaiting(device) {
  const db = await database();
  for (const press of await db.getAll("presses")) {
    let response;
    try {
      const headers = { "X-Device-Code": device.code, "X-Device-Key": device.key };
      response = await call("POST", "/api/v1/alarms", { alarms: [press] }, headers);
    } catch {
      return false; // no connection: the press waits
    }
    if (!response.ok && response.status >= 500) return false;
    if (!response.ok) {
      const data = await response.json().catch(() => null);
      show(t("page.sos.failed", { message: data?.error?.message ?? response.statusText }));
    }
    await db.delete("presses", press.event_id);
  }
  return true;
}

function show(text) {
  document.getElementById("sos-press-state").textContent = text;
}

async function pressed(device) {
  const attributes = position ? { lng: position.lng, lat: position.lat } : {};
  const press = {
    event_id: crypto.randomUUID(),
    type: "sos",
    occurred_at: new Date().toISOString(),
    attributes,
  };
  await (await database()).put("presses", press);
  show(t("page.sos.queued"));
  if (await sendWaiting(device)) show(t("page.sos.sent"));
}

function wireButton(device) {
  const control = document.getElementById("sos-press");
  let timer = null;
  const cancel = () => {
    if (timer === null) return;
    clearTimeout(timer);
    timer = null;
    control.dataset.state = "idle";
    show(t("page.sos.hold"));
  };
  const start = (event) => {
    event.preventDefault();
    if (timer !== null) return;
    control.dataset.state = "holding";
    show(t("page.sos.holding"));
    timer = setTimeout(() => {
      timer = null;
      control.dataset.state = "sent";
      pressed(device);
    }, HOLD_MS);
  };
  control.addEventListener("pointerdown", start);
  for (const name of ["pointerup", "pointerleave", "pointercancel"]) {
    control.addEventListener(name, cancel);
  }
  control.addEventListener("keydown", (event) => {
    if ((event.key === " " || event.key === "Enter") && !event.repeat) start(event);
  });
  control.addEventListener("keyup", cancel);
  control.addEventListener("contextmenu", (event) => event.preventDefault());
  control.disabled = false;
}

function watchPosition() {
  const note = document.getElementById("sos-position");
  note.textContent = t("page.sos.position_none");
  navigator.geolocation?.watchPosition(
    (found) => {
      position = {
        lng: Number(found.coords.longitude.toFixed(6)),
        lat: Number(found.coords.latitude.toFixed(6)),
      };
      note.textContent = t("page.sos.position_ok");
    },
    () => {},
    { enableHighAccuracy: true, maximumAge: 60000 },
  );
}

function registerWorker() {
  if (!("serviceWorker" in navigator)) return;
  navigator.serviceWorker.register("/sos/sw.js", { scope: "/sos" }).then(async () => {
    const ready = await navigator.serviceWorker.ready;
    const urls = [
      "/sos",
      ...[...document.querySelectorAll("script[src], link[rel=stylesheet]")].map(
        (element) => element.src || element.href,
      ),
    ];
    ready.active?.postMessage({ cache: urls });
  });
}

async function boot() {
  const page = document.getElementById("sos-page");
  const device = await enrolment();
  const label = document.getElementById("sos-device");
  if (!device) {
    label.textContent = t("page.sos.not_enrolled");
  } else {
    label.textContent = t("page.sos.enrolled", { code: device.code });
    wireButton(device);
    watchPosition();
    const forget = document.getElementById("sos-forget");
    forget.hidden = false;
    forget.addEventListener("click", async () => {
      await (await database()).delete("device", "enrolment");
      window.location.reload();
    });
    window.addEventListener("online", () => sendWaiting(device));
    setInterval(() => sendWaiting(device), RETRY_MS);
    sendWaiting(device);
  }
  registerWorker();
  page.dataset.state = "ready";
}

boot();
