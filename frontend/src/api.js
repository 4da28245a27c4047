// The map page's questions to the geo API, through the pages' one fetch helper.

import { getJson } from "./lib/http.js";

export const api = {
  me: () => getJson("/api/v1/auth/me"),
  region: (code) => getJson(`/api/v1/geo/regions/${encodeURIComponent(code)}`),
  features: (code, level) =>
    getJson(`/api/v1/geo/regions/${encodeURIComponent(code)}/features.geojson?level=${level}`),
  grids: (code, bbox) =>
    getJson(
      `/api/v1/geo/regions/${encodeURIComponent(code)}/grids.geojson?bbox=${bbox.map(round).join(",")}`,
    ),
  locate: (lng, lat) => getJson(`/api/v1/geo/locate?lng=${round(lng)}&lat=${round(lat)}`),
};

function round(value) {
  return Number(value.toFixed(6));
}
