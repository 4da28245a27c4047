// The SOS page's service worker (/sos): keeps the page's shell so a key place's terminal
// opens with no connection. Presses wait in the page's own store (sos.js), not here.

const CACHE = "civicgrid-sos-v1";

self.addEventListener("install", () => self.skipWaiting());

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      // Only this app's older caches: the origin's other app (/field, /sos) keeps its own.
      for (const name of await caches.keys()) {
        if (name.startsWith("civicgrid-sos-") && name !== CACHE) await caches.delete(name);
      }
      await self.clients.claim();
    })(),
  );
});

self.addEventListener("message", (event) => {
  const urls = event.data?.cache;
  if (Array.isArray(urls)) {
    event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(urls)));
  }
});

async function networkFirst(request) {
  const cache = await caches.open(CACHE);
  try {
    const fresh = await fetch(request);
    if (fresh.ok) await cache.put("/sos", fresh.clone());
    return fresh;
  } catch {
    return (await cache.match("/sos")) ?? Response.error();
  }
}

async function cacheFirst(request) {
  const cache = await caches.open(CACHE);
  const kept = await cache.match(request);
  if (kept) return kept;
  const fresh = await fetch(request);
  if (fresh.ok) await cache.put(request, fresh.clone());
  return fresh;
}

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin) return;
  if (event.request.mode === "navigate" && url.pathname === "/sos") {
    event.respondWith(networkFirst(event.request));
  } else if (url.pathname.startsWith("/static/")) {
    event.respondWith(cacheFirst(event.request));
  }
});
