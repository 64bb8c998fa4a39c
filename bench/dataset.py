"""The scale dataset: one organisation with N persons and N*per check-ins, written with COPY.

Built once and reused: a table `bench_dataset` in the database records what was built; a second
run with the same size skips generation. Everything is relative to the fixed EPOCH, and the
measurements move the clock there (time-machine), so a dataset built months ago measures the same.

Shape at EPOCH (the current-state columns are what record_checkin would have written):
- every person has `per` check-ins, two days apart (ids consecutive per person); the last one is
  by the person themself, so heard_at = its effective time;
- 94% were heard within the last 25 hours (next_due_at = heard_at + the default period and grace,
  spread over the next 25 hours: about 63 people fall due each minute at 100,000 persons);
- 5% were heard 25 to 72 hours ago and are already marked overdue;
- 1% are under a decision (missing, detained);
- 3% last said NEED_HELP or INJURED.

    python -m bench.dataset PERSONS PER_PERSON      (Django configured by the environment)
"""

from __future__ import annotations

import io
import json
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import django

EPOCH = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
AREAS = 50
TEAM_SIZE = 50
SEED = 20260115


def _text(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict | list):
        value = json.dumps(value)
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def copy_spec(model: Any, given: list[str]) -> tuple[list[str], list[str]]:
    """COPY columns: the ones we give, then every other concrete column at its model default
    (so columns other engineers add later are still filled)."""
    rest, defaults = [], []
    for field in model._meta.concrete_fields:
        if field.column in given or field.primary_key and field.column == "id":
            continue
        rest.append(field.column)
        default = field.get_default()
        defaults.append(_text(default))
    return given + rest, defaults


def plan(p: int) -> dict[str, Any]:
    """Person p's history, deterministic: the same in every pass and every run."""
    rng = random.Random(SEED * 1_000_003 + p)
    roll = rng.random()
    if roll < 0.05:
        last = EPOCH - timedelta(hours=25 + rng.random() * 47)
    else:
        last = EPOCH - timedelta(seconds=rng.random() * 25 * 3600)
    last_status = "SAFE"
    if rng.random() < 0.03:
        last_status = rng.choice(["NEED_HELP", "INJURED"])
    decision = ""
    if rng.random() < 0.01:
        decision = rng.choice(["MISSING", "DETAINED"])
    return {
        "last": last,
        "overdue": roll < 0.05,
        "status": last_status,
        "decision": decision,
        "gap": timedelta(hours=44 + rng.random() * 8),
        "seed": rng.random(),
    }


def exists(cursor: Any, persons: int, per: int) -> bool:
    cursor.execute("SELECT to_regclass('bench_dataset') IS NOT NULL")
    if not cursor.fetchone()[0]:
        return False
    cursor.execute("SELECT persons, per_person, done FROM bench_dataset")
    row = cursor.fetchone()
    return bool(row and row[0] == persons and row[1] == per and row[2])


def build(persons: int, per: int) -> dict[str, Any]:
    from django.db import connection, transaction

    from salama.accounts.models import Organisation
    from salama.lib import keyring
    from salama.people.models import Area, Person, Team, TeamLead
    from salama.safety.models import CheckIn
    from salama.safety.periods import DEFAULT_PERIOD

    due_after = timedelta(
        hours=DEFAULT_PERIOD["interval_hours"], minutes=DEFAULT_PERIOD["grace_minutes"]
    )
    started = time.monotonic()
    with connection.cursor() as cur:
        if exists(cur, persons, per):
            cur.execute("SELECT org_id FROM bench_dataset")
            return {"org_id": cur.fetchone()[0], "built": False, "seconds": 0}
    keyring.ensure_master_key()
    with transaction.atomic():
        with connection.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS bench_dataset")
        Organisation.objects.filter(slug="bench").delete()
        org = Organisation.objects.create(name="Bench", slug="bench", time_zone="Asia/Damascus")
        keyring.ensure_org_keys(org.pk)
        areas = Area.objects.bulk_create(
            Area(org=org, name_en=f"Area {i}", name_ar=f"منطقة {i}") for i in range(AREAS)
        )
        teams = Team.objects.bulk_create(
            Team(org=org, name=f"Team {i}") for i in range((persons + TEAM_SIZE - 1) // TEAM_SIZE)
        )
    raw = connection.connection  # psycopg connection under Django's
    created = EPOCH - timedelta(days=400)

    # Persons, then check-ins, with ids we choose: person p is id base+p, its check-ins follow.
    with connection.cursor() as cur:
        cur.execute("SELECT coalesce(max(id), 0) FROM people_person")
        person_base = cur.fetchone()[0] + 1
        cur.execute("SELECT coalesce(max(id), 0) FROM safety_checkin")
        checkin_base = cur.fetchone()[0] + 1
    given = [
        "id",
        "org_id",
        "codename",
        "role",
        "team_id",
        "area_id",
        "state",
        "state_basis",
        "state_at",
        "state_checkin_id",
        "heard_at",
        "decision",
        "decision_certainty",
        "decision_at",
        "next_due_at",
        "is_overdue",
        "created_at",
        "is_active",
    ]
    columns, defaults = copy_spec(Person, given)
    buf = io.StringIO()
    for p in range(persons):
        pl = plan(p)
        last_id = checkin_base + p * per + per - 1
        due = pl["last"] + due_after
        row = [
            person_base + p,
            org.pk,
            f"B{p:06d}",
            "nurse" if p % 3 else "doctor",
            teams[p // TEAM_SIZE].pk,
            areas[p % AREAS].pk,
            pl["status"],
            "self",
            pl["last"],
            last_id,
            pl["last"],
            pl["decision"],
            "reported" if pl["decision"] else "",
            pl["last"] + timedelta(hours=1) if pl["decision"] else None,
            due,
            pl["overdue"],
            created,
            True,
        ]
        buf.write("\t".join([_text(v) for v in row] + defaults) + "\n")
    with transaction.atomic(), raw.cursor() as cur:
        with cur.copy(f"COPY people_person ({', '.join(columns)}) FROM STDIN") as copy:
            copy.write(buf.getvalue())
        cur.execute(
            "SELECT setval(pg_get_serial_sequence('people_person', 'id'), %s)",
            [person_base + persons],
        )
    TeamLead.objects.bulk_create(
        TeamLead(org=org, team=team, person_id=person_base + i * TEAM_SIZE)
        for i, team in enumerate(teams)
    )

    # Check-ins: indexes and foreign keys off during the load, rebuilt after (one pass each).
    with connection.cursor() as cur:
        cur.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'safety_checkin'"
            " AND indexname <> 'safety_checkin_pkey'"
        )
        indexes = cur.fetchall()
        cur.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'safety_checkin'::regclass AND contype = 'f'"
        )
        fkeys = cur.fetchall()
        for name, _def in fkeys:
            cur.execute(f'ALTER TABLE safety_checkin DROP CONSTRAINT "{name}"')
        for name, _def in indexes:
            cur.execute(f'DROP INDEX "{name}"')
    given = [
        "id",
        "org_id",
        "person_id",
        "status",
        "basis",
        "channel",
        "device_at",
        "received_at",
        "effective_at",
        "is_time_flagged",
        "counts_as_heard",
        "area_id",
    ]
    columns, defaults = copy_spec(CheckIn, given)
    tail = "\t".join(defaults)
    statuses = ["SAFE"] * 18 + ["NEED_HELP", "INJURED"]
    channels = ["sms", "sms", "api", "field_page"]
    chunk = 2000
    for start in range(0, persons, chunk):
        lines = []
        for p in range(start, min(start + chunk, persons)):
            pl = plan(p)
            rng = random.Random(pl["seed"])
            area = areas[p % AREAS].pk
            first_id = checkin_base + p * per
            for k in range(per):
                last = k == per - 1
                at = pl["last"] - (per - 1 - k) * pl["gap"]
                status = pl["status"] if last else statuses[rng.randrange(20)]
                basis = "self" if last or rng.random() < 0.8 else "proxy_seen"
                lines.append(
                    f"{first_id + k}\t{org.pk}\t{person_base + p}\t{status}\t{basis}\t"
                    f"{channels[k % 4]}\t{at.isoformat()}\t"
                    f"{(at + timedelta(seconds=5)).isoformat()}\t{at.isoformat()}\tf\tt\t"
                    f"{area}\t{tail}\n"
                )
        statement = f"COPY safety_checkin ({', '.join(columns)}) FROM STDIN"
        with transaction.atomic(), raw.cursor() as cur, cur.copy(statement) as copy:
            copy.write("".join(lines))
        print(
            f"check-ins for {min(start + chunk, persons)} of {persons} persons",
            file=sys.stderr,
            flush=True,
        )
    with connection.cursor() as cur:
        for _name, definition in indexes:
            cur.execute(definition)
        for name, definition in fkeys:
            cur.execute(f'ALTER TABLE safety_checkin ADD CONSTRAINT "{name}" {definition}')
        cur.execute(
            "SELECT setval(pg_get_serial_sequence('safety_checkin', 'id'), %s)",
            [checkin_base + persons * per],
        )
        cur.execute(
            "CREATE TABLE bench_dataset (org_id bigint, persons int, per_person int, "
            "epoch timestamptz, seconds float, done bool)"
        )
        cur.execute(
            "INSERT INTO bench_dataset VALUES (%s, %s, %s, %s, %s, true)",
            [org.pk, persons, per, EPOCH, time.monotonic() - started],
        )
    connection.close()
    # VACUUM cannot run in a transaction: a fresh autocommit connection.
    with connection.cursor() as cur:
        cur.execute("VACUUM (ANALYZE) people_person")
        cur.execute("VACUUM (ANALYZE) safety_checkin")
    return {"org_id": org.pk, "built": True, "seconds": round(time.monotonic() - started, 1)}


def main() -> None:
    django.setup()
    persons, per = int(sys.argv[1]), int(sys.argv[2])
    print(json.dumps(build(persons, per)))


if __name__ == "__main__":
    main()
