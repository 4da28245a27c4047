// For a case devices opened: how many device alarms it gathered and why the latest one
// joined it (opened it, inside the dedupe window, a storm), from the alarms of that case
// the reader's area holds, and who was on duty for the place when it came (the duty
// roster). Text goes in as textContent only.

import { getJson, getList } from "./lib/http.js";
import { t } from "./strings.js";

// The figures each outcome's reason keeps (alarms/intake.py), as the sentence's parameters.
function reasonText(alarm) {
  const reason = alarm.reason ?? {};
  const scope = reason.scope ? t(`page.alarm_case.scope.${reason.scope}`) : "";
  return t(`page.alarm_case.reason.${alarm.outcome}`, { ...reason, scope });
}

/** Fills the panel for a case from devices; hides it for any other case, and draws nothing
 * when another case was opened meanwhile (`stillOpen()` is false). */
export async function showAlarmOrigin(item, config, stillOpen = () => true) {
  const panel = document.getElementById("alarm-origin");
  panel.hidden = true;
  if (item.channel !== "device") return;
  const { items, total } = await getList(
    `/api/v1/alarms?case_number=${encodeURIComponent(item.number)}&limit=1`,
  );
  if (!items.length || !stillOpen()) return;
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
  await showOnDuty(item, latest);
}

/** The person on duty named on the case; readers who may not read the roster see none. */
async function showOnDuty(item, latest) {
  const line = document.getElementById("alarm-origin-duty");
  line.hidden = true;
  const place = new URLSearchParams({ region_code: item.region_code, at: latest.received_at });
  const duties = await getJson(`/api/v1/roster/on-duty?${place}`).catch(() => []);
  if (!duties.length) return;
  const names = duties.map((duty) => `${duty.display_name}${duty.phone ? ` ${duty.phone}` : ""}`);
  line.textContent = t("page.alarm_case.on_duty", {
    centre: duties[0].region_name,
    shift: duties[0].shift_label,
    names: names.join("、"),
  });
  line.hidden = false;
}
