// The open cases themselves on a map (the command map and the grid map): one request for
// the reader's points, clustered in the browser with supercluster so 20,000 cases draw as a
// few dozen markers; red where a case is overdue. A point's popup links to the case.

import "./case-points.css";
import L from "leaflet";
import Supercluster from "supercluster";
import { element } from "./lib/dom.js";
import { send } from "./lib/http.js";
import { t } from "./strings.js";

const CLUSTER_RADIUS = 56;
const MAX_CLUSTER_ZOOM = 16;

export class CaseLayer {
  /** `pane` keeps the points above the areas. Clusters keep the DOM small: a city's 20,000
   * cases are a few dozen markers at any zoom. */
  constructor(map, { pane = "markerPane" } = {}) {
    this.map = map;
    this.pane = pane;
    this.group = L.layerGroup();
    this.index = null;
    this.count = 0;
    map.on("moveend", () => this.draw());
    this.group.on("add", () => this.draw());
  }

  /** Fetches the reader's open cases (their area only, the API's filter) and draws them. */
  async load() {
    const body = await send("GET", "/api/v1/cases/points");
    const features = body.points.map(([number, lng, lat, state]) => ({
      type: "Feature",
      properties: { number, overdue: state === "overdue" ? 1 : 0 },
      geometry: { type: "Point", coordinates: [lng, lat] },
    }));
    this.index = new Supercluster({
      radius: CLUSTER_RADIUS,
      maxZoom: MAX_CLUSTER_ZOOM,
      map: (properties) => ({ overdue: properties.overdue }),
      reduce: (total, properties) => {
        total.overdue += properties.overdue;
      },
    });
    this.index.load(features);
    this.count = features.length;
    this.draw();
    return this.count;
  }

  draw() {
    if (!this.index || !this.map.hasLayer(this.group)) return;
    const size = this.map.getSize();
    if (!size.x || !size.y) return; // a hidden map (the command page's phone layout) has no view
    const bounds = this.map.getBounds().pad(0.2);
    const clusters = this.index.getClusters(
      [bounds.getWest(), Math.max(-85, bounds.getSouth()), bounds.getEast(), Math.min(85, bounds.getNorth())],
      Math.round(this.map.getZoom()),
    );
    this.group.clearLayers();
    for (const found of clusters) {
      this.group.addLayer(found.properties.cluster ? this.cluster(found) : this.point(found));
    }
    this.map.getContainer().dataset.casePoints = String(clusters.length);
  }

  cluster(found) {
    const { point_count: count, overdue } = found.properties;
    const [lng, lat] = found.geometry.coordinates;
    const badge = element("span", "cg-case-cluster", count > 999 ? `${Math.round(count / 1000)}k` : String(count));
    if (overdue > 0) badge.classList.add("cg-case-cluster-overdue");
    badge.title = t("page.cases_map.cluster", { count, overdue });
    const size = count < 100 ? 30 : count < 1000 ? 38 : 46;
    const marker = L.marker([lat, lng], {
      pane: this.pane,
      icon: L.divIcon({ html: badge, className: "", iconSize: [size, size] }),
      keyboard: false,
    });
    marker.on("click", () => {
      const zoom = Math.min(this.index.getClusterExpansionZoom(found.properties.cluster_id), 19);
      this.map.setView([lat, lng], zoom);
    });
    return marker;
  }

  point(found) {
    const { number, overdue } = found.properties;
    const [lng, lat] = found.geometry.coordinates;
    const dot = element("span", overdue ? "cg-case-point cg-case-point-overdue" : "cg-case-point");
    dot.title = number;
    const marker = L.marker([lat, lng], {
      pane: this.pane,
      icon: L.divIcon({ html: dot, className: "", iconSize: [14, 14] }),
      alt: number,
    });
    // The popup belongs to the map, not the marker: panning to show it redraws the markers.
    marker.on("click", () =>
      L.popup({ className: "cg-popup" })
        .setLatLng([lat, lng])
        .setContent(popup(number, overdue))
        .openOn(this.map),
    );
    return marker;
  }
}

function popup(number, overdue) {
  const body = element("div", "cg-case-popup");
  body.append(
    element("strong", "", number),
    element("p", overdue ? "cg-case-overdue" : "", t(overdue ? "page.cases_map.overdue" : "page.cases_map.open")),
  );
  const link = element("a", "", t("page.cases_map.open_case"));
  link.href = `/desk?case=${encodeURIComponent(number)}`;
  body.append(link);
  return body;
}
