// The desk's intake of calls and walk-ins: a hotline operator or the reception window
// takes the caller's name and phone, finds the place with the address search box (its
// point, grid and marker are set from the chosen suggestion), sees a category suggestion
// and possible duplicates while typing, and files the case (POST /api/v1/desk/cases,
// which goes through the same intake door every channel uses).

import L from "leaflet";
import { wireHints } from "./desk-intake-hints.js";
import { clearErrors, showFailure } from "./forms.js";
import { addBaseMap } from "./lib/basemap.js";
import { addCategoryOptions } from "./lib/category-options.js";
import { send } from "./lib/http.js";
import { placeSearch } from "./lib/place-search.js";
import { t } from "./strings.js";

export function wireIntake(config, onRegistered) {
  const form = document.getElementById("intake-form");
  if (!form) return;
  const chosen = { hit: null };
  let map = null;

  function showPoint(hit) {
    chosen.hit = hit;
    const located = hit.lng !== null && hit.lat !== null;
    document.getElementById("intake-point").textContent = located
      ? `${hit.lng.toFixed(6)}, ${hit.lat.toFixed(6)}`
      : t("page.place_search.none");
    document.getElementById("intake-grid").textContent = hit.grid_code
      ? `${hit.grid ?? ""} ${hit.grid_code}`.trim()
      : t("page.place_search.none");
    const container = document.getElementById("intake-map");
    container.hidden = !located;
    if (!located) return;
    if (!map) {
      map = L.map(container, { attributionControl: false });
      addBaseMap(map, config);
      map.markers = L.layerGroup().addTo(map);
    }
    map.markers.clearLayers();
    L.circleMarker([hit.lat, hit.lng], { radius: 8, color: "#c62828", weight: 3 }).addTo(
      map.markers,
    );
    map.setView([hit.lat, hit.lng], 16);
    map.invalidateSize();
  }

  function draft() {
    const hit = chosen.hit;
    const data = new FormData(form);
    return {
      description: String(data.get("description") ?? "").trim(),
      address: String(data.get("address") ?? "").trim() || null,
      category_code: data.get("category_code") || null,
      ...(hit && hit.lng !== null ? { lng: hit.lng, lat: hit.lat } : {}),
    };
  }

  const hints = wireHints(form, draft);
  fillCategories();
  document.getElementById("intake-map").hidden = true;
  placeSearch(document.getElementById("intake-place"), {
    onChoose: (hit) => {
      showPoint(hit);
      hints.refresh();
    },
    status: document.getElementById("intake-place-status"),
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const done = document.getElementById("intake-done");
    done.hidden = true;
    const data = new FormData(form);
    const body = {
      ...draft(),
      channel: data.get("channel"),
      caller_name: String(data.get("caller_name") ?? "").trim() || null,
      caller_phone: String(data.get("caller_phone") ?? "").trim() || null,
    };
    try {
      const made = await send("POST", "/api/v1/desk/cases", body);
      done.textContent = t("page.desk.intake.done", { number: made.number });
      done.hidden = false;
      form.reset();
      showPoint({ lng: null, lat: null, grid_code: null });
      chosen.hit = null;
      hints.reset();
      onRegistered();
    } catch (error) {
      showFailure(form, error, error.message);
    }
  });
}

/** The categories in force to choose from by hand; the suggestion picks among the same. */
async function fillCategories() {
  const select = document.getElementById("intake-category");
  try {
    await addCategoryOptions(select);
  } catch {
    // No list: the call is still filed, the classifier chooses or suggestions are offered.
  }
  select.dataset.state = "ready";
}
