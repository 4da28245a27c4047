// The live view of a camera: HLS from the city's video platform, played in the page with
// hls.js (Media Source Extensions), or natively where the browser plays HLS itself.
// Loaded on demand by the desk (see desk-cameras.js): the player is most of its weight.
// It runs without a web worker, so the page's policy needs no blob: worker source; the
// platform's origin is allowed for fetches and media by the server's policy.

// The light build: no subtitles, alternate audio or DRM, which a street camera never has.
import Hls from "hls.js/light";

const HLS_TYPE = "application/vnd.apple.mpegurl";

/** Play `url` in `video`; `onFailure(reason)` hears a fatal error. Returns a stop function. */
function play(video, url, onFailure) {
  if (Hls.isSupported()) {
    const hls = new Hls({ enableWorker: false });
    hls.on(Hls.Events.ERROR, (event, data) => {
      if (data.fatal) {
        onFailure(data.details);
        hls.destroy();
      }
    });
    hls.on(Hls.Events.MANIFEST_PARSED, () => video.play().catch(() => {}));
    hls.loadSource(url);
    hls.attachMedia(video);
    return () => hls.destroy();
  }
  if (video.canPlayType(HLS_TYPE)) {
    video.src = url;
    video.play().catch(() => {});
    return () => video.removeAttribute("src");
  }
  onFailure(null);
  return () => {};
}

window.civicgridPlayer = { play };
