// The region picker: choose a district, street, community or grid by its name instead of
// typing its 6–15 digit code. A search box (GET /api/v1/geo/regions?q=) and a tree of the
// reader's own area (city → district → street → community → grid, each level fetched
// when it is opened: GET /api/v1/geo/regions/{code}) both put the chosen code into the
// form's own input, which becomes hidden; names are shown, the code on hover.
// The search box follows the ARIA combobox pattern and the tree the ARIA tree pattern
// (arrows move, Right opens, Left closes or goes up, Enter or Space chooses, Home/End).
// Names go in as text only.

import "../picker.css";
import { element } from "./dom.js";
import { getJson } from "./http.js";
import { t } from "../strings.js";

const LEVELS = ["province", "city", "district", "street", "community", "grid"];
const WAIT_MS = 200;
const LIMIT = 12;
const pickers = new WeakMap();
let scopeAsked = null;

/** The reader's own area: the tree's root. Asked once per page. */
function scopeCode() {
  scopeAsked ??= getJson("/api/v1/auth/me").then((me) => me.scope_code);
  return scopeAsked;
}

function region(code) {
  return getJson(`/api/v1/geo/regions/${encodeURIComponent(code)}`);
}

function deeper(level, than) {
  return LEVELS.indexOf(level) > LEVELS.indexOf(than);
}

/** The line under a name: its level and the regions it lies in. */
function regionsLine(hit) {
  return [t(`page.picker.level.${hit.level}`), ...(hit.path ?? [])].join(" · ");
}

/**
 * Turn the code input `input` into a region picker.
 * `deepest` is the lowest level that may be chosen ("grid" unless said); `onChoose(code)`
 * is told of every choice (the input's own `change` event fires as well).
 */
export function regionPicker(input, { deepest = "grid", onChoose = () => {} } = {}) {
  const id = input.id || `${input.name}-region`;
  input.id = id;
  input.type = "hidden";
  const searchId = `${id}-picker`;
  const label = document.querySelector(`label[for="${id}"]`);
  if (label) label.htmlFor = searchId;

  const box = element("div", "region-picker");
  const bar = element("div", "region-picker-bar");
  const search = element("input", "region-picker-search");
  search.id = searchId;
  search.type = "text";
  search.maxLength = 50;
  search.autocomplete = "off";
  search.placeholder = t("page.picker.placeholder");
  search.setAttribute("role", "combobox");
  search.setAttribute("aria-autocomplete", "list");
  search.setAttribute("aria-expanded", "false");
  if (input.required) search.setAttribute("aria-required", "true");
  const browse = element("button", "btn-secondary btn-small region-picker-browse", t("page.picker.browse"));
  browse.type = "button";
  browse.setAttribute("aria-expanded", "false");
  const clear = element("button", "btn-secondary btn-small region-picker-clear", "×");
  clear.type = "button";
  clear.setAttribute("aria-label", t("page.picker.clear"));
  bar.append(search, browse, clear);
  const chosenLine = element("p", "region-picker-chosen");
  chosenLine.id = `${id}-chosen`;
  chosenLine.setAttribute("aria-live", "polite");
  search.setAttribute("aria-describedby", chosenLine.id);
  const list = element("ul", "region-picker-list");
  list.id = `${id}-hits`;
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", t("page.picker.hits"));
  list.hidden = true;
  search.setAttribute("aria-controls", list.id);
  const tree = element("ul", "region-picker-tree");
  tree.id = `${id}-tree`;
  tree.setAttribute("role", "tree");
  tree.setAttribute("aria-label", t("page.picker.tree"));
  tree.hidden = true;
  browse.setAttribute("aria-controls", tree.id);
  box.append(bar, chosenLine, list, tree);
  input.after(box);

  let shown = { code: "", name: "", path: [] };

  /** `typed`: the box holds what someone is typing, which stays; the line below still
   * says what is chosen. */
  function show(code, name, path, { typed = false } = {}) {
    shown = { code, name, path };
    if (!typed) {
      search.value = name ?? "";
      search.title = code ?? "";
    }
    chosenLine.title = code ?? "";
    chosenLine.textContent = code
      ? t("page.picker.chosen", { place: [...(path ?? []), name ?? code].join(" · ") })
      : t("page.picker.none");
    clear.hidden = !code;
  }

  function choose(code, name, path) {
    input.value = code;
    show(code, name, path);
    closeList();
    closeTree();
    input.dispatchEvent(new Event("change", { bubbles: true }));
    onChoose(code);
    search.focus();
  }

  /** Shows the name of whatever code the input holds now (typed into a URL, a saved filter).
   * The box is marked busy while a name is asked for, until the last asking ends. */
  let naming = 0;
  async function refresh() {
    const code = input.value.trim();
    if (!code) return show("", "", []);
    show(code, code, []);
    naming += 1;
    search.setAttribute("aria-busy", "true");
    try {
      const found = await region(code);
      const path = await ancestors(found);
      // Typing may have begun while the name was asked for (a dialog just opened).
      if (input.value.trim() === code) show(code, found.name, path, { typed: search.value !== code });
    } catch {
      // An unknown or foreign code stays shown as the code: the server refuses it on use.
    } finally {
      naming -= 1;
      if (!naming) search.removeAttribute("aria-busy");
    }
  }

  // ---- the search box -------------------------------------------------------------
  let hits = [];
  let active = -1;
  let timer = null;
  let asked = 0;

  function closeList() {
    list.hidden = true;
    search.setAttribute("aria-expanded", "false");
    search.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function mark(index) {
    active = index;
    list.querySelectorAll("[role=option]").forEach((option, position) => {
      option.setAttribute("aria-selected", String(position === index));
    });
    const option = document.getElementById(`${list.id}-${index}`);
    if (option) {
      search.setAttribute("aria-activedescendant", option.id);
      option.scrollIntoView({ block: "nearest" });
    }
  }

  function showHits(found) {
    hits = found;
    list.replaceChildren(
      ...found.map((hit, index) => {
        const option = element("li", "region-picker-option");
        option.id = `${list.id}-${index}`;
        option.title = hit.code;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.append(
          element("span", "region-picker-name", hit.name),
          element("span", "region-picker-path", regionsLine(hit)),
        );
        option.addEventListener("mousedown", (event) => {
          event.preventDefault();
          choose(hit.code, hit.name, hit.path);
        });
        return option;
      }),
    );
    if (!found.length) list.append(element("li", "region-picker-empty", t("page.picker.nothing")));
    list.hidden = false;
    search.setAttribute("aria-expanded", "true");
    active = -1;
  }

  async function ask() {
    const text = search.value.trim();
    if (!text) return closeList();
    const mine = ++asked;
    const params = new URLSearchParams({ q: text, deepest, limit: String(LIMIT) });
    try {
      const found = await getJson(`/api/v1/geo/regions?${params}`);
      if (mine === asked) showHits(found);
    } catch (error) {
      if (mine !== asked) return;
      showHits([]);
      list.lastChild.textContent = error.message;
    }
  }

  /** Enter chooses the marked suggestion, else the best one, asking first if still typing. */
  async function enter() {
    if (timer !== null || list.hidden) {
      clearTimeout(timer);
      timer = null;
      await ask();
    }
    const hit = hits[active >= 0 ? active : 0];
    if (hit && !list.hidden) choose(hit.code, hit.name, hit.path);
  }

  search.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      ask();
    }, WAIT_MS);
  });
  search.addEventListener("keydown", (event) => {
    if ((event.key === "ArrowDown" || event.key === "ArrowUp") && !list.hidden && hits.length) {
      event.preventDefault();
      const step = event.key === "ArrowDown" ? 1 : -1;
      mark((active + step + hits.length) % hits.length);
    } else if (event.key === "Enter") {
      event.preventDefault(); // never submits the form half-chosen
      enter();
    } else if (event.key === "Escape" && !list.hidden) {
      event.preventDefault();
      closeList();
    }
  });
  search.addEventListener("blur", () => {
    closeList();
    // Typed but not chosen: the box shows the chosen region again, never a stray text.
    if (input.value === shown.code) show(shown.code, shown.name, shown.path);
    else refresh();
  });

  // ---- the tree -------------------------------------------------------------------
  function closeTree() {
    tree.hidden = true;
    browse.setAttribute("aria-expanded", "false");
  }

  function treeItem(node, depth, path) {
    const item = element("li", "region-picker-node");
    item.setAttribute("role", "treeitem");
    item.setAttribute("aria-level", String(depth));
    item.setAttribute("aria-selected", String(node.code === input.value));
    item.tabIndex = -1;
    item.title = node.code;
    item.dataset.code = node.code;
    const leaf = node.level === deepest || node.level === "grid";
    if (!leaf) item.setAttribute("aria-expanded", "false");
    const row = element("span", "region-picker-row");
    const twisty = element("span", "region-picker-twisty", leaf ? "" : "▸");
    twisty.setAttribute("aria-hidden", "true");
    const name = element("span", "region-picker-name", node.name);
    row.append(twisty, name, element("span", "region-picker-level", t(`page.picker.level.${node.level}`)));
    item.append(row);
    item.pick = () => choose(node.code, node.name, path);
    item.toggle = () => toggle(item, node, depth, [...path, node.name]);
    twisty.addEventListener("click", (event) => {
      event.stopPropagation();
      focusItem(item);
      item.toggle();
    });
    row.addEventListener("click", () => {
      focusItem(item);
      item.pick();
    });
    return item;
  }

  async function toggle(item, node, depth, path) {
    if (!item.hasAttribute("aria-expanded")) return;
    const open = item.getAttribute("aria-expanded") === "true";
    item.setAttribute("aria-expanded", String(!open));
    item.querySelector(".region-picker-twisty").textContent = open ? "▸" : "▾";
    if (open || item.querySelector("[role=group]")) return;
    const group = element("ul", "region-picker-group");
    group.setAttribute("role", "group");
    group.append(element("li", "region-picker-loading", t("page.picker.loading")));
    item.append(group);
    try {
      const found = await region(node.code);
      const children = found.children.filter((child) => !deeper(child.level, deepest));
      group.replaceChildren(...children.map((child) => treeItem(child, depth + 1, path)));
      if (!children.length) group.append(element("li", "region-picker-empty", t("page.picker.nothing")));
    } catch (error) {
      group.replaceChildren(element("li", "region-picker-empty", error.message));
    }
  }

  function visibleItems() {
    return [...tree.querySelectorAll("[role=treeitem]")].filter(
      (item) => !item.parentElement.closest("[role=treeitem][aria-expanded=false]"),
    );
  }

  function focusItem(item) {
    for (const other of tree.querySelectorAll("[role=treeitem]")) other.tabIndex = -1;
    item.tabIndex = 0;
    item.focus();
  }

  tree.addEventListener("keydown", (event) => {
    const item = event.target.closest("[role=treeitem]");
    if (!item) return;
    const items = visibleItems();
    const at = items.indexOf(item);
    const expanded = item.getAttribute("aria-expanded");
    const moves = {
      ArrowDown: () => items[at + 1] && focusItem(items[at + 1]),
      ArrowUp: () => items[at - 1] && focusItem(items[at - 1]),
      Home: () => focusItem(items[0]),
      End: () => focusItem(items[items.length - 1]),
      ArrowRight: () => {
        if (expanded === "false") item.toggle();
        else if (expanded === "true") {
          const first = item.querySelector("[role=treeitem]");
          if (first) focusItem(first);
        }
      },
      ArrowLeft: () => {
        if (expanded === "true") item.toggle();
        else {
          const parent = item.parentElement.closest("[role=treeitem]");
          if (parent) focusItem(parent);
        }
      },
      Enter: () => item.pick(),
      " ": () => item.pick(),
      Escape: () => {
        closeTree();
        browse.focus();
      },
    };
    const move = moves[event.key];
    if (!move) return;
    event.preventDefault();
    move();
  });

  async function openTree() {
    tree.hidden = false;
    browse.setAttribute("aria-expanded", "true");
    if (!tree.firstChild) {
      tree.append(element("li", "region-picker-loading", t("page.picker.loading")));
      try {
        const root = await region(await scopeCode());
        const top = treeItem(root, 1, await ancestors(root));
        tree.replaceChildren(top);
        await top.toggle();
      } catch (error) {
        tree.replaceChildren(element("li", "region-picker-empty", error.message));
        return;
      }
    }
    const current = tree.querySelector("[role=treeitem][aria-selected=true]");
    focusItem(current ?? tree.querySelector("[role=treeitem]"));
  }

  browse.addEventListener("click", () => (tree.hidden ? openTree() : closeTree()));
  clear.addEventListener("click", () => {
    choose("", "", []);
  });
  input.form?.addEventListener("reset", () => {
    input.value = "";
    setTimeout(() => show("", "", []));
  });

  pickers.set(input, refresh);
  refresh();
}

/** The names of the regions above one (its district, street, community), for its line. */
async function ancestors(found) {
  const names = [];
  let parent = found.parent_code;
  while (parent && parent.length >= 6) {
    try {
      const above = await region(parent);
      if (above.level === "city" || above.level === "province") break;
      names.unshift(above.name);
      parent = above.parent_code;
    } catch {
      break;
    }
  }
  return names;
}

/** After a page writes a code into a picker's input itself, the picker shows its name. */
export function showRegion(input) {
  pickers.get(input)?.();
}
