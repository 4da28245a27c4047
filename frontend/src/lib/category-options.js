// The categories a case may be filed under, added to a <select> as one option group per
// level-1 group. GET /api/v1/categories lists only the taxonomy the city has in force, so
// every filing page (the resident's report, the desk's intake) offers the same ones.

import { send } from "./http.js";

export async function addCategoryOptions(select) {
  const { tree } = await send("GET", "/api/v1/categories");
  const english = document.documentElement.lang === "en";
  const label = (item) => (english && item.name_en) || item.name;
  // A suggestion offered before the list came is not listed twice.
  const known = new Set([...select.options].map((option) => option.value));
  for (const group of tree) {
    if (!group.categories?.length) continue;
    const optgroup = document.createElement("optgroup");
    optgroup.label = label(group);
    for (const category of group.categories) {
      if (known.has(category.code)) continue;
      const option = new Option(label(category), category.code);
      option.title = category.code;
      optgroup.append(option);
    }
    select.append(optgroup);
  }
}
