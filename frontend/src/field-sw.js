// The grid-worker app's service worker: keeps the app's shell (page, script,
// styles) so it opens with no connection. API calls are never answered from
// here: submissions wait in the page's outbox, not in a cache.

const CACHE = "civicgrid-field-v1";

self.addEventListener("install", () => self.skipWaiting());

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      // Only this app's older caches: the origin's other app (/field, /sos) keeps its own.
      for (const name of await caches.keys()) {
        if (name.startsWith("civicgrid-field-") && name !== CACHE) await caches.delete(name);
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
    if (fresh.ok) await cache.put("/field", fresh.clone());
    return fresh;
  } catch {
    return (await cache.match("/field")) ?? Response.error();
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
  if (event.request.mode === "navigate" && url.pathname === "/field") {
    event.respondWith(networkFirst(event.request));
  } else if (url.pathname.startsWith("/static/")) {
    event.respondWith(cacheFirst(event.request));
  }
});
