// For a case devices opened: how many device alarms it gathered and why the latest one
// joined it (opened it, inside the dedupe window, a storm), from the alarms of that case
// the reader's area holds. Text goes in as textContent only.

import { getList } from "./lib/http.js";
import { t } from "./strings.js";

// The figures each outcome's reason keeps (alarms/intake.py), as the sentence's parameters.
function reasonText(alarm) {
  const reason = alarm.reason ?? {};
  const scope = reason.scope ? t(`page.alarm_case.scope.${reason.scope}`) : "";
  return t(`page.alarm_case.reason.${alarm.outcome}`, { ...reason, scope });
}

/** Fills the panel for a case from devices; hides it for any other case. */
export async function showAlarmOrigin(item, config) {
  const panel = document.getElementById("alarm-origin");
  panel.hidden = true;
  if (item.channel !== "device") return;
  const { items, total } = await getList(
    `/api/v1/alarms?case_number=${encodeURIComponent(item.number)}&limit=1`,
  );
  if (!items.length) return;
  const latest = items[0];
  const count = latest.case_alarm_count ?? total;
  document.getElementById("alarm-origin-count").textContent = t("page.alarm_case.gathered", {
    count,
  });
  document.getElementById("alarm-origin-latest").textContent = t("page.alarm_case.latest", {
    type: config.alarmTypes[latest.type] ?? latest.type,
    reason: reasonText(latest),
  });
  panel.hidden = false;
}
