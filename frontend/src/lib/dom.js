// Building page content from DOM nodes: text always goes in as textContent, so a name
// from imported or typed data is shown as written and never read as HTML.

export function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

/** A table cell holding a node as is, or anything else as its text ("" for none). */
export function cell(content, tag = "td") {
  const node = document.createElement(tag);
  if (content instanceof Node) node.append(content);
  else node.textContent = content ?? "";
  return node;
}

export function tableRow(cells) {
  const row = document.createElement("tr");
  row.append(...cells.map((content) => cell(content)));
  return row;
}

/** Replace a table's body: each row a <tr> already built, or a list of cell contents. A
 * table that says what its emptiness means (`data-empty`) shows that across its columns
 * when there is no row, instead of headings with nothing under them. */
export function fillTable(tableId, rows) {
  const table = document.getElementById(tableId);
  const built = rows.map((row) => (row instanceof Node ? row : tableRow(row)));
  if (!built.length && table.dataset.empty) {
    const note = cell(table.dataset.empty);
    note.className = "table-empty";
    note.colSpan = table.querySelectorAll("thead th").length || 1;
    const row = document.createElement("tr");
    row.append(note);
    built.push(row);
  }
  table.querySelector("tbody").replaceChildren(...built);
}

export function button(label, onClick, className = "btn-secondary btn-small") {
  const node = element("button", className, label);
  node.type = "button";
  node.addEventListener("click", onClick);
  return node;
}
