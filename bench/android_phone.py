"""A simulated Android gateway phone (SMSSync style) for the benchmarks: it polls the real web
server (`salama serve`) over HTTP with its real secret, the protocol of
salama.messaging.channels.android (docs/channels.md): every `interval` seconds a POST to
/messaging/android/<key>/outbox answered with the texts to send (each marked sent, the
hand-off, by that poll), then a POST to .../status reporting the texts it took delivered.

The polls are at a fixed rate (start to start), as a phone's repeating alarm fires: when a poll
takes longer than the interval, the next starts at once. `down()` takes the phone off the
network (it stops polling; its texts wait on the server) until `up()`. Every poll and every
text received is
a JSON line in `log`, and kept in memory: when each reference first arrived (the phone's
receipt, after the poll's answer), how many times (duplicates), and each poll's duration.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from bench.phone import Simulated


class PollingPhone(Simulated):
    def __init__(self, base: str, key: str, secret: str, interval: float, log: Path) -> None:
        self.base, self.key, self.secret, self.interval = base, key, secret, interval
        self.lock = threading.Lock()
        self.received: dict[str, int] = {}
        self.first_at: dict[str, float] = {}  # reference -> Unix time the poll's answer arrived
        self.polls = 0
        self.errors = 0
        self.durations: list[float] = []  # seconds, each poll request
        self.taken = 0
        self.last_at = 0.0  # Unix time the last text arrived
        self.is_down = False
        self.stopping = threading.Event()
        log.parent.mkdir(parents=True, exist_ok=True)
        self.log = log.open("a")
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> PollingPhone:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=30)
        with self.lock:
            self.log.close()

    def call(self, hook: str, data: Any) -> Any:
        request = urllib.request.Request(  # noqa: S310
            f"{self.base}/messaging/android/{self.key}/{hook}",
            data=json.dumps(data).encode(),
            headers={"Authorization": f"Bearer {self.secret}", "Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
            return json.loads(answer.read())

    def duplicates(self) -> int:
        with self.lock:
            return sum(n - 1 for n in self.received.values() if n > 1)

    def _poll(self) -> None:
        started = time.time()
        try:
            got = self.call("outbox", {}).get("messages", [])
        except (OSError, ValueError) as exc:  # urllib's HTTPError is an OSError
            with self.lock:
                self.errors += 1
            self.write({"event": "poll", "at": started, "error": str(exc)[:200]})
            return
        arrived = time.time()
        with self.lock:
            self.polls += 1
            self.durations.append(arrived - started)
            self.taken += len(got)
            if got:
                self.last_at = arrived
            for m in got:
                ref = str(m.get("ref", ""))
                self.received[ref] = self.received.get(ref, 0) + 1
                self.first_at.setdefault(ref, arrived)
        self.write(
            {
                "event": "poll",
                "at": started,
                "seconds": round(arrived - started, 4),
                "refs": [m.get("ref") for m in got],
            }
        )
        if got:  # the phone's SMS manager sends them; it reports each one delivered
            reports = [{"ref": m.get("ref"), "status": "delivered"} for m in got]
            try:
                self.call("status", {"reports": reports})
            except (OSError, ValueError) as exc:
                with self.lock:
                    self.errors += 1
                self.write({"event": "status", "at": time.time(), "error": str(exc)[:200]})

    def _run(self) -> None:
        next_at = time.monotonic()
        while not self.stopping.is_set():
            wait = next_at - time.monotonic()
            if wait > 0 and self.stopping.wait(wait):
                return
            next_at = max(next_at + self.interval, time.monotonic())
            if not self.is_down:
                self._poll()
