// The map's own panels: the legend with the grid status line, and the hover info box.
// Built with textContent only: region names come from imported data and are never HTML.

import L from "leaflet";
import { element } from "./lib/dom.js";
import { t } from "./strings.js";
import { GRID_SELECTED_STYLE, LEGEND_FILL, GRID_STYLE, OUTLINE_STYLES } from "./styles.js";

function panel(className) {
  const container = element("section", `cg-panel ${className}`);
  L.DomEvent.disableClickPropagation(container);
  L.DomEvent.disableScrollPropagation(container);
  return container;
}

export const Legend = L.Control.extend({
  options: { position: "bottomleft", levels: [] },

  onAdd() {
    const container = panel("cg-legend");
    container.setAttribute("aria-labelledby", "cg-legend-title");
    const title = element("h2", "cg-panel-title", t("page.map.legend.title"));
    title.id = "cg-legend-title";
    const list = element("ul", "cg-legend-list");
    for (const level of this.options.levels) {
      list.append(row(lineSwatch(OUTLINE_STYLES[level]), t(`page.map.layer.${level}`)));
    }
    list.append(row(fillSwatch(LEGEND_FILL, GRID_STYLE.color), t("page.map.legend.grid")));
    list.append(
      row(
        fillSwatch(GRID_SELECTED_STYLE.fillColor, GRID_SELECTED_STYLE.color),
        t("page.map.legend.selected"),
      ),
    );
    this.status = element("p", "cg-legend-status", t("page.map.loading"));
    this.status.setAttribute("role", "status");
    this.status.setAttribute("aria-live", "polite");
    container.append(title, list, this.status);
    return container;
  },

  setStatus(text, tone = "") {
    this.status.textContent = text;
    this.status.dataset.tone = tone;
  },
});

function row(swatch, label) {
  const item = element("li");
  item.append(swatch, element("span", "", label));
  return item;
}

function lineSwatch(style) {
  const swatch = element("span", "cg-swatch cg-swatch-line");
  swatch.style.borderTopColor = style.color;
  swatch.style.borderTopWidth = `${Math.max(1, Math.round(style.weight))}px`;
  swatch.style.borderTopStyle = style.dashArray ? "dashed" : "solid";
  return swatch;
}

function fillSwatch(fill, stroke) {
  const swatch = element("span", "cg-swatch cg-swatch-fill");
  swatch.style.background = fill;
  swatch.style.borderColor = stroke;
  return swatch;
}

export const InfoBox = L.Control.extend({
  options: { position: "topright" },

  onAdd() {
    const container = panel("cg-info");
    container.setAttribute("aria-live", "polite");
    this.container = container;
    this.show(null);
    return container;
  },

  /** rows: [[label, name, code], ...] or null for the hint. */
  show(title, rows = []) {
    this.container.replaceChildren();
    if (!title) {
      this.container.append(element("p", "cg-info-hint", t("page.map.hover_hint")));
      return;
    }
    this.container.append(element("h2", "cg-panel-title", title), regionTable(rows));
  },
});

export function regionTable(rows) {
  const table = element("dl", "cg-regions");
  for (const [label, name, code] of rows) {
    const value = element("dd");
    value.append(element("span", "cg-region-name", name ?? code));
    if (code) value.append(element("code", "cg-region-code", code));
    table.append(element("dt", "", label), value);
  }
  return table;
}
