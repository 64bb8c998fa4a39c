"""A local stand-in for an SMS gateway on 127.0.0.1, speaking the generic JSON gateway's
protocol (salama.messaging.channels.http_json): POST {"to", "text", "reference"} with a bearer
token, answered {"id": ...}.

Two forms:
- a sink (sims=0): accepts every text at once (a gateway with an SMPP link);
- a simulated Android phone (sims >= 1): one SIM per operator (the number's prefix picks it),
  each transmitting at `per_sim` texts a second from its own queue, the way a phone's SMS
  manager paces sends. `down()` makes it drop off the network: it answers 503 until `up()`.

Every POST and every transmission is a JSON line in `log` (reference, SIM, times), so a checker
can count hand-offs per reference (duplicates) and find the last transmission.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bench.b2db import OPERATORS


class Simulated:
    """What both simulated gateways share: the JSON-lines log under a lock, and being off the
    network (`down()` until `up()`)."""

    is_down = False
    lock: threading.Lock
    log: Any

    def down(self) -> None:
        self.is_down = True

    def up(self) -> None:
        self.is_down = False

    def write(self, entry: dict[str, Any]) -> None:
        with self.lock:
            if not self.log.closed:
                self.log.write(json.dumps(entry) + "\n")
                self.log.flush()


class Phone(Simulated):
    def __init__(self, port: int, log: Path, sims: int = 0, per_sim: float = 0.5) -> None:
        self.port, self.log_path, self.sims, self.per_sim = port, log, sims, per_sim
        self.is_down = False
        self.lock = threading.Lock()
        self.queues: list[queue.Queue] = [queue.Queue() for _ in range(max(1, sims))]
        self.received: dict[str, int] = {}
        self.sent = 0
        self.last_sent_at = 0.0
        self.refused = 0
        # (first hand-off time, reference, number, the text's first 20 characters)
        self.handed: list[tuple[float, str, str, str]] = []
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.log = self.log_path.open("a")
        self.server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self.server.daemon_threads = True
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self.server.serve_forever, daemon=True)]
        if sims:
            self.threads += [
                threading.Thread(target=self._transmit, args=(i,), daemon=True) for i in range(sims)
            ]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/send"

    def start(self) -> Phone:
        for t in self.threads:
            t.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()
        with self.lock:
            self.log.close()

    def sim_for(self, to: str) -> int:
        if self.sims <= 1:
            return 0
        prefix = to[4:6]
        return OPERATORS.index(prefix) % self.sims if prefix in OPERATORS else 0

    def accept(self, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if self.is_down:
            with self.lock:
                self.refused += 1
            return 503, {"error": "phone offline"}
        ref = str(payload.get("reference", ""))
        to = str(payload.get("to", ""))
        now = time.time()
        with self.lock:
            self.received[ref] = self.received.get(ref, 0) + 1
            first = self.received[ref] == 1
            if first:
                self.handed.append((now, ref, to, str(payload.get("text", ""))[:20]))
        sim = self.sim_for(to)
        self.write({"ref": ref, "sim": sim, "at": now, "event": "handoff", "to": to[-7:]})
        if self.sims and first:  # the phone de-duplicates on our reference
            self.queues[sim].put(ref)
        elif not self.sims:
            with self.lock:
                self.sent += 1
                self.last_sent_at = now
        return 200, {"id": f"p-{ref}"}

    def _transmit(self, sim: int) -> None:
        interval = 1.0 / self.per_sim
        next_at = time.monotonic()
        while not self.stopping.is_set():
            try:
                ref = self.queues[sim].get(timeout=0.2)
            except queue.Empty:
                continue
            wait = next_at - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            now = time.time()
            self.write({"ref": ref, "sim": sim, "at": now, "event": "transmit"})
            with self.lock:
                self.sent += 1
                self.last_sent_at = now
            next_at = max(next_at, time.monotonic() - interval) + interval

    def duplicates(self) -> int:
        with self.lock:
            return sum(n - 1 for n in self.received.values() if n > 1)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        phone = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    payload = json.loads(self.rfile.read(length) or b"{}")
                except ValueError:
                    payload = {}
                status, answer = phone.accept(payload if isinstance(payload, dict) else {})
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return

        return Handler
