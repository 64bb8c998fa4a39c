"""Roll-call faults (`make faults`, docs/benchmarks.md): a safety roll call to 10,000 persons
(QUICK: 1,000) drained by two workers through the generic JSON gateway (a local sink that logs
every hand-off), while the workers are killed twice (SIGKILL) and the private database is
restarted once (immediate mode). Meanwhile persons answer "1" through the gateway's signed
webhook (a web server), each answer retried with the same gateway id until it is acknowledged.

The checker (``python -m faults.rollcall check ...``, run by faults.run) then holds:
- exactly one delivery row per recipient and channel;
- every recipient reached (their reference at the sink) and marked sent;
- duplicate hand-offs (a reference at the sink more than once) at most 0.1%, each logged by a
  worker (outbox.reclaim or outbox.duplicate) with its window;
- every acknowledged answer stored once (one inbound row per gateway id), handled, and counted
  once: one check-in for the person, the recipient credited when the answer came after the
  hand-off.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import random
import shutil
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import common
from bench.b2db import QUESTION
from bench.pgcluster import Cluster, spare_port
from bench.phone import Phone

VAR = common.ROOT / "var" / "faults"
DB = "salama_faults_rollcall"
ANSWER_SHARE = 0.1  # of the recipients answer during the run
ANSWER_AFTER = 3.0  # seconds after their text reached the gateway


def say(msg: str) -> None:
    print(f"[faults {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


class Answers:
    """Persons answering "1" by text through the signed webhook, each retried with the same
    gateway id until a 2xx; acknowledged answers are written to `acks` (JSON lines)."""

    def __init__(self, port: int, path: str, secret: str, phone: Phone, acks: Path) -> None:
        self.port, self.path, self.secret, self.phone = port, path, secret, phone
        self.acks = acks.open("w")
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.next = 0
        self.done = 0
        self.gave_up = 0

    def post(self, body: bytes) -> int:
        stamp = str(int(time.time()))
        sig = hmac.new(self.secret.encode(), stamp.encode() + b"." + body, hashlib.sha256)
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request(
                "POST",
                self.path,
                body=body,
                headers={
                    "Content-Type": "application/json",
                    "X-Salama-Timestamp": stamp,
                    "X-Salama-Signature": sig.hexdigest(),
                },
            )
            resp = conn.getresponse()
            resp.read()
            return resp.status
        finally:
            conn.close()

    def take(self, rng: random.Random) -> tuple[str, str] | None:
        """The next handed-off number that answers (ANSWER_SHARE of them), when its text has
        been at the gateway for ANSWER_AFTER seconds."""
        with self.lock:
            while self.next < len(self.phone.handed):
                at, ref, to, text = self.phone.handed[self.next]
                if time.time() < at + ANSWER_AFTER:
                    return None
                self.next += 1
                if not text.startswith(QUESTION[:10]):
                    continue  # a reply to an earlier answer, not the roll call
                if int(hashlib.sha256(ref.encode()).hexdigest(), 16) % 1000 < ANSWER_SHARE * 1000:
                    return ref, to
        return None

    def client(self, number: int) -> None:
        rng = random.Random(number)
        while not self.stop.is_set():
            picked = self.take(rng)
            if picked is None:
                time.sleep(0.1)
                continue
            ref, to = picked
            sent_at = datetime.now(UTC).isoformat()
            body = json.dumps({"id": f"ans-{ref}", "from": to, "text": "1", "sent_at": sent_at})
            attempts, status = 0, 0
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                attempts += 1
                try:
                    status = self.post(body.encode())
                except (OSError, http.client.HTTPException):
                    status = 0
                if 200 <= status < 300:
                    break
                time.sleep(0.2 + rng.random() * 0.3)
            with self.lock:
                if 200 <= status < 300:
                    entry = {"id": f"ans-{ref}", "to": to, "sent_at": sent_at}
                    self.acks.write(json.dumps(entry | {"attempts": attempts}) + "\n")
                    self.done += 1
                else:
                    self.gave_up += 1

    def run(self, n: int) -> list[threading.Thread]:
        threads = [threading.Thread(target=self.client, args=(i,), daemon=True) for i in range(n)]
        for t in threads:
            t.start()
        return threads


def run(cluster: Cluster, quick: bool) -> dict[str, Any]:
    from faults.run import Worker

    work = VAR / "rollcall"
    shutil.rmtree(work, ignore_errors=True)
    # The check-ins' database (already migrated) when it exists: one migration less.
    url = (
        cluster.url("salama_faults") if cluster.has_db("salama_faults") else cluster.recreate_db(DB)
    )
    env = common.salama_env(url, work, SALAMA_OUTBOX_LEASE_SECONDS="5", SALAMA_LOG_LEVEL="WARNING")
    common.migrate(env)
    count = 1000 if quick else 10_000
    rate = 400
    sink = Phone(spare_port(18800), work / "sink.jsonl").start()
    server = common.Server(env, spare_port(18820), 2, work / "web.log")
    workers = [Worker(env, work / f"worker{i}.log") for i in range(2)]
    answers: Answers | None = None
    log: list[str] = []
    try:
        made = common.py_json(
            "bench.b2db", env, "org", "rcfault", str(count), sink.url, str(rate), str(rate), "2"
        )
        opened = common.py_json("bench.b2db", env, "open", "rcfault")
        say(f"roll call {opened['number']} to {opened['messages']} opened")
        server.start()
        answers = Answers(
            server.port,
            f"/messaging/hooks/{made['gateway_key']}/inbound",
            made["secret"],
            sink,
            work / "answers.jsonl",
        )
        threads = answers.run(4)
        for w in workers:
            w.start()
        events = [(0.20, "kill worker 0"), (0.45, "restart postgres"), (0.70, "kill worker 1")]
        deadline = time.monotonic() + (180 if quick else 600)
        for at, what in events:
            while len(sink.handed) < at * count and time.monotonic() < deadline:
                time.sleep(0.02)
            done = len(sink.handed) / count
            say(f"{what} at {done:.0%}")
            log.append(f"{what} at {done:.0%}")
            if what == "restart postgres":
                cluster.restart_immediate()
            else:
                w = workers[int(what[-1])]
                w.kill9()
                w.start()
        pending_sql = (
            "SELECT (SELECT count(*) FROM messaging_delivery WHERE state IN "
            "('queued', 'failed', 'sending')) + (SELECT count(*) FROM messaging_inboundmessage "
            "WHERE state IN ('received', 'failed'))"
        )
        while time.monotonic() < deadline:
            drained = len(sink.handed) >= count and answers.next >= len(sink.handed)
            if drained and cluster.psql(pending_sql, url.rsplit("/", 1)[1]) == "0":
                break
            for w in workers:
                if not w.alive():
                    w.start()
            time.sleep(0.5)
        answers.stop.set()
        for t in threads:
            t.join(15)
    finally:
        if answers is not None:
            answers.stop.set()
            answers.acks.close()
        for w in workers:
            w.stop()
        server.stop()
        sink.stop()
    result = common.py_json(
        "faults.rollcall",
        env,
        "check",
        str(opened["number"]),
        str(work / "sink.jsonl"),
        str(work / "answers.jsonl"),
        # QUICK: 1,000 recipients, where 0.1% would allow one duplicate while the same three
        # crashes can each leave one hand-off per worker unrecorded: at most 4 there.
        "4" if quick else "0",
        *[str(w.log) for w in workers],
    )
    result["answers_gave_up"] = answers.gave_up if answers else 0
    if result["answers_gave_up"]:
        result["violations"].append(f"{result['answers_gave_up']} answers never acknowledged")
    result["events"] = log
    return result


# --- the checker (in-process) ----------------------------------------------------------------


def check(
    number: int, sink: Path, answers: Path, logs: list[Path], floor: int = 0
) -> dict[str, Any]:
    from django.db.models import Count

    from salama.accounts.models import Organisation
    from salama.messaging.models import Delivery, InboundMessage
    from salama.rollcalls.models import RollCallRecipient, Timing
    from salama.safety.models import CheckIn

    org = Organisation.objects.get(slug="rcfault")
    recipients = list(
        RollCallRecipient.objects.for_org(org)
        .filter(roll_call__number=number)
        .values("person_id", "message_id", "option", "timing", "checkin_id")
    )
    rows = list(
        Delivery.objects.for_org(org)
        .filter(message__reason=f"rollcall:{number}")
        .values("id", "message_id", "channel", "our_ref", "state", "handed_off_at")
    )
    per_message = Counter((r["message_id"], r["channel"]) for r in rows)
    lines = [json.loads(x) for x in sink.read_text().splitlines() if x.strip()]
    at_sink = Counter(x["ref"] for x in lines if x.get("event") == "handoff")
    logged: dict[int, list[str]] = {}
    for path in logs:
        for text in path.read_text(errors="replace").splitlines() if path.exists() else []:
            if not text.startswith("{"):
                continue
            try:
                entry = json.loads(text)
            except ValueError:
                continue
            if entry.get("action") in ("outbox.reclaim", "outbox.duplicate"):
                logged.setdefault(int(entry["delivery"]), []).append(entry["msg"])
    missing_row = [r for r in recipients if per_message[(r["message_id"], "http_json")] == 0]
    extra_rows = [k for k, n in per_message.items() if n > 1]
    unreached = [r for r in rows if at_sink[r["our_ref"]] == 0]
    unsent = [r for r in rows if r["state"] not in ("sent", "delivered")]
    dups = [r for r in rows if at_sink[r["our_ref"]] > 1]
    unlogged = [r["id"] for r in dups if r["id"] not in logged]
    allowed = max(floor, int(len(recipients) * 0.001))

    acks = [json.loads(x) for x in answers.read_text().splitlines() if x.strip()]
    inbound = Counter(
        InboundMessage.objects.for_org(org)
        .filter(gateway_ref__startswith="ans-")
        .values_list("gateway_ref", flat=True)
    )
    unhandled = (
        InboundMessage.objects.for_org(org)
        .filter(gateway_ref__startswith="ans-")
        .exclude(state="handled")
        .count()
    )
    checkins = dict(CheckIn.objects.for_org(org).values_list("person_id").annotate(n=Count("id")))
    by_ref = {r["our_ref"]: r for r in rows}
    by_person_message = {r["message_id"]: r for r in recipients}
    stored_twice = [a["id"] for a in acks if inbound[a["id"]] > 1]
    not_stored = [a["id"] for a in acks if inbound[a["id"]] == 0]
    counted_twice, not_credited, ordinary = [], [], 0
    for a in acks:
        delivery = by_ref.get(a["id"].removeprefix("ans-"))
        if delivery is None:
            continue
        recipient = by_person_message.get(delivery["message_id"])
        if recipient is None:
            continue
        if checkins.get(recipient["person_id"], 0) != 1:
            counted_twice.append(a["id"])
        credited = recipient["option"] == 1 and recipient["timing"] == Timing.COUNTED
        handed = delivery["handed_off_at"]
        answered = datetime.fromisoformat(a["sent_at"])
        if not credited:
            if handed is not None and handed < answered:
                not_credited.append(a["id"])
            else:
                ordinary += 1  # its hand-off was recorded after the answer (a crash window)
    violations = []
    if missing_row:
        violations.append(f"{len(missing_row)} recipients without a delivery row")
    if extra_rows:
        violations.append(f"{len(extra_rows)} messages with more than one delivery row")
    if unreached:
        violations.append(f"{len(unreached)} recipients never reached the gateway")
    if unsent:
        violations.append(f"{len(unsent)} deliveries not marked sent")
    if len(dups) > allowed:
        violations.append(f"{len(dups)} duplicate hand-offs, more than {allowed} (0.1%)")
    if unlogged:
        violations.append(f"{len(unlogged)} duplicate hand-offs not logged, e.g. {unlogged[:5]}")
    if stored_twice or not_stored:
        violations.append(f"answers stored twice {len(stored_twice)}, not stored {len(not_stored)}")
    if unhandled:
        violations.append(f"{unhandled} answers stored but never handled")
    if counted_twice:
        violations.append(f"{len(counted_twice)} answers not counted exactly once")
    if not_credited:
        violations.append(f"{len(not_credited)} answers after the hand-off not credited")
    return {
        "recipients": len(recipients),
        "delivery_rows": len(rows),
        "reached_gateway": sum(1 for r in rows if at_sink[r["our_ref"]] > 0),
        "not_sent": len(unsent),
        "sink_handoffs": sum(at_sink.values()),
        "duplicate_handoffs": len(dups),
        "allowed_duplicates": allowed,
        "duplicates_logged": len(dups) - len(unlogged),
        "reclaims_logged": len(logged),
        "answers_acknowledged": len(acks),
        "answers_retried": sum(1 for a in acks if a.get("attempts", 1) > 1),
        "answers_stored": sum(inbound.values()),
        "answers_credited": sum(
            1 for r in recipients if r["option"] == 1 and r["timing"] == Timing.COUNTED
        ),
        "answers_as_ordinary_checkins": ordinary,
        "persons_with_checkins": len(checkins),
        "duplicate_windows": {str(r["id"]): logged.get(r["id"], []) for r in dups},
        "violations": violations,
    }


def main() -> None:
    import django

    django.setup()
    if sys.argv[1] != "check":
        raise SystemExit(__doc__)
    number, sink, answers, floor, *logs = sys.argv[2:]
    result = check(int(number), Path(sink), Path(answers), [Path(p) for p in logs], int(floor))
    print(json.dumps(result, default=str))


if __name__ == "__main__":
    main()
