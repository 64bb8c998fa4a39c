"""Demo history: three days of check-ins for the demo roster through every basis and channel,
some people overdue, some injured or calling for help, one reported missing, one detained, and
an open event after a strike in Al-Sukkari two and a half hours ago. Runs after the roster step;
does nothing without persons, and nothing the second time."""

import random
from datetime import datetime, timedelta

from django.db import transaction

from salama.accounts.models import Membership, Organisation, Role
from salama.lib import clock
from salama.people.models import Area, Person
from salama.safety import services
from salama.safety.models import CheckIn

SELF_CHANNELS = ["field_page", "sms", "sms", "api"]


@transaction.atomic
def load() -> None:
    org = Organisation.objects.filter(slug="demo").first()
    if org is None:
        return
    persons = list(Person.objects.for_org(org).filter(is_active=True).order_by("codename"))
    if not persons or CheckIn.objects.for_org(org).exists():
        return
    coordinator = (
        Membership.objects.for_org(org).filter(role=Role.COORDINATOR).order_by("pk").first()
    )
    rng = random.Random(20260310)
    now = clock.now()
    strike_at = now - timedelta(hours=2, minutes=30)
    silent = set(rng.sample(range(len(persons)), k=min(12, len(persons) // 8 + 1)))
    for index, person in enumerate(persons):
        for day in (3, 2, 1):
            if index in silent and day == 1:
                continue  # last heard from two days ago: overdue
            at = now - timedelta(days=day - 1, hours=rng.randint(3, 14), minutes=rng.randint(0, 59))
            _checkin(person, at, rng, coordinator)
    # After the strike: most people have been heard from again, some not yet.
    for index, person in enumerate(persons):
        if index in silent or rng.random() < 0.35:
            continue
        at = strike_at + timedelta(minutes=rng.randint(5, 140))
        status = "SAFE"
        if index % 23 == 5:
            status = "INJURED"
        elif index % 31 == 7:
            status = "NEED_HELP"
        services.record_checkin(
            person=person,
            status=status,
            basis="self",
            channel=rng.choice(SELF_CHANNELS),
            device_at=at,
            received_at=at + timedelta(seconds=rng.randint(2, 600)),
            note="Demo: bleeding from the arm" if status == "INJURED" else "",
        )
    _decisions(persons, silent, coordinator)
    sukkari = Area.objects.for_org(org).filter(name_en="Al-Sukkari").first()
    services.open_event(
        org=org,
        label="Strike near the Al-Sukkari field hospital",
        started_at=strike_at,
        areas=[sukkari] if sukkari else [],
        opened_by=coordinator,
    )
    for person in services.overdue_people(org, now):
        services.mark_overdue(person=person, now=now)


def _checkin(
    person: Person, at: datetime, rng: random.Random, coordinator: Membership | None
) -> None:
    roll = rng.random()
    received = at + timedelta(seconds=rng.randint(2, 900))
    if roll < 0.6:
        basis, channel = "self", rng.choice(SELF_CHANNELS)
    elif roll < 0.75:
        basis, channel = "proxy_seen", "proxy"
    elif roll < 0.82:
        basis, channel = "proxy_heard", "proxy"
    elif roll < 0.94:
        services.record_checkin(
            person=person,
            status="SAFE",
            basis="relayed",
            channel="relayed",
            device_at=at,
            heard_at=at,
            received_at=received,
            source=rng.choice(["call", "voice_note", "messaging_app", "third_party"]),
            recorded_by=coordinator,
        )
        return
    else:
        basis, channel = "provisional", "sms"
    services.record_checkin(
        person=person,
        status="SAFE",
        basis=basis,
        channel=channel,
        device_at=at,
        received_at=received,
    )


def _decisions(persons: list[Person], silent: set[int], coordinator: Membership | None) -> None:
    ordered = sorted(silent)
    if len(ordered) < 2:
        return
    services.make_decision(
        person=persons[ordered[0]],
        kind="MISSING",
        certainty="reported",
        made_by=coordinator,
        source="Demo: a colleague at the ward",
        reason="Demo: not seen since the night shift",
    )
    services.make_decision(
        person=persons[ordered[1]],
        kind="DETAINED",
        certainty="confirmed",
        made_by=coordinator,
        source="Demo: family",
        reason="Demo: held at a checkpoint",
    )
