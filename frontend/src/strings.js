// UI strings come from the server's catalogue, embedded in the page as JSON,
// so this code carries message ids only and the page speaks the user's language.

export function readJson(id) {
  const element = document.getElementById(id);
  if (!element) return {};
  try {
    return JSON.parse(element.textContent);
  } catch {
    return {};
  }
}

const strings = readJson("i18n");

export function t(id, params = {}) {
  const template = strings[id] ?? id;
  return template.replace(/\{(\w+)\}/g, (whole, name) =>
    name in params ? String(params[name]) : whole,
  );
}
