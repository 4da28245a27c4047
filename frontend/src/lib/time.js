// Times are stored in UTC and always shown in China's time, in the page's language,
// wherever the browser is. China keeps one offset all year (no daylight saving).

const ZONE = "Asia/Shanghai";
const CHINA_OFFSET = "+08:00";
// An ISO time written without Z or an offset: the API's times are UTC by contract.
const WITHOUT_ZONE = /T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;

function toDate(value) {
  if (typeof value === "string" && WITHOUT_ZONE.test(value)) return new Date(`${value}Z`);
  return new Date(value);
}

/** "" for no time; `options` as Intl's (dateStyle, timeStyle...), the zone always China's. */
export function formatTime(value, options = {}) {
  if (value === null || value === undefined || value === "") return "";
  const lang = document.documentElement.lang || "zh-CN";
  return toDate(value).toLocaleString(lang, { ...options, timeZone: ZONE });
}

/** A datetime-local field's value ("2026-12-04T09:30") read as China's time, as ISO 8601. */
export function chinaInputToIso(value) {
  return new Date(`${value}${value.length === 16 ? ":00" : ""}${CHINA_OFFSET}`).toISOString();
}
