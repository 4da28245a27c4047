// The cameras near the open case on the desk, nearest first with their distance; one with a
// stream opens its live view in a dialog. The player's bundle is fetched the first time a
// view is opened. Names are other people's typing: they go in as text only.

import { button, element } from "./lib/dom.js";
import { send } from "./lib/http.js";
import { t } from "./strings.js";

let stop = () => {};
let playerArriving = null;

function player(url) {
  if (window.civicgridPlayer) return Promise.resolve(window.civicgridPlayer);
  playerArriving ??= new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = url;
    script.addEventListener("load", () => resolve(window.civicgridPlayer));
    script.addEventListener("error", reject);
    document.head.append(script);
  });
  return playerArriving;
}

function closeView() {
  stop();
  stop = () => {};
  const video = document.getElementById("camera-video");
  video.pause();
  video.removeAttribute("src");
  video.load();
}

async function openView(camera, playerUrl) {
  const dialog = document.getElementById("camera-dialog");
  const status = document.getElementById("camera-status");
  const video = document.getElementById("camera-video");
  document.getElementById("camera-heading").textContent = t("page.camview.player.title", {
    name: camera.name,
  });
  status.textContent = "";
  dialog.dataset.state = "loading";
  dialog.showModal();
  const failed = (reason) => {
    status.textContent = reason
      ? t("page.camview.player.failed", { reason })
      : t("page.camview.player.unsupported");
    dialog.dataset.state = "failed";
  };
  video.addEventListener("playing", () => (dialog.dataset.state = "playing"), { once: true });
  try {
    const { play } = await player(playerUrl);
    stop = play(video, camera.stream_url, failed);
  } catch {
    failed(null);
  }
}

function cameraItem(camera, playerUrl) {
  const item = element(
    "li",
    "",
    t("page.camview.camera.line", {
      name: camera.name,
      distance: Math.round(camera.distance_m),
      status: t(`page.sensing.status.${camera.status}`),
    }),
  );
  item.dataset.code = camera.code;
  item.append(" ");
  if (camera.stream_url) {
    item.append(button(t("page.camview.camera.watch"), () => openView(camera, playerUrl)));
  } else {
    item.append(element("span", "camera-no-stream", t("page.camview.camera.no_stream")));
  }
  return item;
}

/** List the cameras near case `number` in #cameras (after the case itself is shown). */
export async function showCameras(number, config, stillOpen = () => true) {
  const list = document.getElementById("cameras");
  if (!list) return;
  list.dataset.state = "loading";
  list.replaceChildren();
  const cameras = await send("GET", `/api/v1/cases/${encodeURIComponent(number)}/cameras`).catch(
    () => [],
  );
  if (!stillOpen()) return;
  list.replaceChildren(...cameras.map((camera) => cameraItem(camera, config.playerUrl)));
  if (!cameras.length) {
    list.append(element("li", "", t("page.camview.cameras.none", { radius: config.cameraRadius })));
  }
  list.dataset.state = "ready";
}

/** The dialog's close button and Escape both stop the stream. */
export function wireCameraView() {
  const dialog = document.getElementById("camera-dialog");
  if (!dialog) return;
  dialog.addEventListener("close", closeView);
  document.getElementById("camera-close").addEventListener("click", () => dialog.close());
}
