// How each kind of shape is drawn. The legend reads the same table, so the two never disagree.

export const OUTLINE_STYLES = {
  scope: { color: "#0b3d91", weight: 3.5, opacity: 0.95, fill: false },
  district: { color: "#1d4ed8", weight: 2.5, opacity: 0.9, fill: false },
  street: { color: "#2563eb", weight: 1.6, opacity: 0.85, dashArray: "8 5", fill: false },
  community: { color: "#475569", weight: 1, opacity: 0.7, dashArray: "3 4", fill: false },
};

export const LAND_STYLE = { stroke: false, fillColor: "#ffffff", fillOpacity: 0.75 };

// Soft fills, one per community, so neighbouring communities' grids read apart.
const GRID_FILLS = ["#93c5fd", "#a5b4fc", "#99f6e4", "#bef264", "#fde68a", "#fbcfe8", "#c4b5fd", "#a7f3d0"];

export const GRID_STYLE = { color: "#3b82f6", weight: 0.8, opacity: 0.9, fillOpacity: 0.35 };
export const GRID_HOVER_STYLE = { color: "#ea580c", weight: 2.2, fillColor: "#fdba74", fillOpacity: 0.6 };
export const GRID_SELECTED_STYLE = {
  color: "#dc2626",
  weight: 2.8,
  fillColor: "#fbbf24",
  fillOpacity: 0.65,
};

export function gridStyle(feature) {
  return { ...GRID_STYLE, fillColor: gridFill(feature.properties.parent_code ?? "") };
}

export function gridFill(communityCode) {
  let hash = 0;
  for (const character of communityCode) hash = (hash * 31 + character.charCodeAt(0)) >>> 0;
  return GRID_FILLS[hash % GRID_FILLS.length];
}

export const LEGEND_FILL = GRID_FILLS[0];
