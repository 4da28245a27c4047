// The command centre's device health and false alarms: devices online, offline and faulty
// per district; the devices flagged for crying wolf; acknowledging an alarm and dismissing
// a false one with a reason. Dismissing never closes the case an alarm opened: the
// dispatcher moves it on the workbench. Everything shown is DOM text, never HTML.

import { button, cell, element } from "./lib/dom.js";
import { send } from "./lib/http.js";
import { t } from "./strings.js";

const HEALTH_COLUMNS = ["online", "offline", "faulty", "flagged"];
let dismissing = null; // { alarm, done } while the dialog is open

/** Each district of the area with its devices' counts, in the health panel. */
export async function drawHealth() {
  const panel = document.getElementById("device-health");
  if (!panel) return;
  const districts = await send("GET", "/api/v1/devices/health");
  const body = panel.querySelector("tbody");
  body.replaceChildren(
    ...districts.map((district) => {
      const row = element("tr");
      const name = cell(district.name, "th");
      name.scope = "row";
      row.dataset.district = district.code;
      row.append(name, ...HEALTH_COLUMNS.map((key) => cell(district[key])));
      row.classList.toggle("has-faulty", district.faulty > 0);
      return row;
    }),
  );
  if (!districts.length) {
    const row = element("tr");
    const empty = cell(t("page.camview.health.none"));
    empty.colSpan = HEALTH_COLUMNS.length + 1;
    row.append(empty);
    body.append(row);
  }
  panel.dataset.state = "ready";
}

/** The area's devices flagged for false alarms: code → how many lately. */
export async function flaggedDevices() {
  const flagged = await send("GET", "/api/v1/devices/flagged").catch(() => []);
  return new Map(flagged.map((device) => [device.code, device.false_alarms]));
}

export function flaggedTooltip(device, count) {
  return element("span", "", t("page.camview.flagged.tooltip", { name: device.name, count }));
}

/** What an alarm's entry offers the centre: acknowledge and dismiss, or what was decided. */
export function alarmActions(alarm, redraw) {
  const box = element("span", "alarm-actions");
  box.dataset.alarm = alarm.id;
  if (alarm.dismissed_at) {
    box.append(
      element(
        "span",
        "alarm-dismissed",
        t("page.camview.alarm.dismissed", { reason: t(`page.camview.reason.${alarm.dismiss_reason}`) }),
      ),
    );
    return box;
  }
  if (alarm.acknowledged_at) {
    box.append(element("span", "alarm-acknowledged", t("page.camview.alarm.acknowledged")));
  } else {
    box.append(
      button(
        t("page.camview.alarm.acknowledge"),
        async () => {
          await send("POST", `/api/v1/alarms/${alarm.id}/acknowledge`);
          redraw();
        },
        "command-button alarm-button",
      ),
    );
  }
  box.append(
    button(t("page.camview.alarm.dismiss"), () => openDismiss(alarm, redraw), "command-button alarm-button"),
  );
  return box;
}

function openDismiss(alarm, done) {
  dismissing = { alarm, done };
  const form = document.getElementById("dismiss-form");
  form.reset();
  document.getElementById("dismiss-error").textContent = "";
  document.getElementById("dismiss-case").hidden = !alarm.case_number;
  document.getElementById("dismiss-dialog").showModal();
}

async function submitDismiss(form) {
  const { alarm, done } = dismissing;
  const answer = await send("POST", `/api/v1/alarms/${alarm.id}/dismiss`, {
    reason: form.reason.value,
    note: form.note.value.trim(),
  });
  document.getElementById("dismiss-dialog").close();
  const toast = document.getElementById("toast");
  if (answer.case_number) {
    toast.textContent = t("page.camview.alarm.case_open", { number: answer.case_number });
    toast.hidden = false;
  }
  done();
}

/** The dismissal dialog's buttons; a refusal shows in the dialog in the reader's language. */
export function wireDismiss() {
  const form = document.getElementById("dismiss-form");
  if (!form) return;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await submitDismiss(form);
    } catch (error) {
      document.getElementById("dismiss-error").textContent = error.message ?? String(error);
    }
  });
  document
    .getElementById("dismiss-cancel")
    .addEventListener("click", () => document.getElementById("dismiss-dialog").close());
}
