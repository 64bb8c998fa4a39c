"""S2 §3: retention per organisation, applied once a day by the worker."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.apps import apps

from salama.accounts.models import AuditEvent, Organisation
from salama.lib import keyring
from salama.people.models import Person
from salama.people.services import update_person
from salama.privacy import jobs, retention
from salama.privacy.models import RetentionRun
from salama.safety.models import CheckIn
from salama.safety.services import record_checkin
from salama.worker.loop import JOBS

pytestmark = pytest.mark.django_db
T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Any:
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def raw(model: type, pk: int, field: str) -> str:
    return model.objects.filter(pk=pk).values_list(field, flat=True).get()


def test_jobs_are_registered_with_the_worker() -> None:
    assert jobs.retention_job in JOBS and jobs.reveal_watch_job in JOBS


def test_exact_location_is_erased_after_72_hours_and_the_area_stays(
    world: Any, roster: Any, clock: Any
) -> None:
    k10, k11 = roster.persons["K10"], roster.persons["K11"]
    update_person(person=k10, exact_location="Building 4, third floor")
    clock.shift(timedelta(hours=10))
    update_person(person=k11, exact_location="Basement of the bakery")
    clock.shift(timedelta(hours=63))  # K10's is 73 hours old, K11's 63

    assert jobs.retention_job() is True

    k10.refresh_from_db()
    k11.refresh_from_db()
    assert k10.exact_location == "" and k10.exact_location_at is None
    assert k10.area_id == roster.areas["sukkari"].pk
    assert k11.exact_location == "Basement of the bakery"
    run = RetentionRun.objects.get(org=world.org)
    assert run.counts["exact_location"] == 1 and run.finished_at is not None
    row = AuditEvent.objects.get(action="retention.run", org_id=world.org.pk)
    assert row.detail["counts"]["exact_location"] == 1


def test_location_without_a_date_is_dated_by_the_person_row(world: Any, roster: Any) -> None:
    k20 = roster.persons["K20"]
    k20.exact_location = "Old field post"
    k20.save(update_fields=["exact_location"])  # written before exact_location_at existed
    Person.objects.filter(pk=k20.pk).update(exact_location_at=None)
    retention.apply_retention(org=world.org, now=k20.created_at + timedelta(hours=71))
    assert Person.objects.get(pk=k20.pk).exact_location == "Old field post"
    retention.apply_retention(org=world.org, now=k20.created_at + timedelta(hours=73))
    assert Person.objects.get(pk=k20.pk).exact_location == ""


def test_checkin_notes_are_erased_after_90_days_and_the_checkin_stays(
    world: Any, roster: Any, clock: Any
) -> None:
    k12 = roster.persons["K12"]
    old = record_checkin(
        person=k12, status="NEED_HELP", basis="self", channel="field_page", note="marker-old"
    )
    clock.shift(timedelta(days=80))
    new = record_checkin(person=k12, status="SAFE", basis="self", channel="field_page", note="fine")
    clock.shift(timedelta(days=11))  # old is 91 days, new 11

    jobs.retention_job()

    assert CheckIn.objects.get(pk=old.pk).note == ""
    assert CheckIn.objects.get(pk=old.pk).status == "NEED_HELP"
    assert CheckIn.objects.get(pk=new.pk).note == "fine"
    assert CheckIn.objects.filter(person=k12).count() == 2
    assert RetentionRun.objects.get(org=world.org).counts["checkin_note"] == 1


def test_the_job_runs_once_a_day_per_organisation(world: Any, roster: Any, clock: Any) -> None:
    assert jobs.retention_job() is True
    assert RetentionRun.objects.count() == 2  # both organisations
    assert jobs.retention_job() is False  # nothing due: one query, no work
    clock.shift(timedelta(hours=23, minutes=59))
    assert jobs.retention_job() is True  # 07:59 the next day is a new day
    assert jobs.retention_job() is False
    assert RetentionRun.objects.for_org(world.org).count() == 2


def test_the_organisation_sets_its_own_period(world: Any, roster: Any, clock: Any) -> None:
    Organisation.objects.filter(pk=world.org.pk).update(
        settings={"retention_exact_location_hours": 6}
    )
    k10 = roster.persons["K10"]
    update_person(person=k10, exact_location="Clinic roof")
    clock.shift(timedelta(hours=7))
    retention.run_retention()
    assert Person.objects.get(pk=k10.pk).exact_location == ""


def test_a_purged_organisations_rows_are_left_as_they_are(world: Any, roster: Any) -> None:
    # Ciphertext under a destroyed key is erased like any other (nothing is decrypted).
    k10 = roster.persons["K10"]
    update_person(person=k10, exact_location="Somewhere")
    keyring.destroy_org(world.org.pk)
    counts = retention.apply_retention(org=world.org, now=k10.created_at + timedelta(days=4))
    assert counts["exact_location"] == 1
    assert raw(Person, k10.pk, "exact_location") == ""


def test_models_can_declare_their_own_retention(
    world: Any, roster: Any, clock: Any, monkeypatch: Any
) -> None:
    from salama.messaging.models import Message
    from salama.messaging.outbox import queue_message

    message = queue_message(
        org=world.org,
        contact_point=roster.coordinator_phone,
        template="digest_overdue",
        context={"count": 3},
        priority=1,
        reason="digest",
    )
    assert message is not None
    spec = {"fields": ["body"], "age_field": "created_at", "setting": "outbox_days"}
    monkeypatch.setattr(Message, "retention", spec, raising=False)
    clock.shift(timedelta(days=31))
    counts = retention.apply_retention(org=world.org)
    assert counts["messaging_message"] == 1
    assert raw(Message, message.pk, "body") == ""


def test_raw_inbound_texts_are_erased_after_30_days(world: Any, roster: Any, clock: Any) -> None:
    try:
        inbound = apps.get_model("messaging", "InboundMessage")
    except LookupError:
        pytest.skip("messaging.InboundMessage (M1) is not installed yet")
    point = roster.persons["K10"].contact_points.get()
    common = {"org": world.org, "channel": "simulator", "contact_point": point}
    handled = inbound.objects.create(
        **common, gateway_ref="a", sender="+963944000110", body="safe", state="handled"
    )
    pending = inbound.objects.create(
        **common, gateway_ref="b", sender="+963944000110", body="help", state="received"
    )
    clock.shift(timedelta(days=29))
    recent = inbound.objects.create(
        **common, gateway_ref="c", sender="+963944000110", body="ok", state="handled"
    )
    clock.shift(timedelta(days=2))
    counts = retention.apply_retention(org=world.org)
    assert counts["inbound_text"] == 1
    assert raw(inbound, handled.pk, "body") == "" and raw(inbound, handled.pk, "sender") == ""
    assert inbound.objects.get(pk=pending.pk).body == "help"  # not handled yet: kept
    assert inbound.objects.get(pk=recent.pk).body == "ok"
    assert inbound.objects.filter(org=world.org).count() == 3
