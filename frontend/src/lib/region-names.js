// Names for the region codes a page already holds (an account's area, a department's
// region, a worker's grid): one request for the lot (GET /api/v1/geo/regions?codes=),
// then each shown by name with its code on hover.

import { element } from "./dom.js";
import { getJson } from "./http.js";

const AT_ONCE = 200;

/** code → {code, name, level, path}; a code the reader may not name is left out. */
export async function regionNames(codes) {
  const wanted = [...new Set(codes.filter(Boolean))];
  const names = new Map();
  for (let start = 0; start < wanted.length; start += AT_ONCE) {
    const part = wanted.slice(start, start + AT_ONCE).join(",");
    const found = await getJson(`/api/v1/geo/regions?codes=${encodeURIComponent(part)}`).catch(() => []);
    for (const hit of found) names.set(hit.code, hit);
  }
  return names;
}

/** A region's name (the code itself when no name is known) with the code on hover. */
export function regionName(code, names) {
  if (!code) return "";
  const node = element("span", "region-name", names.get(code)?.name ?? code);
  node.title = code;
  return node;
}
