// The grid polygons of the current view: loaded per tile, drawn on one canvas,
// at most MAX_DRAWN at a time, and only once the map is zoomed in far enough
// that a grid is bigger than a few pixels.

import L from "leaflet";
import { overlaps } from "./tiles.js";
import { GRID_HOVER_STYLE, GRID_SELECTED_STYLE, gridStyle } from "./styles.js";

export const GRID_MIN_ZOOM = 11;
const MAX_DRAWN = 4000;
const DEBOUNCE_MS = 200;

export class GridLayer {
  constructor(map, source, { renderer, onStatus, onHover }) {
    this.map = map;
    this.source = source;
    this.renderer = renderer;
    this.onStatus = onStatus;
    this.onHover = onHover;
    this.group = L.featureGroup();
    this.drawn = new Map(); // grid code -> polygon
    this.selected = null;
    this.generation = 0;
    this.timer = null;
    this.group.on("mouseover", (event) => this.hover(event.propagatedFrom));
    this.group.on("mouseout", (event) => this.unhover(event.propagatedFrom));
    this.group.on("add", () => this.refreshSoon(0));
    this.group.on("remove", () => this.clear());
    map.on("moveend", () => this.refreshSoon(DEBOUNCE_MS));
  }

  refreshSoon(delay) {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.refresh(), delay);
  }

  async refresh() {
    if (!this.map.hasLayer(this.group)) return;
    const generation = ++this.generation;
    if (this.map.getZoom() < GRID_MIN_ZOOM) {
      this.clear();
      this.onStatus({ state: "zoom" });
      return;
    }
    this.onStatus({ state: "loading" });
    const view = viewBbox(this.map.getBounds());
    let features;
    try {
      features = await this.source.featuresIn(view);
    } catch (error) {
      if (generation === this.generation) this.onStatus({ state: "failed", error });
      return;
    }
    if (generation !== this.generation) return; // the map moved on while this loaded
    if (features === null) {
      this.clear();
      this.onStatus({ state: "zoom" });
      return;
    }
    const visible = features.filter((feature) => overlaps(feature.bbox, view));
    this.draw(visible.slice(0, MAX_DRAWN));
    this.onStatus({ state: "ready", shown: this.drawn.size, total: visible.length });
  }

  draw(features) {
    const wanted = new Set(features.map((feature) => feature.id));
    for (const [code, polygon] of this.drawn) {
      if (!wanted.has(code)) {
        this.group.removeLayer(polygon);
        this.drawn.delete(code);
      }
    }
    for (const feature of features) {
      if (this.drawn.has(feature.id)) continue;
      const polygon = L.GeoJSON.geometryToLayer(feature, { renderer: this.renderer });
      polygon.feature = feature;
      polygon.setStyle(this.styleOf(feature));
      this.group.addLayer(polygon);
      this.drawn.set(feature.id, polygon);
    }
  }

  clear() {
    this.group.clearLayers();
    this.drawn.clear();
  }

  select(code) {
    const previous = this.selected;
    this.selected = code;
    for (const other of [previous, code]) {
      const polygon = other && this.drawn.get(other);
      if (polygon) polygon.setStyle(this.styleOf(polygon.feature));
    }
  }

  styleOf(feature) {
    return feature.id === this.selected
      ? { ...gridStyle(feature), ...GRID_SELECTED_STYLE }
      : gridStyle(feature);
  }

  hover(polygon) {
    if (!polygon?.feature) return;
    if (polygon.feature.id !== this.selected) polygon.setStyle(GRID_HOVER_STYLE);
    this.onHover(polygon.feature);
  }

  unhover(polygon) {
    if (!polygon?.feature) return;
    polygon.setStyle(this.styleOf(polygon.feature));
    this.onHover(null);
  }
}

function viewBbox(bounds) {
  return [bounds.getWest(), bounds.getSouth(), bounds.getEast(), bounds.getNorth()];
}
