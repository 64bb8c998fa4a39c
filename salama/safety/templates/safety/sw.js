// The field page's service worker (O1, docs/field-offline.md). It keeps the offline shell and
// its few static files, nothing personal; the queue lives in IndexedDB, which it never touches,
// so an update of this worker loses no queued item.
"use strict";
var VERSION = "{{ version }}";
var CACHE = "fp-" + VERSION;
var SHELL = {{ shell|safe }};
var ASSETS = {{ assets|safe }};

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(CACHE).then(function (cache) {
      return cache.addAll([SHELL].concat(ASSETS));
    }).then(function () {
      return self.skipWaiting();
    })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf("fp-") === 0 && name !== CACHE;
      }).map(function (name) {
        return caches.delete(name);
      }));
    }).then(function () {
      return self.clients.claim();
    })
  );
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") {
    return;
  }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) {
    return;
  }
  if (request.mode === "navigate" && url.pathname === "/safety/") {
    // The live page when the network answers (and the shell refreshed in the page's
    // language); the shell from the cache when it does not.
    event.respondWith(
      fetch(request).then(function (response) {
        if (response.ok) {
          caches.open(CACHE).then(function (cache) { return cache.add(SHELL); }).catch(function () {});
        }
        return response;
      }).catch(function () {
        return caches.match(SHELL);
      })
    );
    return;
  }
  if (url.pathname === SHELL || ASSETS.indexOf(url.pathname) >= 0) {
    event.respondWith(
      caches.match(request).then(function (hit) {
        return hit || fetch(request);
      })
    );
  }
});

function wake() {
  return self.clients.matchAll({ type: "window" }).then(function (pages) {
    pages.forEach(function (page) { page.postMessage("fq-replay"); });
  });
}

// Background Sync where the browser has it: the open page replays (it holds the key).
self.addEventListener("sync", function (event) {
  if (event.tag === "fq") {
    event.waitUntil(wake());
  }
});
