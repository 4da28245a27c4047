// The address search box: a text input that suggests roads, 小区, standard addresses,
// key places and region names of the reader's area (GET /api/v1/registry/places) and
// hands the chosen place (its point, grid and region names) to the page.
// It follows the ARIA combobox pattern: the input owns a listbox, arrow keys move the
// active option, Enter chooses it, Escape closes the list. Names go in as text only.

import { element } from "./dom.js";
import { getJson } from "./http.js";
import { t } from "../strings.js";

const PLACES_URL = "/api/v1/registry/places";
const MIN_CHARS = 2;
const WAIT_MS = 250;
const LIMIT = 10;

/** What a suggestion shows under its name: its kind and the regions it lies in. */
function regionsLine(hit) {
  return [t(`page.place_search.kind.${hit.kind}`), hit.street, hit.community, hit.grid].filter(Boolean).join(" · ");
}

/**
 * Turn `input` into a place search box.
 * `onChoose(hit)` receives {name, kind, lng, lat, region_code, grid_code, street, community, grid};
 * `status` is a live element that reads out the number of suggestions or the server's refusal.
 */
export function placeSearch(input, { onChoose, status }) {
  const listId = `${input.id}-places`;
  const list = element("ul", "place-search-list");
  list.id = listId;
  list.setAttribute("role", "listbox");
  list.hidden = true;
  input.after(list);
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("aria-controls", listId);
  input.autocomplete = "off";

  let hits = [];
  let active = -1;
  let timer = null;
  let asked = 0;

  function say(text) {
    status.textContent = text;
  }

  function close() {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function mark(index) {
    active = index;
    list.querySelectorAll("[role=option]").forEach((option, position) => {
      option.setAttribute("aria-selected", String(position === index));
    });
    if (index < 0) input.removeAttribute("aria-activedescendant");
    else {
      const option = document.getElementById(`${listId}-${index}`);
      input.setAttribute("aria-activedescendant", option.id);
      option.scrollIntoView({ block: "nearest" });
    }
  }

  function choose(index) {
    const hit = hits[index];
    if (!hit) return;
    input.value = hit.name;
    close();
    onChoose(hit);
  }

  function show(found) {
    hits = found;
    list.replaceChildren(
      ...found.map((hit, index) => {
        const option = element("li", "place-search-option");
        option.id = `${listId}-${index}`;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.append(
          element("span", "place-search-name", hit.name),
          element("span", "place-search-regions", regionsLine(hit)),
        );
        // mousedown, not click: the input keeps focus, so the list is not closed first.
        option.addEventListener("mousedown", (event) => {
          event.preventDefault();
          choose(index);
        });
        return option;
      }),
    );
    list.hidden = found.length === 0;
    input.setAttribute("aria-expanded", String(found.length > 0));
    active = -1;
  }

  async function ask() {
    const text = input.value.trim();
    if (text.length < MIN_CHARS) {
      show([]);
      return;
    }
    const mine = ++asked;
    const params = new URLSearchParams({ q: text, limit: String(LIMIT) });
    try {
      const found = await getJson(`${PLACES_URL}?${params}`);
      if (mine !== asked) return; // a later keystroke already asked again
      show(found);
      say(t("page.place_search.count", { count: found.length }));
    } catch (error) {
      if (mine !== asked) return;
      show([]);
      say(error.message);
    }
  }

  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(ask, WAIT_MS);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (list.hidden) return;
      event.preventDefault();
      const step = event.key === "ArrowDown" ? 1 : -1;
      mark((active + step + hits.length) % hits.length);
    } else if (event.key === "Enter" && !list.hidden && active >= 0) {
      event.preventDefault();
      choose(active);
    } else if (event.key === "Escape" && !list.hidden) {
      event.preventDefault();
      close();
    }
  });
  input.addEventListener("blur", close);
}
