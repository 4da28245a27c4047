// The devices section of the administrator's page: the area's sensing devices, paged
// and filtered, registered with a point picked on a map, switched off and on, given a
// new key (shown once; an SOS button's enrolment link also as a QR code) and deleted. The API checks every write again; its refusals
// show at their fields in the user's language. Names are other people's typing: they
// go in as text only.

import "leaflet/dist/leaflet.css";
import L from "leaflet";
import QRCode from "qrcode";
import { wireForm } from "./admin-forms.js";
import { clearErrors, showError, showFailure } from "./forms.js";
import { addBaseMap } from "./lib/basemap.js";
import { button, element, fillTable, tableRow } from "./lib/dom.js";
import { getList, send } from "./lib/http.js";
import { regionName, regionNames } from "./lib/region-names.js";
import { formatTime } from "./lib/time.js";
import { t } from "./strings.js";

const PAGE_SIZE = 20;
let offset = 0;
let picked = null; // the marker of the point chosen on the map
let issued = []; // an import's new keys, held only while their dialog is open

// The registry's refusals that name no field, placed at the field they are about.
const REFUSAL_FIELDS = [
  [/^device_code_/, "code"],
  [/^device_name_/, "name"],
  [/^device_outside_/, "lng"],
  [/^stream_url_/, "stream_url"],
];

function showRefusal(form, error) {
  const found = REFUSAL_FIELDS.find(([pattern]) => pattern.test(error.code ?? ""));
  if (!error.fields?.length && found) {
    showError(form, found[1], error.message);
    form.querySelector('[aria-invalid="true"]')?.focus();
    return;
  }
  showFailure(form, error, t("page.admin.failed"));
}

function deviceUrl(code, tail = "") {
  return `/api/v1/devices/${encodeURIComponent(code)}${tail}`;
}

function showKey(device, key) {
  document.getElementById("device-key-heading").textContent = t("page.sensing.key.title", {
    name: device.name,
  });
  document.getElementById("device-key").textContent = key;
  // An SOS button is a page on a key place's phone or kiosk: the link enrols it (sos.js).
  const enrol = device.kind === "sos_button";
  const fragment = new URLSearchParams({ code: device.code, key });
  const link = enrol ? `${window.location.origin}/sos#${fragment}` : "";
  document.getElementById("device-enrol").hidden = !enrol;
  document.getElementById("device-enrol-link").textContent = link;
  // The same link as a QR code, for the kiosk's or phone's camera to open.
  if (enrol) {
    const canvas = document.getElementById("device-enrol-qr");
    const code = QRCode.create(link, { errorCorrectionLevel: "M" });
    QRCode.toCanvas(canvas, link, { errorCorrectionLevel: "M", margin: 2, width: 240 }).then(() => {
      // Its size in modules, so a reader (or a test) finds the fixed patterns.
      canvas.dataset.modules = String(code.modules.size);
      canvas.dataset.state = "drawn";
    });
  }
  document.getElementById("device-key-copied").textContent = "";
  document.getElementById("device-key-dialog").showModal();
}

function forgetKey() {
  // The key leaves the page with the dialog: nothing keeps it once it is closed.
  document.getElementById("device-key").textContent = "";
  document.getElementById("device-enrol-link").textContent = "";
  const canvas = document.getElementById("device-enrol-qr");
  canvas.getContext("2d").clearRect(0, 0, canvas.width, canvas.height);
  delete canvas.dataset.state;
  delete canvas.dataset.modules;
  document.getElementById("device-key-dialog").close();
}

async function copyKey() {
  const note = document.getElementById("device-key-copied");
  try {
    await navigator.clipboard.writeText(document.getElementById("device-key").textContent);
    note.textContent = t("page.sensing.key.copied");
  } catch {
    note.textContent = t("page.sensing.key.copy_failed");
  }
}

function csvField(value) {
  // A name typed as "=…" must stay text when Excel opens the file, not become a formula.
  const text = String(value ?? "").replace(/^[=+\-@]/, "'$&");
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The keys as a CSV file the installers' lead saves: UTF-8 with a BOM so Excel reads it. */
function saveKeys() {
  const lines = [t("page.sensing.keys.headings")].concat(
    issued.map((item) => [item.code, item.name, item.address, item.key].map(csvField).join(",")),
  );
  const file = new Blob([`\ufeff${lines.join("\r\n")}\r\n`], { type: "text/csv;charset=utf-8" });
  const link = element("a");
  link.href = URL.createObjectURL(file);
  link.download = t("page.sensing.keys.file");
  link.click();
  URL.revokeObjectURL(link.href);
  document.getElementById("device-keys-saved").textContent = t("page.sensing.keys.saved");
}

function showKeys(keys) {
  issued = keys;
  document.getElementById("device-keys-heading").textContent = t("page.sensing.keys.title", {
    count: keys.length,
  });
  document.getElementById("device-keys-saved").textContent = "";
  document.getElementById("device-keys-dialog").showModal();
}

function forgetKeys() {
  // Like a single key, the list leaves the page with its dialog.
  issued = [];
  document.getElementById("device-keys-dialog").close();
}

function showImportReport(report) {
  let summary = "page.sensing.import.summary";
  if (report.dry_run) summary = "page.sensing.import.summary_dry_run";
  else if (report.refused) summary = "page.sensing.import.summary_refused";
  document.getElementById("device-import-summary").textContent = t(summary, report);
  fillTable(
    "device-import-errors",
    report.errors.map((problem) => [String(problem.row), problem.column, problem.message]),
  );
  document.getElementById("device-import-errors").hidden = report.errors.length === 0;
  document.getElementById("device-import-report").hidden = false;
}

function wireImport() {
  const form = document.getElementById("device-import");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    if (!form.file.files.length) {
      showError(form, "file", t("page.sensing.import.required"));
      form.file.focus();
      return;
    }
    try {
      // The row report comes back whether or not anything was stored: it is what to fix.
      const report = await send("POST", "/api/v1/devices/import", new FormData(form));
      showImportReport(report);
      if (report.keys.length) {
        form.reset();
        showKeys(report.keys);
        offset = 0;
        await loadDevices();
      }
    } catch (error) {
      showFailure(form, error, t("page.admin.failed"));
    }
  });
  document.getElementById("device-keys-save").addEventListener("click", saveKeys);
  document.getElementById("device-keys-close").addEventListener("click", forgetKeys);
  document.getElementById("device-keys-dialog").addEventListener("close", forgetKeys);
}

/** A row's action: refusals (a device with alarms cannot be deleted) show in the filter's line. */
function act(label, work) {
  return button(label, async () => {
    const filter = document.getElementById("device-filter");
    clearErrors(filter);
    try {
      await work();
      await loadDevices();
    } catch (error) {
      showFailure(filter, error, t("page.admin.failed"));
    }
  });
}

function actions(device) {
  const cellBox = element("span", "row-actions");
  const disabled = device.status === "disabled";
  if (device.kind === "camera") {
    cellBox.append(
      act(t("page.camview.stream_url"), async () => {
        const url = window.prompt(t("page.camview.stream_url_hint"), device.stream_url ?? "");
        if (url === null) return;
        await send("PATCH", deviceUrl(device.code), { stream_url: url.trim() });
      }),
    );
  }
  cellBox.append(
    act(t(disabled ? "page.sensing.enable" : "page.sensing.disable"), () =>
      send("PATCH", deviceUrl(device.code), { enabled: disabled }),
    ),
    act(t("page.sensing.rotate"), async () => {
      if (!window.confirm(t("page.sensing.confirm_rotate", { name: device.name }))) return;
      const answer = await send("POST", deviceUrl(device.code, "/key"));
      showKey(answer.device, answer.key);
    }),
    act(t("page.admin.delete"), async () => {
      if (!window.confirm(t("page.sensing.confirm_delete", { name: device.name }))) return;
      await send("DELETE", deviceUrl(device.code));
    }),
  );
  return cellBox;
}

function deviceRow(device, regions) {
  const row = tableRow([
    device.code,
    device.name,
    t(`page.sensing.kind.${device.kind}`),
    t(`page.sensing.status.${device.status}`),
    regionName(device.region_code, regions),
    formatTime(device.last_heartbeat_at, { dateStyle: "short", timeStyle: "short" }),
    actions(device),
  ]);
  row.dataset.code = device.code;
  row.dataset.status = device.status;
  return row;
}

async function loadDevices() {
  const section = document.getElementById("devices");
  const filter = document.getElementById("device-filter");
  const query = new URLSearchParams({ limit: PAGE_SIZE, offset });
  if (filter.status.value) query.set("status", filter.status.value);
  if (filter.kind.value) query.set("kind", filter.kind.value);
  section.dataset.state = "loading";
  const { items, total } = await getList(`/api/v1/devices?${query}`);
  const regions = await regionNames(items.map((device) => device.region_code));
  fillTable("devices-table", items.map((device) => deviceRow(device, regions)));
  document.getElementById("devices-range").textContent = total
    ? t("page.sensing.page", { first: offset + 1, last: offset + items.length, total })
    : t("page.sensing.empty");
  document.getElementById("devices-previous").disabled = offset === 0;
  document.getElementById("devices-next").disabled = offset + items.length >= total;
  section.dataset.state = "ready";
}

function pick(map, latlng) {
  const form = document.getElementById("device-form");
  form.lng.value = latlng.lng.toFixed(6);
  form.lat.value = latlng.lat.toFixed(6);
  picked?.remove();
  picked = L.circleMarker(latlng, { radius: 8, color: "#0b3d91", className: "picked-point" }).addTo(map);
}

function wireMap(config) {
  const map = L.map("device-map", { zoomSnap: 0.25 });
  map.attributionControl.setPrefix("Leaflet");
  addBaseMap(map, config);
  const [west, south, east, north] = config.bbox ?? [73, 18, 135, 54];
  map.fitBounds([
    [south, west],
    [north, east],
  ]);
  map.on("click", (event) => pick(map, event.latlng));
  document.getElementById("device-map").leafletMap = map; // for browser tests to aim a click
}

async function loadDepartments() {
  const departments = await send("GET", "/api/v1/departments");
  document
    .getElementById("device-department")
    .replaceChildren(
      new Option(t("page.admin.none"), ""),
      ...departments.map((item) => new Option(item.name, item.code)),
    );
}

async function register(form) {
  const body = {
    code: form.code.value.trim(),
    kind: form.kind.value,
    name: form.name.value.trim(),
    address: form.address.value.trim(),
    lng: Number(form.lng.value),
    lat: Number(form.lat.value),
  };
  if (form.department_code.value) body.department_code = form.department_code.value;
  if (form.stream_url.value.trim()) body.stream_url = form.stream_url.value.trim();
  const answer = await send("POST", "/api/v1/devices", body);
  form.reset();
  picked?.remove();
  showKey(answer.device, answer.key);
  offset = 0;
  await loadDevices();
}

function wireRegistration() {
  wireForm("device-form", register, showRefusal);
}

/** Draw the section and wire its controls; resolves once the first page is listed. */
export function startDevices(config) {
  const filter = document.getElementById("device-filter");
  filter.addEventListener("change", () => {
    offset = 0;
    loadDevices();
  });
  filter.addEventListener("submit", (event) => event.preventDefault());
  document.getElementById("devices-previous").addEventListener("click", () => {
    offset = Math.max(0, offset - PAGE_SIZE);
    loadDevices();
  });
  document.getElementById("devices-next").addEventListener("click", () => {
    offset += PAGE_SIZE;
    loadDevices();
  });
  document.getElementById("device-key-copy").addEventListener("click", copyKey);
  document.getElementById("device-key-close").addEventListener("click", forgetKey);
  document.getElementById("device-key-dialog").addEventListener("close", forgetKey);
  wireRegistration();
  wireImport();
  wireMap(config);
  return Promise.all([loadDevices(), loadDepartments()]);
}
