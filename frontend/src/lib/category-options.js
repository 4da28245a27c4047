// The categories a case may be filed under, as one option group per level-1 group.
// GET /api/v1/categories lists only the taxonomy the city has in force, so every filing
// page (the resident's report, the desk's intake) and the routing rules' form offer the
// same ones.

import { send } from "./http.js";

/** The categories in force, as GET /api/v1/categories gives them: a tree of groups. */
export async function categoriesInForce() {
  const { tree } = await send("GET", "/api/v1/categories");
  return tree;
}

/** One <optgroup> per group of `tree` that holds a category; `wholeGroup(name)`, when
 * given, labels a first option that chooses the group itself; codes in `skip` are left out. */
export function categoryGroups(tree, { wholeGroup = null, skip = new Set() } = {}) {
  const english = document.documentElement.lang === "en";
  const label = (item) => (english && item.name_en) || item.name;
  return tree
    .filter((group) => group.categories?.length)
    .map((group) => {
      const optgroup = document.createElement("optgroup");
      optgroup.label = label(group);
      if (wholeGroup) optgroup.append(new Option(wholeGroup(label(group)), group.code));
      for (const category of group.categories) {
        if (skip.has(category.code)) continue;
        const option = new Option(label(category), category.code);
        option.title = category.code;
        optgroup.append(option);
      }
      return optgroup;
    });
}

/** Add the categories in force to a filing form's <select>, after what it already holds
 * (a suggestion offered before the list came is not listed twice). */
export async function addCategoryOptions(select) {
  const known = new Set([...select.options].map((option) => option.value));
  select.append(...categoryGroups(await categoriesInForce(), { skip: known }));
}
