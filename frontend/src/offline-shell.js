// What the installable apps' service workers share: keep the app's shell (page, script,
// styles) so it opens with no connection. API calls are never answered from here: what
// the user sends waits in the page's own store (the field app's outbox, the SOS page's
// presses), not in a cache. Each app's caches carry its own prefix, so activating one
// app's worker never deletes the other app's shell on the same origin.

export function keepShellOffline(app, version = 1) {
  const page = `/${app}`;
  const prefix = `civicgrid-${app}-`;
  const cacheName = `${prefix}v${version}`;

  self.addEventListener("install", () => self.skipWaiting());

  self.addEventListener("activate", (event) => {
    event.waitUntil(
      (async () => {
        for (const name of await caches.keys()) {
          if (name.startsWith(prefix) && name !== cacheName) await caches.delete(name);
        }
        await self.clients.claim();
      })(),
    );
  });

  self.addEventListener("message", (event) => {
    const urls = event.data?.cache;
    if (Array.isArray(urls)) {
      event.waitUntil(caches.open(cacheName).then((cache) => cache.addAll(urls)));
    }
  });

  async function networkFirst(request) {
    const cache = await caches.open(cacheName);
    try {
      const fresh = await fetch(request);
      if (fresh.ok) await cache.put(page, fresh.clone());
      return fresh;
    } catch {
      return (await cache.match(page)) ?? Response.error();
    }
  }

  async function cacheFirst(request) {
    const cache = await caches.open(cacheName);
    const kept = await cache.match(request);
    if (kept) return kept;
    const fresh = await fetch(request);
    if (fresh.ok) await cache.put(request, fresh.clone());
    return fresh;
  }

  self.addEventListener("fetch", (event) => {
    const url = new URL(event.request.url);
    if (event.request.method !== "GET" || url.origin !== self.location.origin) return;
    if (event.request.mode === "navigate" && url.pathname === page) {
      event.respondWith(networkFirst(event.request));
    } else if (url.pathname.startsWith("/static/")) {
      event.respondWith(cacheFirst(event.request));
    }
  });
}
