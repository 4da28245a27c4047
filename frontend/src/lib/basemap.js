// The base map under every map page: the operator's tile server (天地图 with its key and
// label layer, or an intranet's own) or the MBTiles file the platform serves at /tiles/.
// With neither configured the maps draw the platform's own shapes on a plain background.

import L from "leaflet";

/** Adds the configured base map to `map` and returns it (one layer), or null when there is none. */
export function addBaseMap(map, config) {
  if (!config.tileUrl) return null;
  const options = {
    maxZoom: 19,
    attribution: config.tileAttribution || "",
    key: config.tileKey || "", // fills {key} in the template (天地图's tk=)
  };
  if (config.tileSubdomains) options.subdomains = config.tileSubdomains;
  const base = L.tileLayer(config.tileUrl, options);
  if (!config.tileLabelsUrl) return base.addTo(map);
  const labels = L.tileLayer(config.tileLabelsUrl, { ...options, attribution: "" });
  return L.layerGroup([base, labels]).addTo(map);
}
