// The command centre's SOS banner: every unacknowledged SOS of the viewer's area, on top
// of the screen with a siren (Web Audio, no sound file), until someone acknowledges it.
// Calls arrive on the live stream (`event: sos`) and, when the page opens, from the list.
// Place names come from devices and phones: they go in as text, never as HTML.

import { button, element } from "./lib/dom.js";
import { getJson, send } from "./lib/http.js";
import { formatTime } from "./lib/time.js";
import { t } from "./strings.js";

const SIREN_SECONDS = 1.6;
const calls = new Map(); // id -> the call as last heard

/** Two alternating tones, loud enough to hear across a room; the browser may hold audio
 * until the page was touched once, which a staffed screen has been. */
function siren() {
  const Context = window.AudioContext ?? window.webkitAudioContext;
  if (!Context) return;
  const audio = new Context();
  audio.resume?.().catch(() => {});
  const tone = audio.createOscillator();
  const gain = audio.createGain();
  tone.type = "square";
  for (let step = 0; step < SIREN_SECONDS / 0.2; step += 1) {
    tone.frequency.setValueAtTime(step % 2 ? 660 : 990, audio.currentTime + step * 0.2);
  }
  gain.gain.setValueAtTime(0.15, audio.currentTime);
  gain.gain.linearRampToValueAtTime(0, audio.currentTime + SIREN_SECONDS);
  tone.connect(gain).connect(audio.destination);
  tone.start();
  tone.stop(audio.currentTime + SIREN_SECONDS);
  tone.addEventListener("ended", () => audio.close());
}

async function acknowledge(id, control) {
  control.disabled = true;
  try {
    await send("POST", `/api/v1/sos/${encodeURIComponent(id)}/acknowledge`);
    calls.delete(id);
    draw();
  } catch (error) {
    control.disabled = false;
    control.title = error.message;
  }
}

function entry(call) {
  const item = element("li", "sos-call");
  item.dataset.id = String(call.id);
  item.dataset.level = call.level;
  const when = formatTime(call.raised_at, { timeStyle: "medium" });
  const source = t(`page.sos.source.${call.source}`);
  item.append(
    element("strong", "sos-title", t("page.sos.banner.title")),
    element("span", "sos-text", `${when} · ${source} · ${call.place} · ${call.case_number}`),
  );
  if (call.level === "city") item.append(element("span", "sos-level", t("page.sos.banner.escalated")));
  if (call.reason) item.append(element("span", "sos-reason", call.reason));
  const control = button(t("page.sos.banner.ack"), () => acknowledge(call.id, control), "sos-ack");
  item.append(control);
  return item;
}

function draw() {
  const banner = document.getElementById("sos-banner");
  const list = document.getElementById("sos-list");
  const open = [...calls.values()].sort((a, b) => b.id - a.id);
  list.replaceChildren(...open.map(entry));
  banner.hidden = open.length === 0;
}

/** One event of the live stream: raised and escalated calls show, acknowledged ones go. */
export function heard(call) {
  if (call.event === "acknowledged" || call.acknowledged) {
    calls.delete(call.id);
  } else {
    calls.set(call.id, call);
    siren();
  }
  draw();
}

/** The open calls when the page opens (a screen switched on after the press still shows it). */
export async function loadOpen() {
  let open;
  try {
    open = await getJson("/api/v1/sos");
  } catch {
    return; // a viewer who answers no SOS
  }
  for (const call of open) calls.set(call.id, { ...call, event: "raised" });
  draw();
  if (open.length) siren();
}
