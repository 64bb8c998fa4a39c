// The field page's own queue (O1, docs/field-offline.md). Hand-written, no library: a few
// lines of IndexedDB, WebCrypto AES-GCM, fetch.
//
// A tap is written to IndexedDB BEFORE any request: a short key made here (the form of
// salama/lib/checkinkey.py, so a text can carry it), the device time, the kind. Replay runs on
// load, on "online", every few seconds while the page is visible and on Background Sync:
// strictly in order, one item at a time, with backoff. An item leaves the queue only on a
// definitive answer (stored, duplicate, 409 conflict); a refusal (422) waits as "needs
// attention" until the person fixes or discards it. Nothing expires.
(function () {
  "use strict";
  var root = document.getElementById("fq");
  var form = document.getElementById("field-form");
  if (!root || !form || !window.indexedDB || !window.crypto || !window.crypto.subtle || !window.fetch) {
    return; // the form posts as it always did
  }
  var T = root.dataset;
  var DB = "fq";
  var STORE = "items";
  var MEMORY = "fq-session";
  var ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";
  var WORDS = { SAFE: "SAFE", NEED_HELP: "HELP", INJURED: "INJURED" };
  var EVERY = 5000;
  var s = { info: null, cryptoKey: null, busy: false, sending: null, done: [], fresh: [], needLogin: false, hiddenAt: 0 };
  var enc = new TextEncoder();
  function label(status) {
    return { SAFE: T.tSafe, NEED_HELP: T.tHelp, INJURED: T.tInjured }[status] || status;
  }
  var dec = new TextDecoder();

  // --- IndexedDB, by hand -------------------------------------------------------------------
  function openDb() {
    return new Promise(function (ok, ko) {
      var req = indexedDB.open(DB, 1);
      req.onupgradeneeded = function () {
        var store = req.result.createObjectStore(STORE, { keyPath: "seq", autoIncrement: true });
        store.createIndex("owner", "owner");
      };
      req.onsuccess = function () { ok(req.result); };
      req.onerror = function () { ko(req.error); };
    });
  }
  function tx(mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (ok, ko) {
        var t = db.transaction(STORE, mode);
        var req = work(t.objectStore(STORE));
        t.oncomplete = function () { db.close(); ok(req ? req.result : undefined); };
        t.onerror = t.onabort = function () { db.close(); ko(t.error); };
      });
    });
  }
  function mine() {
    return tx("readonly", function (st) { return st.index("owner").getAll(s.info.owner); })
      .then(function (rows) { return rows.sort(function (a, b) { return a.seq - b.seq; }); });
  }
  function put(row) { return tx("readwrite", function (st) { return st.put(row); }); }
  function drop(seq) { return tx("readwrite", function (st) { return st.delete(seq); }); }

  // --- Encryption: AES-GCM under the session's key, bound to the owner ------------------------
  function hexBytes(hex) {
    var out = new Uint8Array(hex.length / 2);
    for (var i = 0; i < out.length; i++) { out[i] = parseInt(hex.substr(i * 2, 2), 16); }
    return out;
  }
  function seal(item) {
    var iv = crypto.getRandomValues(new Uint8Array(12));
    return crypto.subtle.encrypt({ name: "AES-GCM", iv: iv, additionalData: enc.encode(s.info.owner) },
      s.cryptoKey, enc.encode(JSON.stringify(item))).then(function (data) {
      return { iv: iv, data: new Uint8Array(data) };
    });
  }
  function unseal(row) {
    return crypto.subtle.decrypt({ name: "AES-GCM", iv: row.iv, additionalData: enc.encode(s.info.owner) },
      s.cryptoKey, row.data).then(function (plain) { return JSON.parse(dec.decode(plain)); });
  }
  function store(row, item) {
    return seal(item).then(function (box) {
      row.iv = box.iv;
      row.data = box.data;
      return put(row);
    });
  }

  // --- The key: six random characters and a check character (salama/lib/checkinkey.py) --------
  function newKey() {
    var bytes = crypto.getRandomValues(new Uint8Array(6));
    var body = "";
    var total = 0;
    for (var i = 0; i < 6; i++) {
      var v = bytes[i] % 32;
      body += ALPHABET[v];
      total += (i + 1) * v;
    }
    return body + ALPHABET[total % 29];
  }

  // --- The session: owner tag, key, CSRF token; kept in this tab's memory only ----------------
  function remember(info) {
    if (s.wiped) { return Promise.resolve(); }
    s.info = info;
    sessionStorage.setItem(MEMORY, JSON.stringify(info));
    return crypto.subtle.importKey("raw", hexBytes(info.key), "AES-GCM", false, ["encrypt", "decrypt"])
      .then(function (key) { s.cryptoKey = key; });
  }
  function recall() {
    var raw = sessionStorage.getItem(MEMORY);
    var info = raw ? JSON.parse(raw) : null;
    if (info && T.owner && info.owner !== T.owner) {
      sessionStorage.removeItem(MEMORY); // another user logged in on this phone
      info = null;
    }
    return info ? remember(info) : Promise.resolve();
  }
  function refresh() {
    return fetch(T.session, { credentials: "same-origin", redirect: "manual", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (r.status === 423) { // locked on the server (another tab, or before a reload)
          return r.json().then(function (body) {
            s.info = s.info || {};
            s.info.csrf = body.csrf;
            if (!document.body.classList.contains("fq-locked")) { lock(true); }
          });
        }
        if (r.status !== 200) {
          s.needLogin = r.type === "opaqueredirect" || r.status === 401 || r.status === 403;
          return null;
        }
        s.needLogin = false;
        return r.json().then(function (info) {
          if (s.info && s.info.owner !== info.owner) { s.done = []; }
          return remember(info);
        });
      }, function () { return null; });
  }

  // --- Taps ------------------------------------------------------------------------------------
  function fill(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (m, name) { return values[name]; });
  }
  function smsHref(item) {
    var body = WORDS[item.status] + " #" + item.key + (item.status !== "SAFE" && item.note ? " " + item.note : "");
    return "sms:" + ((s.info && s.info.sms_number) || "") + "?body=" + encodeURIComponent(body);
  }
  form.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (!button || button.name !== "status") { return; }
    var note = form.elements.note;
    var area = form.elements.area;
    var item = {
      key: newKey(), kind: "checkin", status: button.value,
      note: note ? note.value : "", area: area ? area.value : "",
      device_at: new Date().toISOString(), created: Date.now()
    };
    if (!s.cryptoKey) {
      if (navigator.onLine) { return; } // the form posts it as today
      event.preventDefault();
      say(T.tNokey, smsHref(item));
      return;
    }
    event.preventDefault();
    if (note) { note.value = ""; } // read above; the next tap starts empty
    store({ owner: s.info.owner, state: "waiting", tries: 0, nextAt: 0, created: item.created }, item)
      .then(function () {
        if (navigator.serviceWorker && navigator.serviceWorker.ready) {
          navigator.serviceWorker.ready.then(function (reg) {
            if (reg.sync) { return reg.sync.register("fq"); }
          }).catch(function () {});
        }
        return draw();
      })
      .then(function () { replay(true); });
  });

  // --- Replay: in order, one at a time, backoff; delete only on a definitive answer -----------
  function replay(now) {
    if (s.busy || s.wiped || !s.cryptoKey || document.body.classList.contains("fq-locked")) { return Promise.resolve(); }
    s.busy = true;
    var run = function () { return loop(now); };
    var locked = navigator.locks
      ? navigator.locks.request("fq-replay", { ifAvailable: true }, function (lock) { return lock ? run() : null; })
      : run();
    return locked.catch(function () {}).then(function () { s.busy = false; s.sending = null; return draw(); })
      .then(told);
  }
  // As the form did: the server's "Received 03:11: Safe." on top; after a call for help the
  // page is drawn again by the server, which shows whether it was seen.
  function told() {
    var fresh = s.fresh;
    s.fresh = [];
    if (!fresh.length) { return; }
    if (fresh.some(function (f) { return f.status !== "SAFE"; }) && navigator.onLine) {
      window.location.reload();
      return;
    }
    var list = document.querySelector("ul.messages");
    if (!list) {
      list = document.createElement("ul");
      list.className = "messages";
      var main = document.getElementById("main");
      main.parentNode.insertBefore(list, main);
    }
    list.textContent = "";
    line(list, fresh[fresh.length - 1].message || "", "success");
  }
  function loop(now) {
    return mine().then(function (rows) {
      var next = rows.filter(function (r) { return r.state === "waiting"; })[0];
      if (!next || !navigator.onLine || (!now && next.nextAt > Date.now())) { return; }
      return send(next).then(function (more) { if (more) { return loop(false); } });
    });
  }
  function ready() {
    return s.info && s.info.csrf ? Promise.resolve() : refresh();
  }
  function send(row) {
    return unseal(row).then(function (item) {
      s.sending = row.seq;
      draw();
      return ready().then(function () {
        if (!s.info.csrf) { return later(row); }
        return fetch(T.send, {
          method: "POST", credentials: "same-origin", redirect: "manual",
          headers: { "Content-Type": "application/json", "X-CSRFToken": s.info.csrf, Accept: "application/json" },
          body: JSON.stringify({ key: item.key, kind: item.kind, status: item.status, note: item.note,
            area_id: item.area || null, device_at: item.device_at })
        }).then(function (r) {
          return r.json().catch(function () { return {}; }).then(function (body) { return answer(row, item, r, body); });
        }, function () { return later(row); });
      });
    });
  }
  function answer(row, item, r, body) {
    if (r.status === 200 || r.status === 201 || r.status === 409) {
      var outcome = r.status === 409 ? "conflict" : body.result;
      s.done.unshift({ status: item.status, at: body.received_at, outcome: outcome, key: item.key });
      if (r.status === 201) { s.fresh.push({ status: item.status, message: body.message }); }
      return drop(row.seq).then(function () { return true; });
    }
    if (r.status === 400 || r.status === 422) {
      item.detail = body.detail || "";
      row.state = "attention";
      return store(row, item).then(function () { return true; });
    }
    if (r.type === "opaqueredirect" || r.status === 401 || r.status === 403) {
      s.info.csrf = ""; // a stale token or an ended session: ask again before the next try
      return refresh().then(function () { return later(row); });
    }
    return later(row);
  }
  function later(row) {
    row.tries = (row.tries || 0) + 1;
    var wait = Math.min(60000, 1000 * Math.pow(2, Math.min(row.tries, 6)));
    row.nextAt = Date.now() + wait * (0.75 + Math.random() / 2);
    return put(row).then(function () { return false; });
  }

  // --- What the person sees ---------------------------------------------------------------------
  function say(text, href) {
    var box = document.getElementById("fq-notice");
    box.textContent = text + " ";
    if (href) {
      var a = document.createElement("a");
      a.href = href;
      a.textContent = T.tSms;
      box.appendChild(a);
    }
    box.hidden = false;
  }
  function time(iso) {
    var d = iso ? new Date(iso) : null;
    return d ? d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) : "";
  }
  function line(list, text, cls, data) {
    var li = document.createElement("li");
    li.className = cls;
    li.textContent = text;
    Object.keys(data || {}).forEach(function (k) { li.dataset[k] = data[k]; });
    list.appendChild(li);
    return li;
  }
  function button(li, label, act) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "link";
    b.textContent = label;
    b.addEventListener("click", act);
    li.appendChild(document.createTextNode(" "));
    li.appendChild(b);
  }
  function draw() {
    root.hidden = false;
    var you = document.getElementById("fq-you");
    if (you && s.info && s.info.codename) { you.textContent = fill(T.tYou, { code: s.info.codename }); }
    if (!s.cryptoKey) { return Promise.resolve(); }
    return mine().then(function (rows) {
      return Promise.all(rows.map(function (r) { return unseal(r).catch(function () { return null; }); }))
        .then(function (items) { show(rows, items); });
    });
  }
  function show(rows, items) {
    var list = document.getElementById("fq-items");
    list.textContent = "";
    var oldest = null;
    var first = null;
    rows.forEach(function (row, i) {
      var item = items[i];
      if (!item) { return; }
      oldest = oldest === null ? item.created : Math.min(oldest, item.created);
      first = first || item;
      var state = row.state === "attention" ? T.tAttention : row.seq === s.sending ? T.tSending : T.tWaiting;
      var li = line(list, label(item.status) + " · " + time(new Date(item.created).toISOString()) + " · " + state,
        "fq-item fq-" + (row.seq === s.sending ? "sending" : row.state), { key: item.key, state: row.seq === s.sending ? "sending" : row.state });
      if (row.state === "attention") {
        if (item.detail) { li.appendChild(document.createTextNode(" — " + item.detail)); }
        button(li, T.tFix, function () { fix(row, item); });
        button(li, T.tDiscard, function () { if (window.confirm(T.tDiscardAsk)) { drop(row.seq).then(draw); } });
      }
    });
    s.done.slice(0, 10).forEach(function (d) {
      var text = d.outcome === "conflict" ? T.tConflict : fill(d.outcome === "duplicate" ? T.tDuplicate : T.tDelivered, { time: time(d.at) });
      line(list, label(d.status) + " · " + text, "fq-item fq-delivered", { key: d.key, state: "delivered", at: d.at || "" });
    });
    var count = document.getElementById("fq-count");
    var waiting = rows.length;
    var age = oldest === null ? 0 : Math.floor((Date.now() - oldest) / 60000);
    count.textContent = waiting ? fill(T.tCount, { n: waiting, age: fill(T.tMin, { n: age }) }) : T.tNone;
    count.dataset.count = String(waiting);
    var sms = document.getElementById("fq-sms");
    var after = s.info ? s.info.sms_after : 15;
    sms.hidden = !(first && age >= after);
    if (first) {
      var link = document.getElementById("fq-sms-link");
      link.href = smsHref(first);
      link.dataset.key = first.key;
    }
    if (s.needLogin && waiting) { say(T.tLogin); }
  }
  function fix(row, item) {
    var note = form.elements.note;
    var area = form.elements.area;
    if (note) { note.value = item.note || ""; }
    if (area) { area.value = ""; }
    drop(row.seq).then(function () { say(T.tFixing); return draw(); });
  }

  // --- Wipe: queue, caches, service worker, this tab's memory; warn first if unsent ----------
  function wipe() {
    var done = function () {
      s.wiped = true;
      s.cryptoKey = null;
      return Promise.all([
        new Promise(function (ok) { var r = indexedDB.deleteDatabase(DB); r.onsuccess = r.onerror = r.onblocked = function () { ok(); }; }),
        window.caches ? caches.keys().then(function (names) { return Promise.all(names.map(function (n) { return caches.delete(n); })); }) : null,
        navigator.serviceWorker ? navigator.serviceWorker.getRegistrations().then(function (regs) { return Promise.all(regs.map(function (r) { return r.unregister(); })); }) : null
      ]).then(function () {
        sessionStorage.clear();
        var out = document.getElementById("logout");
        if (out && out.form) { out.form.submit(); } else { window.location.replace(T.session.replace("session/", "")); }
      });
    };
    if (!s.cryptoKey) { return done(); }
    return mine().then(function (rows) {
      if (!rows.length) { return done(); }
      return Promise.all(rows.map(unseal)).then(function (items) {
        var ask = document.getElementById("fq-wipe-ask");
        ask.querySelector("p").textContent = T.tWipeAsk;
        var list = document.getElementById("fq-wipe-sms");
        list.textContent = "";
        items.forEach(function (item) {
          var li = document.createElement("li");
          var a = document.createElement("a");
          a.href = smsHref(item);
          a.textContent = label(item.status) + " · " + T.tSms;
          li.appendChild(a);
          list.appendChild(li);
        });
        ask.hidden = false;
        document.getElementById("fq-wipe-anyway").onclick = done;
        document.getElementById("fq-wipe-cancel").onclick = function () { ask.hidden = true; };
      });
    });
  }
  document.getElementById("fq-wipe").addEventListener("click", wipe);

  // --- Lock: the key leaves this tab's memory; the PIN brings it back (online) ------------------
  var box = document.getElementById("fq-lockbox");
  function tellLocked() {
    return fetch(T.lock, {
      method: "POST", credentials: "same-origin", redirect: "manual",
      headers: { "X-CSRFToken": (s.info && s.info.csrf) || "", "Content-Type": "application/json" }, body: "{}"
    }).then(function (r) { s.lockPending = !r.ok; }, function () { s.lockPending = true; });
  }
  function lock(known) {
    if (!known) { tellLocked(); }
    if (s.info) {
      var kept = { owner: s.info.owner, codename: s.info.codename, csrf: s.info.csrf, locked: true,
        sms_number: s.info.sms_number, sms_after: s.info.sms_after, lock_after: s.info.lock_after };
      s.info = kept;
      sessionStorage.setItem(MEMORY, JSON.stringify(kept));
    }
    s.cryptoKey = null;
    document.body.classList.add("fq-locked");
    box.hidden = false;
    var list = document.getElementById("fq-lock-sms");
    list.textContent = "";
    ["SAFE", "NEED_HELP", "INJURED"].forEach(function (status) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = smsHref({ status: status, key: newKey(), note: "" });
      a.textContent = label(status) + " · " + T.tSms;
      li.appendChild(a);
      list.appendChild(li);
    });
    document.getElementById("fq-pin").value = "";
  }
  function unlocked() {
    document.body.classList.remove("fq-locked");
    box.hidden = true;
    document.getElementById("fq-lock-note").hidden = true;
    return draw().then(function () { return replay(true); });
  }
  document.getElementById("fq-unlock").addEventListener("submit", function (event) {
    event.preventDefault();
    var note = document.getElementById("fq-lock-note");
    var pin = document.getElementById("fq-pin").value;
    var go = s.info && s.info.csrf ? Promise.resolve() : refresh();
    go.then(function () {
      return fetch(T.unlock, {
        method: "POST", credentials: "same-origin", redirect: "manual",
        headers: { "Content-Type": "application/json", "X-CSRFToken": (s.info && s.info.csrf) || "", Accept: "application/json" },
        body: JSON.stringify({ pin: pin })
      });
    }).then(function (r) {
      if (r.status === 200) {
        return r.json().then(function (info) { return remember(info); }).then(unlocked);
      }
      if (r.type === "opaqueredirect") { window.location.reload(); return; }
      note.textContent = T.tWrong;
      note.hidden = false;
      document.getElementById("fq-pin").value = "";
    }, function () {
      note.textContent = T.tOfflineLocked;
      note.hidden = false;
    });
  });
  document.getElementById("fq-lock").addEventListener("click", function () { lock(false); });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") {
      s.hiddenAt = Date.now();
    } else if (s.hiddenAt && s.info && Date.now() - s.hiddenAt >= s.info.lock_after * 60000) {
      lock(false);
    }
  });

  // --- Start --------------------------------------------------------------------------------
  function start() {
    var raw = sessionStorage.getItem(MEMORY);
    if (raw && JSON.parse(raw).locked) {
      if (!T.owner) { // the offline shell: a reload does not unlock
        s.info = JSON.parse(raw);
        lock(true);
        return Promise.resolve();
      }
      sessionStorage.removeItem(MEMORY); // the server drew the live page: it was unlocked there
    }
    return recall().then(function () {
      return navigator.onLine || !s.cryptoKey ? refresh() : null;
    }).then(draw).then(function () { return replay(true); });
  }
  window.addEventListener("online", function () {
    if (s.lockPending) { tellLocked(); }
    if (!s.cryptoKey) { start(); return; }
    mine().then(function (rows) {
      return Promise.all(rows.map(function (r) { r.nextAt = 0; return put(r); }));
    }).then(function () { replay(true); });
  });
  window.setInterval(function () {
    if (document.visibilityState === "visible") { replay(false).then(null, null); }
  }, EVERY);
  if (navigator.serviceWorker) {
    navigator.serviceWorker.register(T.sw, { scope: "/safety/" }).catch(function () {});
    navigator.serviceWorker.addEventListener("message", function (event) {
      if (event.data === "fq-replay") { replay(true); }
    });
  }
  if (navigator.storage && navigator.storage.persist) {
    navigator.storage.persist().catch(function () {});
  }
  start();
})();
