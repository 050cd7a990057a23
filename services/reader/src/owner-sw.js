// Your log's page offline: the service worker `owner.js` registers for `/owner` (where the page
// is served over https, or from this machine). It keeps the page's shell — the page, its
// script, its icons and manifest — as last fetched, and serves them when the network does not
// answer (or the reader behind it answers 502–504), so the page opens on a phone with no
// connection. The network comes first: an upgrade's page is never hidden behind an old copy.
// The list and the writes are the page's own business: it keeps the list it last read and the
// writes made offline on the device, and sends those when it can (owner.js).
"use strict";
const CACHE = "lately-owner-v1";
const SHELL = ["owner", "owner.js", "owner.webmanifest", "owner-icon.svg", "owner-icon.png"];
// The shell's addresses, beside this script's (the page may be served under a path).
const here = (name) => new URL(name, self.location.href).href;

self.addEventListener("install", (ev) => {
  ev.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL.map(here))));
  self.skipWaiting();
});

self.addEventListener("activate", (ev) => {
  ev.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((n) => n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (ev) => {
  const url = new URL(ev.request.url);
  if (ev.request.method !== "GET" || url.origin !== self.location.origin) return;
  // The page itself under its parameters too (a share: `owner?title=…`), kept as one.
  const key = url.origin + url.pathname;
  if (!SHELL.map(here).includes(key)) return;
  ev.respondWith(
    (async () => {
      const cache = await caches.open(CACHE);
      try {
        const res = await fetch(ev.request);
        if (res.ok) {
          await cache.put(key, res.clone());
          return res;
        }
        if (res.status < 502) return res;
        return (await cache.match(key)) || res;
      } catch (e) {
        const kept = await cache.match(key);
        if (kept) return kept;
        throw e;
      }
    })(),
  );
});
