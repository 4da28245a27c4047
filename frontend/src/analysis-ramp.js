// The analysis page's colour ramp: five equal steps from 0 to the largest value, shared by
// the grid map, the hexagon map and the weekly hours (.ramp-0 … .ramp-4 in analysis.css).

import { element } from "./lib/dom.js";

export const RAMP = 5;
export const RAMP_COLOURS = ["#fff3c4", "#fdd17a", "#f99d45", "#e4572e", "#a4161a"];
export const NO_DATA = "#d9d9d9";

/** Equal steps from 0 to the largest value; a class index per value, -1 for no data. */
export function classes(values) {
  const most = Math.max(0, ...values.filter((v) => v !== null));
  const step = most > 0 ? most / RAMP : 1;
  const classOf = (v) => (v === null ? -1 : Math.min(RAMP - 1, Math.floor(v / step)));
  return { step, classOf };
}

/** The legend's steps as swatches with their ranges (`digits` after the point). */
export function rampItems(step, digits) {
  return RAMP_COLOURS.map((_, index) => {
    const item = element("span", "legend-item");
    const low = (index * step).toFixed(digits);
    const high = ((index + 1) * step).toFixed(digits);
    item.append(element("span", `swatch ramp-${index}`), element("span", "", `${low}–${high}`));
    return item;
  });
}
