/**
 * The wallet's service worker: the page, its script, style and configuration are cached, so the wallet opens
 * and shows the person's identifier, credentials and history offline. Calls to the services are never cached.
 */

const CACHE = 'kyc-wallet-v1';
const SHELL = ['./', 'index.html', 'wallet.js', 'app.css', 'manifest.webmanifest', 'icon.svg', 'config.json'];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)));
});

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== self.location.origin) return;
  // Network first (a new build wins), the cache when offline.
  event.respondWith(
    fetch(event.request)
      .then(async (response) => {
        if (response.ok) await (await caches.open(CACHE)).put(event.request, response.clone());
        return response;
      })
      .catch(async () => (await caches.match(event.request)) ?? Response.error()),
  );
});
