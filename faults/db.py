"""The fault tests' in-process side (Django configured by the environment): fixtures and the
checkers that compare what clients and the sink saw with what the database holds.

    python -m faults.db outbox N                      queue N deliveries on the console channel
    python -m faults.db check-checkins ACKS           ACKS: the clients' JSON lines
    python -m faults.db check-outbox SINK LOG...      SINK: the console sink; LOG: worker logs

Each prints one JSON line of counts; the check commands add "violations" (a list, empty when
everything holds).
"""

from __future__ import annotations

import json
import secrets
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import django


def queue_outbox(count: int) -> dict[str, Any]:
    """An organisation with 100 phones and `count` queued deliveries on the console channel
    (bulk-written, as a roll call queues them), and a console rate high enough to drain fast."""
    from django.db import transaction

    from salama.accounts.models import Organisation
    from salama.lib import clock, keyring
    from salama.lib.fields import seal
    from salama.messaging import channels
    from salama.messaging.models import Delivery, Message, RateBucket
    from salama.people.models import Person
    from salama.people.services import add_contact_point

    keyring.ensure_master_key()
    with transaction.atomic():
        org = Organisation.objects.create(name="Outbox", slug="outbox", time_zone="UTC")
        keyring.ensure_org_keys(org.pk)
        points = []
        for i in range(100):
            person = Person.objects.create(org=org, codename=f"O{i:03d}", role="nurse")
            points.append(
                add_contact_point(org=org, kind="sms", value=f"+96394410{i:04d}", persons=[person])
            )
        channel = channels.channel_for(points[0], org)
        body = seal(org.pk, "SAFE?")
        messages = Message.objects.bulk_create(
            Message(
                org=org,
                priority=1,
                template="bench",
                language="en",
                body=body,
                contact_point=points[i % 100],
                reason="faults",
            )
            for i in range(count)
        )
        now = clock.now()
        Delivery.objects.bulk_create(
            Delivery(
                org=org,
                message=m,
                channel=channel,
                priority=1,
                our_ref=secrets.token_urlsafe(12),
                next_attempt_at=now,
            )
            for m in messages
        )
        RateBucket.objects.update_or_create(
            channel=channel,
            defaults={
                "capacity": 5000.0,
                "refill_per_second": 5000.0,
                "tokens": 5000.0,
                "updated_at": now,
            },
        )
    return {"org_id": org.pk, "deliveries": count, "channel": channel}


def check_checkins(acks_path: Path) -> dict[str, Any]:
    """Every acknowledged check-in is stored, with the id its client was given; no request
    (one Idempotency-Key, carried in the note) stored more than one check-in."""
    from salama.accounts.models import Organisation
    from salama.safety.models import CheckIn, IdempotencyKey

    acks = [json.loads(line) for line in acks_path.read_text().splitlines() if line.strip()]
    org = Organisation.objects.get(slug="ingest")
    stored = dict(CheckIn.objects.for_org(org).values_list("id", "note"))
    per_key = Counter(stored.values())
    acked = {a["key"]: a for a in acks if a["outcome"] == "ack"}
    gave_up = [a for a in acks if a["outcome"] != "ack"]
    lost = [k for k, a in acked.items() if stored.get(a["id"]) != k]
    duplicates = {k: n for k, n in per_key.items() if n > 1}
    violations = []
    if lost:
        violations.append(f"{len(lost)} acknowledged check-ins missing, e.g. {lost[:5]}")
    if duplicates:
        violations.append(f"{len(duplicates)} requests stored twice, e.g. {list(duplicates)[:5]}")
    return {
        "requests": len(acks),
        "acknowledged": len(acked),
        "replayed_answers": sum(1 for a in acked.values() if a.get("replayed")),
        "retried": sum(1 for a in acks if a.get("attempts", 1) > 1),
        "gave_up": len(gave_up),
        "stored_checkins": len(stored),
        "idempotency_rows": IdempotencyKey.objects.for_org(org).count(),
        "lost": len(lost),
        "duplicate_rows": sum(n - 1 for n in duplicates.values()),
        "violations": violations,
    }


def check_outbox(sink: Path, logs: list[Path], bound: float = 0.001) -> dict[str, Any]:
    """Every delivery reached the sink and is marked sent; duplicate hand-offs (a delivery in
    the sink more than once) are within `bound` and each is in a worker log with its window."""
    from salama.accounts.models import Organisation
    from salama.messaging.models import Delivery

    org = Organisation.objects.get(slug="outbox")
    lines, torn = [], 0
    for text in sink.read_text().splitlines() if sink.exists() else []:
        if not text.strip():
            continue
        try:
            lines.append(json.loads(text))
        except ValueError:
            # A worker killed inside its write can leave part of a line (Linux may cut a write to
            # a file at a page boundary once SIGKILL is pending); the next writer ends it
            # (salama.messaging.channels.console) and the delivery goes out again in full.
            torn += 1
    seen = Counter(x["delivery"] for x in lines if x.get("org") == org.pk)
    rows = dict(Delivery.objects.for_org(org).values_list("id", "state"))
    handoffs = Counter(Delivery.objects.for_org(org).values_list("handoffs", flat=True))
    logged: dict[int, list[str]] = {}
    for path in logs:
        if not path.exists():
            continue
        for text in path.read_text(errors="replace").splitlines():
            if not text.startswith("{"):
                continue
            try:
                entry = json.loads(text)
            except ValueError:
                continue
            if entry.get("action") in ("outbox.reclaim", "outbox.duplicate"):
                logged.setdefault(int(entry["delivery"]), []).append(entry["msg"])
    lost = [d for d in rows if seen[d] == 0]
    unsent = [d for d, state in rows.items() if state not in ("sent", "delivered")]
    dups = [d for d, n in seen.items() if n > 1]
    unlogged = [d for d in dups if d not in logged]
    allowed = int(len(rows) * bound)
    violations = []
    if lost:
        violations.append(f"{len(lost)} deliveries never reached the sink, e.g. {lost[:5]}")
    if unsent:
        violations.append(f"{len(unsent)} deliveries not marked sent, e.g. {unsent[:5]}")
    if len(dups) > allowed:
        violations.append(
            f"{len(dups)} duplicate hand-offs, more than {allowed} ({bound:.1%} of {len(rows)})"
        )
    if unlogged:
        violations.append(f"{len(unlogged)} duplicate hand-offs not logged, e.g. {unlogged[:5]}")
    return {
        "deliveries": len(rows),
        "sink_lines": len(lines),
        "torn_lines": torn,
        "reached_sink": sum(1 for d in rows if seen[d] > 0),
        "lost": len(lost),
        "not_sent": len(unsent),
        "duplicate_handoffs": len(dups),
        "allowed_duplicates": allowed,
        "db_handoffs_over_1": sum(n for h, n in handoffs.items() if h > 1),
        "reclaims_logged": len(logged),
        "duplicate_windows": {str(d): logged.get(d, []) for d in dups},
        "violations": violations,
    }


DRILL_PEOPLE = 50


def drill_fill() -> dict[str, Any]:
    """The restore drill's data: persons with encrypted real names and phone numbers, and
    check-ins with encrypted notes, through the real services."""
    from salama.accounts.models import Organisation
    from salama.lib import keyring
    from salama.people.services import ContactSpec, create_person
    from salama.safety.services import record_checkin

    keyring.ensure_master_key()
    org = Organisation.objects.create(name="Drill", slug="drill", time_zone="UTC")
    keyring.ensure_org_keys(org.pk)
    for i in range(DRILL_PEOPLE):
        person = create_person(
            org=org,
            codename=f"D{i:03d}",
            role="doctor",
            real_name=f"Drill Name {i}",
            contacts=[ContactSpec(kind="sms", value=f"+96394420{i:04d}")],
        )
        record_checkin(
            person=person, status="SAFE", basis="self", channel="sms", note=f"drill note {i}"
        )
    return {"org_id": org.pk, "persons": DRILL_PEOPLE}


def drill_verify() -> dict[str, Any]:
    """After the restore, with the keyring restored from its own backup: every encrypted value
    reads back and phone numbers are found by their keyed hash. Without it: ciphertext only."""
    from salama.accounts.models import Organisation
    from salama.lib.fields import Sealed
    from salama.people.models import Person
    from salama.people.services import find_contact_point
    from salama.safety.models import CheckIn

    org = Organisation.objects.get(slug="drill")
    names = dict(Person.objects.for_org(org).values_list("codename", "real_name"))
    notes = list(CheckIn.objects.for_org(org).values_list("note", flat=True))
    sealed = sum(isinstance(v, Sealed) for v in [*names.values(), *notes])
    read = sum(names.get(f"D{i:03d}") == f"Drill Name {i}" for i in range(DRILL_PEOPLE))
    read += sum(f"drill note {i}" in notes for i in range(DRILL_PEOPLE))
    found = 0
    if not sealed:
        found = sum(
            find_contact_point(org=org, kind="sms", value=f"+96394420{i:04d}") is not None
            for i in range(DRILL_PEOPLE)
        )
    return {
        "persons": len(names),
        "checkins": len(notes),
        "decrypted": read,
        "sealed": sealed,
        "numbers_found": found,
        "expected": DRILL_PEOPLE,
    }


def main() -> None:
    django.setup()
    command, args = sys.argv[1], sys.argv[2:]
    if command == "outbox":
        result = queue_outbox(int(args[0]))
    elif command == "check-checkins":
        result = check_checkins(Path(args[0]))
    elif command == "drill-fill":
        result = drill_fill()
    elif command == "drill-verify":
        result = drill_verify()
    elif command == "check-outbox":
        result = check_outbox(Path(args[0]), [Path(p) for p in args[1:]])
    else:
        raise SystemExit(__doc__)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
