// The map page: the signed-in user's jurisdiction drawn from the platform's own
// shapes (districts, streets, communities, grids), with no base tiles unless the
// operator configured a tile URL. Intranets have no internet, so nothing here
// reaches outside the server that served the page.

import "leaflet/dist/leaflet.css";
import "./map.css";
import L from "leaflet";
import { api } from "./api.js";
import { CaseLayer } from "./case-points.js";
import { InfoBox, Legend, regionTable } from "./controls.js";
import { GRID_MIN_ZOOM, GridLayer } from "./grid-layer.js";
import { addBaseMap } from "./lib/basemap.js";
import { element } from "./lib/dom.js";
import { readJson, t } from "./strings.js";
import { LAND_STYLE, OUTLINE_STYLES } from "./styles.js";
import { GridSource } from "./tiles.js";

const LEVEL_ORDER = ["province", "city", "district", "street", "community", "grid"];
const OUTLINE_LEVELS = ["district", "street", "community"];
const PLACEMENT_LEVELS = ["grid", "community", "street", "district"];

function below(level, other) {
  return LEVEL_ORDER.indexOf(level) > LEVEL_ORDER.indexOf(other);
}

function createMap(container, config) {
  const calm = window.matchMedia?.("(prefers-reduced-motion: reduce)").matches ?? false;
  const map = L.map(container, {
    minZoom: 3,
    maxZoom: 19,
    zoomSnap: 0.25, // fit a jurisdiction snugly, not at the next whole zoom out
    fadeAnimation: !calm,
    zoomAnimation: !calm,
    markerZoomAnimation: !calm,
  });
  map.attributionControl.setPrefix("Leaflet");
  container.leafletMap = map; // for the browser tests, which wait for a popup's pan
  map.createPane("grids").style.zIndex = 350;
  const outlines = map.createPane("outlines");
  outlines.style.zIndex = 420;
  outlines.style.pointerEvents = "none"; // let the mouse reach the grids underneath
  L.control.scale({ imperial: false, position: "bottomright" }).addTo(map);
  const renderers = {
    grids: L.canvas({ pane: "grids", padding: 0.3, tolerance: 2 }),
    outlines: L.canvas({ pane: "outlines", padding: 0.3 }),
  };
  const layers = L.control.layers(null, null, { collapsed: false, position: "topright" });
  const tiles = addBaseMap(map, config);
  if (tiles) {
    layers.addOverlay(tiles, t("page.map.layer.tiles"));
  } else {
    container.classList.add("cg-map-plain");
  }
  return { map, renderers, layers };
}

function fitTo(map, region) {
  if (region.bbox) {
    const [minLng, minLat, maxLng, maxLat] = region.bbox;
    map.fitBounds(
      [
        [minLat, minLng],
        [maxLat, maxLng],
      ],
      { padding: [24, 24] },
    );
  } else if (region.center) {
    map.setView([region.center[1], region.center[0]], GRID_MIN_ZOOM);
  } else {
    map.setView([35, 105], 4); // China as a whole: nothing better to show
  }
}

/** The scope's own boundary: its parent's features at the scope's level, filtered to the scope by the API. */
async function scopeOutline(scope) {
  if (!scope.parent_code) return null;
  try {
    const collection = await api.features(scope.parent_code, scope.level);
    const own = collection.features.filter((feature) => feature.id === scope.code);
    return own.length ? { ...collection, features: own } : null;
  } catch {
    return null; // an unimported parent only costs the outline
  }
}

/** The region above the scope, for its name: a hovered grid names its community and street. */
async function parentOf(scope) {
  if (!scope.parent_code) return null;
  return api.region(scope.parent_code).catch(() => null);
}

async function drawOutlines({ map, renderers, layers }, scope, names) {
  const levels = OUTLINE_LEVELS.filter((level) => below(level, scope.level));
  const [boundary, ...collections] = await Promise.all([
    scopeOutline(scope),
    ...levels.map((level) => api.features(scope.code, level)),
  ]);
  const add = (collection, level, visible) => {
    for (const feature of collection.features) {
      names.set(feature.id, { name: feature.properties.name, parent: feature.properties.parent_code });
    }
    const layer = L.geoJSON(collection, {
      renderer: renderers.outlines,
      interactive: false,
      style: () => OUTLINE_STYLES[level],
    });
    if (visible) layer.addTo(map);
    layers.addOverlay(layer, t(`page.map.layer.${level}`));
  };
  if (boundary) {
    // The jurisdiction as paper on the plain background, under the grids.
    L.geoJSON(boundary, { renderer: renderers.grids, interactive: false, style: LAND_STYLE }).addTo(map);
    add(boundary, "scope", true);
  }
  levels.forEach((level, index) => {
    // A whole city's communities are a thousand outlines: offered, but off until asked for.
    add(collections[index], level, level !== "community" || below(scope.level, "city"));
  });
  return boundary ? ["scope", ...levels] : levels;
}

function hoverRows(feature, names) {
  const rows = [[t("page.level.grid"), feature.properties.name, feature.id]];
  let code = feature.properties.parent_code;
  for (const level of ["community", "street"]) {
    if (!code) break;
    const known = names.get(code);
    rows.push([t(`page.level.${level}`), known?.name ?? code, code]);
    code = known?.parent;
  }
  return rows;
}

async function showPlacement(map, grids, latlng) {
  const popup = L.popup({ maxWidth: 320, className: "cg-popup" })
    .setLatLng(latlng)
    .setContent(element("p", "cg-info-hint", t("page.map.loading")))
    .openOn(map);
  let placement;
  try {
    placement = await api.locate(latlng.lng, latlng.lat);
  } catch {
    popup.setContent(element("p", "cg-info-hint", t("page.map.load_failed")));
    return;
  }
  grids.select(placement.grid?.code ?? null);
  const body = element("div", "cg-placement");
  if (placement.unlocated) {
    body.append(element("p", "cg-info-hint", t("page.map.unlocated")));
  } else {
    const rows = PLACEMENT_LEVELS.filter((level) => placement[level]).map((level) => [
      t(`page.level.${level}`),
      placement[level].name,
      placement[level].code,
    ]);
    body.append(element("h2", "cg-panel-title", placement.grid?.name ?? ""), regionTable(rows));
  }
  const [lng, lat] = placement.wgs84;
  body.append(element("p", "cg-coordinates", `${lng.toFixed(6)}, ${lat.toFixed(6)}`));
  popup.setContent(body);
}

function showScopeInHeader(scope) {
  const slot = document.getElementById("scope-name");
  if (!slot) return;
  slot.textContent = t("page.map.scope_value", {
    name: scope.name,
    level: t(`page.level.${scope.level}`),
  });
  slot.closest("[hidden]")?.removeAttribute("hidden");
}

function gridStatusText(status) {
  if (status.state === "zoom") return t("page.map.zoom_for_grids");
  if (status.state === "loading") return t("page.map.loading");
  if (status.state === "failed") return t("page.map.load_failed");
  if (status.shown < status.total) {
    return t("page.map.grids_capped", { shown: status.shown, total: status.total });
  }
  return t("page.map.grids_shown", { count: status.shown });
}

async function boot() {
  const container = document.getElementById("map");
  if (!container) return;
  const view = createMap(container, readJson("map-config"));
  const { map, renderers, layers } = view;
  container.dataset.gridCount = "0";
  try {
    const me = await api.me();
    const scope = await api.region(me.scope_code);
    showScopeInHeader(scope);
    fitTo(map, scope);
    const names = new Map([[scope.code, { name: scope.name, parent: scope.parent_code }]]);
    const [parent, legendLevels] = await Promise.all([
      parentOf(scope),
      drawOutlines(view, scope, names),
    ]);
    if (parent) names.set(parent.code, { name: parent.name, parent: parent.parent_code });
    const legend = new Legend({ levels: legendLevels }).addTo(map);
    const info = new InfoBox().addTo(map);
    layers.addTo(map);
    // A grid-level user has no grids below them: ask their community, which the API filters to theirs.
    const gridRegion = scope.level === "grid" ? scope.parent_code : scope.code;
    const grids = new GridLayer(map, new GridSource(gridRegion, scope.bbox), {
      renderer: renderers.grids,
      onStatus: (status) => {
        legend.setStatus(gridStatusText(status), status.state === "failed" ? "error" : "");
        container.dataset.gridCount = String(status.state === "ready" ? status.shown : 0);
        container.dataset.gridState = status.state;
      },
      onHover: (feature) =>
        feature
          ? info.show(feature.properties.name, hoverRows(feature, names))
          : info.show(null),
    });
    layers.addOverlay(grids.group, t("page.map.layer.grid"));
    grids.group.addTo(map);
    map.on("click", (event) => showPlacement(map, grids, event.latlng));
    const cases = new CaseLayer(map);
    layers.addOverlay(cases.group, t("page.cases_map.layer"));
    cases.group.addTo(map);
    cases.load().then(
      (count) => {
        container.dataset.casePoints = String(count);
      },
      (error) => console.error(error),
    );
    container.dataset.state = "ready";
  } catch (error) {
    container.dataset.state = "failed";
    const notice = element("p", "cg-map-error", t("page.map.load_failed"));
    notice.setAttribute("role", "alert");
    container.append(notice);
    console.error(error);
  }
}

boot();
