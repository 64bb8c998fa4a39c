"""The in-process side of the roll-call benchmarks (B2) and the roll-call fault test: fixtures,
opening a roll call the way the roll-call page does, and reading back what happened.
Django is configured by the environment; each command prints one JSON line.

    python -m bench.b2db org SLUG PERSONS BASE_URL RATE CAPACITY [OPERATORS]
    python -m bench.b2db open SLUG                      open a safety roll call to everyone
    python -m bench.b2db outcome SLUG NUMBER            hand-offs and states of roll call NUMBER
    python -m bench.b2db phone SLUG PER_MINUTE [OPERATOR [SCALE]]
                                                        add an Android phone, SMS through phones
    python -m bench.b2db bulk SLUG COUNT [CHANNEL]      queue COUNT bulk deliveries (SQL)
    python -m bench.b2db urgent SLUG COUNT SPREAD_S     life-safety messages over SPREAD_S s
    python -m bench.b2db reset SLUG                     drop every roll call and message
"""

from __future__ import annotations

import json
import random
import resource
import secrets
import sys
import time
from datetime import timedelta
from typing import Any

import django

# Operator prefixes of the simulated numbers (+963 9X ...): one SIM per operator in the field
# runs. Labels only: the phone simulator routes each number to the SIM of its prefix.
OPERATORS = ("93", "94", "95")
QUESTION = "هل أنت بخير؟ أجب برقم"
WEBHOOK_SECRET_NAME = "webhook_secret"


def number(i: int, operators: int = 1) -> str:
    prefix = OPERATORS[i % operators]
    return f"+963{prefix}{i:07d}"


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def make_org(
    slug: str, persons: int, base_url: str, rate: float, capacity: float, operators: int = 1
) -> dict[str, Any]:
    """An organisation whose SMS go through the generic JSON gateway at `base_url`: persons
    (Arabic speakers, each with their own number, numbers spread over `operators`
    operators), written in batches; the channel's bucket set to `rate` per second."""
    from django.db import transaction

    from salama.accounts.models import Organisation
    from salama.lib import clock, keyring
    from salama.messaging.models import Gateway, RateBucket
    from salama.people.models import Area, ContactPoint, Person, Team

    keyring.ensure_master_key()
    secret = secrets.token_hex(24)
    with transaction.atomic():
        org = Organisation.objects.create(
            name=slug.title(),
            slug=slug,
            time_zone="Asia/Damascus",
            settings={"sms_channel": "http_json", "language": "ar"},
        )
        keyring.ensure_org_keys(org.pk)
        area = Area.objects.create(org=org, name_en="Centre", name_ar="المركز")
        team = Team.objects.create(org=org, name="Team 1")
        gateway = Gateway.objects.create(
            org=org,
            kind="http_json",
            key=secrets.token_urlsafe(12),
            base_url=base_url,
            credentials=json.dumps({"send_token": "bench-send", WEBHOOK_SECRET_NAME: secret}),
        )
    through = ContactPoint.persons.through
    step = 5000
    for start in range(0, persons, step):
        end = min(persons, start + step)
        with transaction.atomic():
            people = Person.objects.bulk_create(
                Person(
                    org=org, codename=f"R{i:06d}", role="nurse", team=team, area=area, language="ar"
                )
                for i in range(start, end)
            )
            points = ContactPoint.objects.bulk_create(
                ContactPoint(
                    org=org,
                    kind="sms",
                    value=number(i, operators),
                    value_hash=keyring.lookup_hash(org.pk, number(i, operators)),
                    operator=OPERATORS[i % operators],
                )
                for i in range(start, end)
            )
            through.objects.bulk_create(
                through(contactpoint_id=c.pk, person_id=p.pk)
                for c, p in zip(points, people, strict=True)
            )
    set_rate(rate, capacity)
    RateBucket.objects.filter(channel="http_json").update(tokens=min(1.0, capacity))
    del clock
    return {"org_id": org.pk, "persons": persons, "gateway_key": gateway.key, "secret": secret}


def set_rate(rate: float, capacity: float, channel: str = "http_json") -> None:
    from salama.lib import clock
    from salama.messaging.models import RateBucket

    RateBucket.objects.update_or_create(
        channel=channel,
        defaults={
            "capacity": capacity,
            "refill_per_second": rate,
            "tokens": min(1.0, capacity),
            "updated_at": clock.now(),
        },
    )


def open_call(slug: str) -> dict[str, Any]:
    """Open a safety roll call to everyone, as the roll-call page does, and read the estimate
    that page shows right after (salama.rollcalls.services.last_send_at)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from salama.accounts.models import Organisation
    from salama.lib import clock
    from salama.lib.sms import segments
    from salama.rollcalls.services import Target, last_send_at, open_roll_call

    org = Organisation.objects.get(slug=slug)
    started = time.monotonic()
    with CaptureQueriesContext(connection) as queries:
        roll_call = open_roll_call(
            org=org,
            question=QUESTION,
            target=Target(everyone=True),
            deadline_at=clock.now() + timedelta(hours=6),
            wire_confirmed=True,
        )
    committed = time.time()
    open_seconds = time.monotonic() - started
    estimate = last_send_at(roll_call)
    body_segments = max(segments(b)[1] for b in [QUESTION])
    return {
        "roll_call": roll_call.pk,
        "number": roll_call.number,
        "committed_at": committed,
        "open_seconds": round(open_seconds, 3),
        "statements": len(queries.captured_queries),
        "estimate_last_at": estimate.timestamp() if estimate else None,
        "estimate_seconds": round(estimate.timestamp() - committed, 2) if estimate else None,
        "messages": roll_call.estimate.get("messages"),
        "segments": roll_call.estimate.get("segments"),
        "question_segments": body_segments,
        "encoding": roll_call.estimate.get("encoding"),
        "peak_mb": round(peak_mb(), 1),
    }


def outcome(slug: str, number_: int) -> dict[str, Any]:
    """What happened to roll call NUMBER's deliveries: states, hand-off times (Unix seconds)."""
    from django.db.models import Count, Max, Min

    from salama.accounts.models import Organisation
    from salama.messaging.models import Delivery
    from salama.rollcalls.models import RollCallRecipient

    org = Organisation.objects.get(slug=slug)
    rows = Delivery.objects.for_org(org).filter(message__reason=f"rollcall:{number_}")
    states = dict(rows.values_list("state").annotate(n=Count("id")))
    times = rows.aggregate(first=Min("handed_off_at"), last=Max("handed_off_at"))
    recipients = RollCallRecipient.objects.for_org(org).filter(roll_call__number=number_)
    per_message = rows.values("message_id").annotate(n=Count("id")).filter(n__gt=1).count()
    errors = dict(
        rows.exclude(last_error="").values_list("last_error").annotate(n=Count("id"))[:10]
    )
    return {
        "deliveries": sum(states.values()),
        "states": states,
        "recipients": recipients.count(),
        "withheld": recipients.exclude(withheld="").count(),
        "messages_with_two_deliveries": per_message,
        "handoffs_over_1": rows.filter(handoffs__gt=1).count(),
        "first_handoff_at": times["first"].timestamp() if times["first"] else None,
        "last_handoff_at": times["last"].timestamp() if times["last"] else None,
        "retried": rows.filter(attempts__gt=1).count(),
        "max_attempts": max(rows.values_list("attempts", flat=True), default=0),
        "errors": errors,
    }


def handoff_times(slug: str, reason: str) -> list[float]:
    from salama.accounts.models import Organisation
    from salama.messaging.models import Delivery

    org = Organisation.objects.get(slug=slug)
    rows = Delivery.objects.for_org(org).filter(message__reason=reason, handed_off_at__isnull=False)
    return sorted(t.timestamp() for t in rows.values_list("handed_off_at", flat=True))


def add_android_phone(
    slug: str, per_minute: int, operator: str = "", scale: float = 1.0
) -> dict[str, Any]:
    """An Android phone for the organisation (salama.messaging.phones.add_phone, as the phones
    page adds one: its secret returned once), and the organisation's SMS sent through its
    phones (the page's "Send the organisation's texts through these phones"). SCALE > 1: the
    phone's pace (its bucket's refill and the pace the roll-call estimate reads) SCALE times
    faster and its first poll's burst the same number of texts (`make bench`'s ten-times-faster
    field runs; Android's 60-second window is not scaled, so these do not show its effect)."""
    from salama.accounts.models import Organisation
    from salama.messaging import phones
    from salama.messaging.channels import android
    from salama.messaging.models import AndroidPhone, RateBucket

    org = Organisation.objects.get(slug=slug)
    phone, secret = phones.add_phone(
        org=org, label=f"Bench phone {operator}".strip(), operator=operator, per_minute=per_minute
    )
    if scale != 1:
        # A new phone is taken to poll every DEFAULT_POLL_SECONDS until its polls say: that too
        # SCALE times shorter, so its first poll's burst is the real phone's (23 texts at 29).
        AndroidPhone.objects.filter(pk=phone.pk).update(
            per_minute=round(per_minute * scale),
            poll_seconds=android.DEFAULT_POLL_SECONDS / scale,
        )
        phone.refresh_from_db()
        RateBucket.objects.filter(channel=phone.bucket).delete()
        android.set_pacing(phone)
    org.settings["sms_channel"] = android.NAME
    org.save(update_fields=["settings"])
    return {"key": phone.key, "secret": secret, "bucket": phone.bucket, "per_minute": per_minute}


def queue_bulk(slug: str, count: int, channel: str = "http_json") -> dict[str, Any]:
    """COUNT bulk deliveries on CHANNEL (the JSON gateway unless told), written by the database
    (INSERT ... SELECT from one sealed message): a send already draining when the measurement
    starts."""
    from django.db import connection, transaction

    from salama.accounts.models import Organisation
    from salama.lib import clock
    from salama.lib.fields import seal
    from salama.messaging.models import Message, Priority
    from salama.people.models import ContactPoint

    org = Organisation.objects.get(slug=slug)
    point = ContactPoint.objects.for_org(org).order_by("pk").first()
    started = time.monotonic()
    now = clock.now()
    with transaction.atomic():
        first = Message.objects.create(
            org=org,
            priority=Priority.BULK,
            template="bench",
            language="ar",
            body=seal(org.pk, "نشرة: " + "ا" * 100),
            contact_point=point,
            reason="bench-bulk",
            created_at=now,
        )
        with connection.cursor() as cur:
            cur.execute(
                """
                INSERT INTO messaging_message
                    (org_id, priority, template, language, body, contact_point_id, reason,
                     cause_ids, created_at)
                SELECT org_id, priority, template, language, body, contact_point_id, reason,
                       cause_ids, created_at
                FROM messaging_message, generate_series(2, %s)
                WHERE id = %s
                """,
                [count, first.pk],
            )
            cur.execute(
                """
                INSERT INTO messaging_delivery
                    (org_id, message_id, channel, priority, state, attempts, next_attempt_at,
                     our_ref, provider_ref, last_error, handoffs, is_released, created_at,
                     updated_at)
                SELECT org_id, id, %s, priority, 'queued', 0, %s,
                       substr(md5(random()::text || id::text), 1, 24), '', '', 0, false, %s, %s
                FROM messaging_message WHERE reason = 'bench-bulk' AND org_id = %s
                """,
                [channel, now, now, now, org.pk],
            )
    return {"queued": count, "seconds": round(time.monotonic() - started, 1)}


def urgent(slug: str, count: int, spread: float) -> dict[str, Any]:
    """COUNT life-safety messages, queued through queue_message at random moments over
    SPREAD_S seconds; then waits for their hand-offs and returns each wait (creation to
    hand-off, seconds), and each one's reference with its creation time (Unix seconds), for a
    gateway that records when it received the text."""
    from django.db import transaction

    from salama.accounts.models import Organisation
    from salama.lib import clock
    from salama.messaging.models import Delivery, Priority
    from salama.messaging.outbox import queue_message
    from salama.people.models import ContactPoint

    org = Organisation.objects.get(slug=slug)
    points = list(ContactPoint.objects.for_org(org).order_by("pk")[:count])
    rng = random.Random(7)
    ids = []
    for point in points:
        time.sleep(rng.uniform(0.2, 2 * spread / max(1, count) - 0.2))
        with transaction.atomic():
            message = queue_message(
                org=org,
                contact_point=point,
                template="reply_ok",
                context={"time": clock.now()},
                priority=Priority.LIFE_SAFETY,
                reason="bench-urgent",
            )
        assert message is not None
        ids.append(message.pk)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        left = Delivery.objects.filter(message_id__in=ids, handed_off_at__isnull=True).count()
        if not left:
            break
        time.sleep(0.5)
    rows = list(
        Delivery.objects.filter(message_id__in=ids)
        .select_related("message")
        .only("handed_off_at", "our_ref", "channel", "message__created_at")
    )
    waits = [
        (d.handed_off_at - d.message.created_at).total_seconds() for d in rows if d.handed_off_at
    ]
    created = {d.our_ref: d.message.created_at.timestamp() for d in rows}
    return {
        "queued": len(ids),
        "handed_off": len(waits),
        "waits": sorted(waits),
        "created": created,
        "channels": sorted({d.channel for d in rows}),
    }


def reset(slug: str) -> dict[str, Any]:
    """Drop the roll calls, messages and inbound texts of the private bench database, so a
    kept dataset measures the same each run (the persons and numbers stay)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "TRUNCATE rollcalls_rollcallrecipient, rollcalls_rollcall, messaging_delivery, "
            "messaging_suppression, messaging_message, messaging_inboundmessage, "
            "safety_checkin CASCADE"
        )
        cur.execute("UPDATE people_person SET state_checkin_id = NULL")
    return {"reset": slug}


def main() -> None:
    django.setup()
    command, args = sys.argv[1], sys.argv[2:]
    result: Any
    if command == "org":
        result = make_org(
            args[0],
            int(args[1]),
            args[2],
            float(args[3]),
            float(args[4]),
            int(args[5]) if len(args) > 5 else 1,
        )
    elif command == "rate":
        set_rate(float(args[0]), float(args[1]))
        result = {"rate": float(args[0])}
    elif command == "open":
        result = open_call(args[0])
    elif command == "outcome":
        result = outcome(args[0], int(args[1]))
    elif command == "handoffs":
        result = handoff_times(args[0], args[1])
    elif command == "phone":
        result = add_android_phone(
            args[0],
            int(args[1]),
            args[2] if len(args) > 2 else "",
            float(args[3]) if len(args) > 3 else 1.0,
        )
    elif command == "bulk":
        result = queue_bulk(args[0], int(args[1]), *args[2:3])
    elif command == "urgent":
        result = urgent(args[0], int(args[1]), float(args[2]))
    elif command == "reset":
        result = reset(args[0])
    else:
        raise SystemExit(__doc__)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
