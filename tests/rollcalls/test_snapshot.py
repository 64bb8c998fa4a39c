"""The roll-call snapshot is run by the database (INSERT ... SELECT): it must choose exactly what
the one-message rules choose (salama.messaging.reach.unreachable_reason for a contact point,
salama.safety.periods.leaves_sweep for a person), and its statements must not grow with the
number of recipients."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from salama.accounts.models import Membership
from salama.lib import clock
from salama.messaging import channels
from salama.messaging.models import Delivery, Message
from salama.messaging.reach import unreachable_reason
from salama.people.models import (
    Certainty,
    ContactKind,
    ContactPoint,
    ContactState,
    DecisionKind,
    Person,
    Team,
)
from salama.people.services import add_contact_point
from salama.rollcalls import services
from salama.rollcalls.models import RollCallRecipient, WithheldReason
from salama.safety.periods import leaves_sweep

pytestmark = pytest.mark.django_db


def _person(org: Any, codename: str, **fields: Any) -> Person:
    return Person.objects.create(org=org, codename=codename, role="nurse", **fields)


def _number(org: Any, n: int, persons: list[Person], **fields: Any) -> ContactPoint:
    return add_contact_point(
        org=org, kind="sms", value=f"+9639441{n:05d}", persons=persons, **fields
    )


def _mixed_roster(world: Any) -> list[Person]:
    """Persons of every kind the snapshot must tell apart."""
    org = world.org
    p = {name: _person(org, name.upper()[:20], language=lang) for name, lang in [
        ("own", "ar"), ("own_and_ward", "en"), ("compromised_own", "ar"), ("suspended_only", "ar"),
        ("detained_own", "ar"), ("detained_on_ward", "en"), ("killed_reported", "ar"),
        ("killed_confirmed", "ar"), ("evacuated", "ar"), ("inactive", "ar"), ("email_only", "ar"),
        ("provisional", "en"), ("ward_only", "en"), ("held_by_missing_login", "ar"),
    ]}  # fmt: skip
    _number(org, 1, [p["own"]])
    _number(org, 2, [p["own_and_ward"]])
    ward = _number(org, 3, [p["own_and_ward"], p["detained_on_ward"], p["ward_only"]])
    ward.is_shared = True
    ward.save(update_fields=["is_shared"])
    _number(org, 4, [p["compromised_own"]], state=ContactState.COMPROMISED)
    _number(org, 5, [p["compromised_own"], p["ward_only"]], is_shared=True)
    _number(org, 6, [p["suspended_only"]], state=ContactState.SUSPENDED)
    _number(org, 7, [p["detained_own"]])
    _number(org, 8, [p["killed_reported"]])
    _number(org, 9, [p["killed_confirmed"]])
    _number(org, 10, [p["evacuated"]])
    _number(org, 11, [p["inactive"]])
    add_contact_point(org=org, kind="email", value="only@example.org", persons=[p["email_only"]])
    _number(org, 12, [p["provisional"]], state=ContactState.PROVISIONAL)
    # A phone registered on a login whose person is missing, also listed as someone's own.
    lead = Membership.objects.get(user=world.users["lead"], org=org)
    missing = _person(org, "MISSINGLEAD", membership=lead, decision=DecisionKind.MISSING)
    _number(org, 13, [p["held_by_missing_login"]], membership=lead)
    Person.objects.filter(pk=p["detained_own"].pk).update(decision=DecisionKind.DETAINED)
    Person.objects.filter(pk=p["detained_on_ward"].pk).update(decision=DecisionKind.DETAINED)
    Person.objects.filter(pk=p["killed_reported"].pk).update(
        decision=DecisionKind.KILLED, decision_certainty=Certainty.REPORTED
    )
    Person.objects.filter(pk=p["killed_confirmed"].pk).update(
        decision=DecisionKind.KILLED, decision_certainty=Certainty.CONFIRMED
    )
    Person.objects.filter(pk=p["evacuated"].pk).update(decision=DecisionKind.EVACUATED)
    Person.objects.filter(pk=p["inactive"].pk).update(is_active=False)
    return [*Person.objects.filter(pk__in=[x.pk for x in p.values()]), missing]


def _expected(persons: list[Person]) -> dict[int, tuple[int | None, str]]:
    """What the one-message rules say, person by person: the contact point or why none."""
    out: dict[int, tuple[int | None, str]] = {}
    for person in persons:
        person.refresh_from_db()
        if leaves_sweep(person):
            continue
        numbers = [
            c
            for c in person.contact_points.all()
            if c.kind == ContactKind.SMS
            and c.state in (ContactState.ACTIVE, ContactState.PROVISIONAL)
        ]
        numbers.sort(key=lambda c: (c.is_shared, c.pk))
        reachable = [c for c in numbers if unreachable_reason(c) is None]
        if reachable:
            out[person.pk] = (reachable[0].pk, "")
        else:
            why = WithheldReason.SUPPRESSED if numbers else WithheldReason.NO_NUMBER
            out[person.pk] = (None, why)
    return out


def test_the_snapshot_chooses_what_the_one_message_rules_choose(world: Any) -> None:
    persons = _mixed_roster(world)
    expected = _expected(persons)
    roll_call = services.open_roll_call(
        org=world.org,
        question="Are you well?",
        target=services.Target(everyone=True),
        deadline_at=clock.now() + timedelta(hours=1),
    )
    rows = RollCallRecipient.objects.filter(roll_call=roll_call)
    got = {r.person_id: (r.contact_point_id, r.withheld) for r in rows}
    assert got == expected
    # The cases are really mixed: own numbers, a shared phone, both reasons for none.
    chosen = [point for point, _why in expected.values() if point]
    assert len(chosen) > len(set(chosen)) > 3
    assert {why for _point, why in expected.values()} == {
        "",
        WithheldReason.SUPPRESSED,
        WithheldReason.NO_NUMBER,
    }
    for row in rows:
        assert row.is_current == (not row.withheld)
        if row.withheld:
            assert row.message_id is None
            continue
        message = Message.objects.get(pk=row.message_id)
        assert message.contact_point_id == row.contact_point_id
        assert message.reason == f"rollcall:{roll_call.number}"
    # One message per contact point, each with one queued delivery on the SMS channel.
    messages = Message.objects.filter(reason=f"rollcall:{roll_call.number}")
    assert sorted(m.contact_point_id for m in messages) == sorted(set(chosen))
    deliveries = Delivery.objects.filter(message__in=messages)
    assert deliveries.count() == messages.count()
    channel = channels.channel_for_kind("sms", world.org)
    assert {(d.channel, d.state) for d in deliveries} == {(channel, "queued")}
    assert len({d.our_ref for d in deliveries}) == deliveries.count()
    assert all(len(d.our_ref) == 32 for d in deliveries)
    # Bodies: the variant for the language of the point's first person and its sharedness.
    first_person: dict[int, Person] = {}
    for person in sorted(persons, key=lambda p: p.pk):
        point = expected.get(person.pk, (None, ""))[0]
        if point is not None:
            first_person.setdefault(point, person)
    variants = services.render_variants(world.org, "Are you well?", roll_call.options)
    for message in messages:
        assert message.contact_point is not None
        person = first_person[message.contact_point_id]
        shared = message.contact_point.is_shared
        assert message.language == person.language
        assert message.template == ("rollcall_shared" if shared else "rollcall")
        assert message.body == variants[(person.language, shared)]
    assert roll_call.estimate["messages"] == messages.count()
    assert roll_call.estimate["channels"] == {channel: messages.count()}


def test_the_preview_counts_what_opening_would_snapshot(world: Any) -> None:
    _mixed_roster(world)
    target = services.Target(everyone=True)
    preview = services.preview(org=world.org, question="Are you well?", target=target)
    roll_call = services.open_roll_call(
        org=world.org,
        question="Are you well?",
        target=target,
        deadline_at=clock.now() + timedelta(hours=1),
    )
    rows = RollCallRecipient.objects.filter(roll_call=roll_call)
    assert preview["recipients"] == rows.count()
    assert preview["withheld"] == rows.exclude(withheld="").count()
    assert preview["messages"] == roll_call.estimate["messages"]


def test_a_target_takes_its_team_and_named_persons_only(world: Any) -> None:
    org = world.org
    team = Team.objects.create(org=org, name="Team B")
    in_team = [_person(org, f"T{i}", team=team) for i in range(3)]
    named = _person(org, "NAMED")
    others = [_person(org, f"O{i}") for i in range(3)]
    for i, person in enumerate([*in_team, named, *others]):
        _number(org, 100 + i, [person])
    roll_call = services.open_roll_call(
        org=org,
        question="Are you well?",
        target=services.Target(teams=(team.pk,), persons=(named.pk,)),
        deadline_at=clock.now() + timedelta(hours=1),
    )
    got = set(RollCallRecipient.objects.filter(roll_call=roll_call).values_list("person_id"))
    assert got == {(p.pk,) for p in [*in_team, named]}


def _open_to(world: Any, n: int, start: int) -> int:
    team = Team.objects.create(org=world.org, name=f"Team {start}")
    for i in range(n):
        _number(world.org, start + i, [_person(world.org, f"P{start + i}", team=team)])
    with CaptureQueriesContext(connection) as queries:
        services.open_roll_call(
            org=world.org,
            question="Are you well?",
            target=services.Target(teams=(team.pk,)),
            deadline_at=clock.now() + timedelta(hours=1),
        )
    assert RollCallRecipient.objects.filter(person__team=team).count() == n
    return len(queries)


def test_opening_takes_the_same_statements_for_5_or_60_recipients(world: Any) -> None:
    assert _open_to(world, 5, 200) == _open_to(world, 60, 300)


@pytest.mark.postgres
def test_the_snapshot_leaves_the_transactions_planner_settings_as_they_were(world: Any) -> None:
    _mixed_roster(world)
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('enable_nestloop')")
        before = cursor.fetchone()
        services.preview(org=world.org, question="Are you well?", target=services.Target(True))
        services.open_roll_call(
            org=world.org,
            question="Are you well?",
            target=services.Target(everyone=True),
            deadline_at=clock.now() + timedelta(hours=1),
        )
        cursor.execute("SELECT current_setting('enable_nestloop')")
        assert cursor.fetchone() == before == ("on",)


def test_standard_question_is_asked_in_each_recipients_language_only(world: Any) -> None:
    """U1 item 5: the composer offers the organisation's question in the coordinator's
    language; an Arabic speaker gets it in Arabic, never "Are you well?" before Arabic options."""
    import re

    from salama.messaging import texts

    options = services.build_options(is_safety=True, extra=())
    variants = services.render_variants(world.org, "Are you well?", options)
    arabic_question = texts.body_for(world.org, "rollcall_question", "ar")
    assert arabic_question != "Are you well?"
    for shared in (False, True):
        assert arabic_question in variants[("ar", shared)]
        assert not re.search(r"[A-Za-z]{3}", variants[("ar", shared)])
        assert "Are you well?" in variants[("en", shared)]
    # A question of the coordinator's own words stays as written in every variant.
    own = services.render_variants(world.org, "Water at the north gate?", options)
    assert all("Water at the north gate?" in body for body in own.values())
