// The resident portal: report a problem (text, optional category and photo, a
// location from the phone or a map tap) and track it by number and phone, then
// rate it once closed. Public: it calls only the API's anonymous endpoints.

import "leaflet/dist/leaflet.css";
import L from "leaflet";
import { wireAnsweredQuestions } from "./consult-panel.js";
import { clearErrors, showError, showFailure } from "./forms.js";
import { addBaseMap } from "./lib/basemap.js";
import { addCategoryOptions } from "./lib/category-options.js";
import { send } from "./lib/http.js";
import { formatTime } from "./lib/time.js";
import { readJson, t } from "./strings.js";

const config = readJson("resident-config");
let chosen = null; // { lng, lat } in WGS-84
let marker = null;

function setLocation(map, lng, lat) {
  chosen = { lng: Number(lng.toFixed(6)), lat: Number(lat.toFixed(6)) };
  if (map) {
    marker ??= L.circleMarker([lat, lng], {
      radius: 9,
      color: "#c62828",
      weight: 3,
      fillColor: "#ef5350",
      fillOpacity: 0.7,
    }).addTo(map);
    marker.setLatLng([lat, lng]);
  }
  const slot = document.getElementById("location-value");
  slot.textContent = t("page.resident.location.chosen", { lng: chosen.lng, lat: chosen.lat });
  slot.dataset.chosen = "true";
}

function createMap() {
  const container = document.getElementById("resident-map");
  if (!container) return null;
  const calm = window.matchMedia?.("(prefers-reduced-motion: reduce)").matches ?? false;
  const map = L.map(container, {
    minZoom: 3,
    maxZoom: 19,
    zoomSnap: 0.25,
    fadeAnimation: !calm,
    zoomAnimation: !calm,
    markerZoomAnimation: !calm,
  });
  map.attributionControl.setPrefix("Leaflet");
  if (!addBaseMap(map, config)) {
    container.classList.add("cg-map-plain");
  }
  if (config.bbox) {
    const [minLng, minLat, maxLng, maxLat] = config.bbox;
    map.fitBounds(
      [
        [minLat, minLng],
        [maxLat, maxLng],
      ],
      { padding: [8, 8] },
    );
    // Without base tiles the served area's outline is the only landmark.
    L.rectangle(
      [
        [minLat, minLng],
        [maxLat, maxLng],
      ],
      { color: "#1565c0", weight: 1, fillOpacity: 0.04, interactive: false },
    ).addTo(map);
  } else {
    map.setView([35, 105], 4);
  }
  map.on("click", (event) => setLocation(map, event.latlng.lng, event.latlng.lat));
  // Keyboard: arrows pan (Leaflet's own), Enter or Space picks the map's centre.
  container.addEventListener("keydown", (event) => {
    if (event.target !== container || (event.key !== "Enter" && event.key !== " ")) return;
    event.preventDefault();
    const centre = map.getCenter();
    setLocation(map, centre.lng, centre.lat);
  });
  container.leafletMap = map; // for the browser tests, which tap a known grid
  container.dataset.state = "ready";
  return map;
}

async function fillCategories() {
  const select = document.getElementById("category_code");
  if (!select) return;
  try {
    await addCategoryOptions(select);
  } catch {
    // No list: the report still goes through, staff pick the category.
  }
}

function readPhoto(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

function wireReport(map) {
  const form = document.getElementById("report-form");
  const locate = document.getElementById("use-location");
  if (!navigator.geolocation) locate.hidden = true;
  locate.addEventListener("click", () => {
    const slot = document.getElementById("location-value");
    slot.textContent = t("page.resident.location.locating");
    navigator.geolocation.getCurrentPosition(
      (position) => {
        const { longitude, latitude } = position.coords; // WGS-84, as the API's default crs
        setLocation(map, longitude, latitude);
        map?.setView([latitude, longitude], Math.max(map.getZoom(), 16));
      },
      () => {
        slot.textContent = t("page.resident.location.failed");
      },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 },
    );
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const description = form.description.value.trim();
    if (!description) {
      showError(form, "description", t("page.resident.required"));
      form.description.focus();
      return;
    }
    const body = { description, channel: "resident", crs: "wgs84" };
    if (form.category_code.value) body.category_code = form.category_code.value;
    const phone = form.reporter_phone.value.trim();
    if (phone) body.reporter_phone = phone;
    if (chosen) Object.assign(body, chosen);
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    button.dataset.label = button.textContent;
    button.textContent = t("page.resident.sending");
    try {
      const file = form.photo.files?.[0];
      if (file) {
        try {
          body.photos = [await readPhoto(file)];
        } catch {
          showError(form, "photos", t("page.resident.photo_unreadable"));
          return;
        }
      }
      const created = await send("POST", "/api/v1/cases", body);
      form.hidden = true;
      document.getElementById("case-number").textContent = created.number;
      const result = document.getElementById("report-result");
      result.hidden = false;
      result.tabIndex = -1;
      result.focus();
      // Ready to track: the number and phone just given.
      const track = document.getElementById("track-form");
      track.number.value = created.number;
      if (phone) track.phone.value = phone;
    } catch (error) {
      showFailure(form, error, t("page.resident.failed"));
    } finally {
      button.disabled = false;
      button.textContent = button.dataset.label;
    }
  });
}

function showTracking(tracked) {
  document.getElementById("track-status").textContent = tracked.merged_into
    ? `${tracked.status_label} · ${t("page.resident.track.merged", { number: tracked.merged_into })}`
    : tracked.status_label;
  const list = document.getElementById("track-timeline");
  list.replaceChildren(
    ...tracked.timeline.map((step) => {
      const item = document.createElement("li");
      const time = document.createElement("time");
      time.dateTime = step.at;
      time.textContent = formatTime(step.at, { dateStyle: "short", timeStyle: "short" });
      const label = document.createElement("span");
      label.textContent = step.status_label;
      item.append(time, " ", label);
      return item;
    }),
  );
  const result = document.getElementById("track-result");
  result.dataset.status = tracked.status;
  result.hidden = false;
  document.getElementById("rating-form").hidden = tracked.status !== "closed";
  document.getElementById("rating-done").hidden = true;
}

async function fetchTracking(number, phone) {
  const query = new URLSearchParams({ number });
  if (phone) query.set("phone", phone);
  const found = await send("GET", `/api/v1/cases/track?${query}`);
  found.phone = phone;
  return found;
}

function wireTrack() {
  const form = document.getElementById("track-form");
  const rating = document.getElementById("rating-form");
  let tracked = null;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const number = form.number.value.trim();
    if (!number) {
      showError(form, "number", t("page.resident.required"));
      form.number.focus();
      return;
    }
    try {
      tracked = await fetchTracking(number, form.phone.value.trim());
      showTracking(tracked);
    } catch (error) {
      document.getElementById("track-result").hidden = true;
      showFailure(form, error, t("page.resident.failed"));
    }
  });
  rating.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(rating);
    const picked = rating.querySelector("input[name=rating]:checked");
    if (!picked) {
      showError(rating, "rating", t("page.resident.rating.required"));
      rating.querySelector("input[name=rating]")?.focus();
      return;
    }
    try {
      await send("POST", `/api/v1/cases/${encodeURIComponent(tracked.number)}/rating`, {
        rating: Number(picked.value),
        comment: rating.comment.value.trim(),
        phone: tracked.phone || null,
      });
      tracked = await fetchTracking(tracked.number, tracked.phone);
      showTracking(tracked);
      document.getElementById("rating-done").hidden = false;
    } catch (error) {
      showFailure(rating, error, t("page.resident.failed"));
    }
  });
}

function boot() {
  const map = createMap();
  wireReport(map);
  wireAnsweredQuestions(document.getElementById("description"));
  wireTrack();
  fillCategories();
}

boot();
