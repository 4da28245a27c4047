// Grid shapes are fetched per "tile": a fixed Web-Mercator tile at one zoom, so
// panning around reuses what was already loaded instead of asking for every new
// viewport, and a long session does not keep every tile (least recently used go).

import { api } from "./api.js";

const TILE_ZOOM = 12; // about 9 km a side in southern China: a few hundred grids in a city centre
const MAX_TILES_PER_VIEW = 48;
const MAX_CACHED_TILES = 256;
const MAX_LAT = 85.05112878;

export class GridSource {
  constructor(regionCode, regionBbox) {
    this.regionCode = regionCode;
    this.regionBbox = regionBbox; // [minLng, minLat, maxLng, maxLat] or null
    this.cache = new Map(); // tile key -> Promise<features>
  }

  /** Features of every tile the bbox touches, each grid once; null if the view is too wide. */
  async featuresIn(bbox) {
    const wanted = intersection(bbox, this.regionBbox);
    if (!wanted) return [];
    const tiles = tilesCovering(wanted);
    if (!tiles) return null;
    const lists = await Promise.all(tiles.map((tile) => this.tile(tile)));
    const byCode = new Map();
    for (const list of lists) {
      for (const feature of list) byCode.set(feature.id, feature);
    }
    return [...byCode.values()];
  }

  tile(tile) {
    const cached = this.cache.get(tile.key);
    if (cached) {
      this.cache.delete(tile.key); // re-insert: Map order is our recency order
      this.cache.set(tile.key, cached);
      return cached;
    }
    const loading = api.grids(this.regionCode, tile.bbox).then(
      (collection) => collection.features.map(withBbox),
      (error) => {
        this.cache.delete(tile.key); // let the next move try again
        throw error;
      },
    );
    this.cache.set(tile.key, loading);
    while (this.cache.size > MAX_CACHED_TILES) {
      this.cache.delete(this.cache.keys().next().value);
    }
    return loading;
  }
}

export function overlaps(a, b) {
  return a[0] <= b[2] && a[2] >= b[0] && a[1] <= b[3] && a[3] >= b[1];
}

function intersection(a, b) {
  if (!b) return a;
  if (!overlaps(a, b)) return null;
  return [Math.max(a[0], b[0]), Math.max(a[1], b[1]), Math.min(a[2], b[2]), Math.min(a[3], b[3])];
}

function tilesCovering([minLng, minLat, maxLng, maxLat]) {
  const n = 2 ** TILE_ZOOM;
  const x0 = clamp(lngToX(minLng, n), 0, n - 1);
  const x1 = clamp(lngToX(maxLng, n), 0, n - 1);
  const y0 = clamp(latToY(maxLat, n), 0, n - 1);
  const y1 = clamp(latToY(minLat, n), 0, n - 1);
  if ((x1 - x0 + 1) * (y1 - y0 + 1) > MAX_TILES_PER_VIEW) return null;
  const tiles = [];
  for (let x = x0; x <= x1; x += 1) {
    for (let y = y0; y <= y1; y += 1) {
      tiles.push({ key: `${x}/${y}`, bbox: tileBbox(x, y, n) });
    }
  }
  return tiles;
}

function lngToX(lng, n) {
  return Math.floor(((lng + 180) / 360) * n);
}

function latToY(lat, n) {
  const radians = (clamp(lat, -MAX_LAT, MAX_LAT) * Math.PI) / 180;
  return Math.floor(((1 - Math.asinh(Math.tan(radians)) / Math.PI) / 2) * n);
}

function tileBbox(x, y, n) {
  const lng = (column) => (column / n) * 360 - 180;
  const lat = (row) => (Math.atan(Math.sinh(Math.PI * (1 - (2 * row) / n))) * 180) / Math.PI;
  return [lng(x), lat(y + 1), lng(x + 1), lat(y)];
}

function clamp(value, low, high) {
  return Math.min(high, Math.max(low, value));
}

/** Each feature keeps its own bbox, so the view can be filtered without touching geometry. */
function withBbox(feature) {
  const box = [Infinity, Infinity, -Infinity, -Infinity];
  const visit = (coordinates) => {
    if (typeof coordinates[0] === "number") {
      box[0] = Math.min(box[0], coordinates[0]);
      box[1] = Math.min(box[1], coordinates[1]);
      box[2] = Math.max(box[2], coordinates[0]);
      box[3] = Math.max(box[3], coordinates[1]);
      return;
    }
    coordinates.forEach(visit);
  };
  if (feature.geometry) visit(feature.geometry.coordinates);
  feature.bbox = box;
  return feature;
}
