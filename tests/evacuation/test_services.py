"""Evacuation's services: one open request per person, the explained priority, clearance as an
outside decision, the manifest's refusals, the journey's legal moves, neutral texts, the
silence watch (issue 27)."""

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection

from salama.accounts.models import AuditEvent
from salama.alerts.models import Alert, AlertKind, Severity
from salama.evacuation import jobs, priority, selectors, services
from salama.evacuation.models import JourneyState, Request, Seat
from salama.lib import clock
from salama.messaging.models import Message
from salama.safety.deadlines import set_heightened
from tests.evacuation.helpers import movement, party, ready, request_for
from tests.messaging.text_helpers import Roster

pytestmark = pytest.mark.django_db


def refusal(call: Any, **kw: Any) -> str:
    with pytest.raises(services.EvacuationError) as caught:
        call(**kw)
    return " ".join(caught.value.messages)


# --- Requests and priority --------------------------------------------------------------------


def test_a_second_open_request_for_the_same_person_is_refused(roster: Roster) -> None:
    request_for(roster.k1, dependants=2)
    message = refusal(request_for, person=roster.k1)
    assert "K1 already has an open request" in message
    assert Request.objects.filter(person=roster.k1).count() == 1


def test_a_closed_request_allows_a_new_one(roster: Roster, by: Any) -> None:
    first = request_for(roster.k1)
    services.record_outcome(request=first, outcome="withdrew", by=by)
    second = request_for(roster.k1)
    assert second.pk != first.pk and second.is_open


def test_dependants_and_needs_are_encrypted_and_counted(roster: Roster) -> None:
    row = request_for(roster.k1, dependants=3, seat_kind="stretcher", needs=("oxygen",))
    with connection.cursor() as cursor:
        cursor.execute("SELECT details FROM evacuation_request WHERE id = %s", [row.pk])
        raw = cursor.fetchone()[0]
    assert "oxygen" not in raw and "child" not in raw  # ciphertext at rest
    details = services.details_of(Request.objects.get(pk=row.pk))
    assert details["needs"] == ["oxygen"] and len(details["dependants"]) == 3
    assert (row.dependants, row.seats, row.stretchers) == (3, 3, 1)


def test_medical_urgency_dominates_the_queue_with_its_explanation(
    roster: Roster, clock_at_t0: Any
) -> None:
    routine = request_for(roster.k1, reason="end_of_mission")
    clock_at_t0.shift(timedelta(days=12))
    urgent = request_for(roster.k3, reason="injury", needs=("stretcher",))
    services.refresh_scores(roster.org)
    order = [r.pk for r in selectors.queue(roster.org)]
    assert order == [urgent.pk, routine.pk]
    urgent.refresh_from_db()
    routine.refresh_from_db()
    assert urgent.band == "urgent" and routine.band == "routine"
    assert priority.explain(urgent.explanation) == ["injured +40", "stretcher +30"]
    assert priority.explain(routine.explanation) == ["waiting 12 days +12"]


def test_an_area_under_heightened_alert_adds_to_the_score(roster: Roster) -> None:
    roster.k1.area = roster.sukkari
    roster.k1.save()
    calm = request_for(roster.k3, reason="threat")
    set_heightened(org=roster.org, areas=[roster.sukkari])
    hot = request_for(roster.k1, reason="threat")
    assert hot.score == calm.score + priority.AREA_POINTS
    assert "area under heightened alert +20" in priority.explain(hot.explanation)


def test_role_criticality_is_off_by_default_and_an_org_setting(roster: Roster) -> None:
    plain = request_for(roster.k1, reason="threat")
    assert not any(f[0] == "role" for f in plain.explanation)
    roster.org.settings = {"evacuation_role_points": {"nurse": 15}}
    roster.org.save()
    weighted = request_for(roster.k3, reason="threat")
    assert weighted.score == plain.score + 15


def test_a_coordinator_override_sets_the_band_with_a_reason_and_is_audited(
    roster: Roster, by: Any
) -> None:
    row = request_for(roster.k1, reason="end_of_mission")
    message = refusal(services.override_band, request=row, band="urgent", reason="", by=by)
    assert "Say why" in message
    row = services.override_band(request=row, band="urgent", reason="surgeon needed", by=by)
    assert row.band == "urgent" and "band set by a coordinator" in priority.explain(row.explanation)
    event = AuditEvent.objects.get(action="evacuation.override")
    assert event.detail == {"band": "urgent"} and "surgeon" not in str(event.detail)


# --- Clearance --------------------------------------------------------------------------------


def test_clearance_is_recorded_step_by_step_and_never_implied(
    roster: Roster, by: Any, crossing: Any
) -> None:
    other = party(roster.org, "Second side")
    row = request_for(roster.k1)
    assert [c.state for c in selectors.clearances(row)] == ["not_submitted", "not_submitted"]
    message = refusal(
        services.record_clearance, request=row, party=crossing, state="approved", by=by
    )
    assert "cannot go from Not submitted to Approved" in message and "Submitted" in message
    for state in ("submitted", "pending", "approved"):
        services.record_clearance(request=row, party=crossing, state=state, by=by)
    assert not row.is_cleared  # the second party has said nothing
    services.record_clearance(request=row, party=other, state="submitted", by=by)
    services.record_clearance(request=row, party=other, state="denied", by=by)
    row.refresh_from_db()
    assert not row.is_cleared
    rows = {c.party.name: c for c in selectors.clearances(row)}
    assert rows["Second side"].state == "denied" and len(rows["Crossing authority"].steps) == 3
    assert all(s.recorded_by == by for s in rows["Crossing authority"].steps)


# --- The manifest -----------------------------------------------------------------------------


def test_the_manifest_refuses_to_overfill_and_says_what_would_work(
    roster: Roster, by: Any, crossing: Any
) -> None:
    mov = movement(roster.org, by, vehicles=((3, 0),))
    ready_one = ready(request_for(roster.k1, dependants=2), by, [crossing])
    services.assign(request=ready_one, movement=mov, by=by)
    family = ready(request_for(roster.k3, dependants=1), by, [crossing])
    message = refusal(services.assign, request=family, movement=mov, by=by)
    assert "No room for K3" in message and "vehicle 1: 0 seats" in message
    assert "Add a vehicle" in message
    assert not Seat.objects.filter(request=family).exists()
    family.refresh_from_db()
    assert family.journey == "approved"


def test_stretchers_are_counted_apart_from_seats(roster: Roster, by: Any, crossing: Any) -> None:
    mov = movement(roster.org, by, vehicles=((1, 1),))
    lying = ready(request_for(roster.k1, dependants=1, seat_kind="stretcher"), by, [crossing])
    seat = services.assign(request=lying, movement=mov, by=by)
    assert (seat.seats, seat.stretchers) == (1, 1)
    free = services.free_places(mov)[0]
    assert (free.seats, free.stretchers) == (0, 0)


def test_a_person_cannot_be_on_two_active_movements(roster: Roster, by: Any, crossing: Any) -> None:
    first, second = movement(roster.org, by), movement(roster.org, by)
    row = ready(request_for(roster.k1), by, [crossing])
    services.assign(request=row, movement=first, by=by)
    message = refusal(services.assign, request=row, movement=second, by=by)
    assert f"K1 is already on movement {first.code}" in message
    assert Seat.objects.filter(request=row, is_active=True).count() == 1


def test_only_approved_and_cleared_requests_go_on_a_manifest(
    roster: Roster, by: Any, crossing: Any
) -> None:
    mov = movement(roster.org, by)
    row = request_for(roster.k1)
    assert "approve it first" in refusal(services.assign, request=row, movement=mov, by=by)
    services.approve_request(request=row, by=by)
    assert "not cleared by every party" in refusal(
        services.assign, request=row, movement=mov, by=by
    )


def test_a_family_is_not_split_unless_the_evacuee_chose_it(
    roster: Roster, by: Any, crossing: Any
) -> None:
    mov = movement(roster.org, by, vehicles=((6, 0),))
    row = ready(request_for(roster.k1, dependants=2), by, [crossing])
    message = refusal(services.assign, request=row, movement=mov, by=by, travelling=1)
    assert "must travel with them" in message and "choose" in message
    seat = services.assign(request=row, movement=mov, by=by, travelling=1, split_chosen=True)
    assert seat.split_chosen and seat.travelling == 1


def test_people_kept_together_go_on_the_same_movement(
    roster: Roster, by: Any, crossing: Any
) -> None:
    first, second = movement(roster.org, by), movement(roster.org, by)
    k1 = ready(request_for(roster.k1), by, [crossing])
    k3 = ready(request_for(roster.k3, keep_with=roster.k1), by, [crossing])
    services.assign(request=k1, movement=first, by=by)
    message = refusal(services.assign, request=k3, movement=second, by=by)
    assert "K3 travels together with K1" in message and first.code in message
    services.assign(request=k3, movement=first, by=by)


def test_assignment_sends_a_neutral_text_in_the_persons_language(
    roster: Roster, by: Any, crossing: Any
) -> None:
    mov = movement(roster.org, by)
    row = ready(request_for(roster.k1), by, [crossing])  # K1 reads Arabic
    services.assign(request=row, movement=mov, by=by)
    message = Message.objects.get(template="journey_assigned")
    assert message.language == "ar" and message.contact_point == roster.points["k1"]
    body = str(message.body)
    assert body == "يرجى التواصل مع مسؤولك اليوم."
    assert "Behind the old mill" not in body and ":" not in body


def test_cancelling_a_movement_takes_everyone_off_and_tells_them(
    roster: Roster, by: Any, crossing: Any
) -> None:
    mov = movement(roster.org, by)
    row = ready(request_for(roster.k3), by, [crossing])
    services.assign(request=row, movement=mov, by=by)
    services.change_status(movement=mov, to="cancelled", by=by)
    row.refresh_from_db()
    assert row.journey == "approved" and not Seat.objects.filter(is_active=True).exists()
    told = Message.objects.filter(template="journey_cancelled").get()
    assert str(told.body) == "يرجى التواصل مع مسؤولك اليوم."  # K3 reads Arabic too


# --- The journey ------------------------------------------------------------------------------


def test_an_illegal_journey_move_names_the_legal_ones(roster: Roster, by: Any) -> None:
    row = request_for(roster.k1)
    message = refusal(services.move_evacuee, request=row, to="departed", by=by)
    assert "cannot go from Requested to Departed" in message
    assert "Approved, Cancelled" in message
    assert row.steps.count() == 0


def test_the_whole_journey_and_arrival_closes_the_request(
    roster: Roster, by: Any, crossing: Any
) -> None:
    mov = movement(roster.org, by)
    row = ready(request_for(roster.k1), by, [crossing])
    services.assign(request=row, movement=mov, by=by)
    services.move_evacuee(request=row, to="assembled", by=by)
    services.change_status(movement=mov, to="notified", by=by)
    services.change_status(movement=mov, to="confirmed", by=by)
    services.change_status(movement=mov, to="under_way", by=by)
    row.refresh_from_db()
    assert row.journey == "departed"
    services.move_evacuee(request=row, to="arrived", by=by)
    row.refresh_from_db()
    assert row.journey == "arrived" and row.outcome == "evacuated"
    states = [s.to_state for s in selectors.journey(row)]
    assert states == ["approved", "assigned", "assembled", "departed", "arrived"]


def test_silence_past_expected_arrival_plus_margin_raises_a_life_safety_alert(
    roster: Roster, by: Any, crossing: Any, clock_at_t0: Any
) -> None:
    mov = movement(roster.org, by)
    row = ready(request_for(roster.k1), by, [crossing])
    services.assign(request=row, movement=mov, by=by)
    services.move_evacuee(request=row, to=JourneyState.ASSEMBLED, by=by)
    for to in ("notified", "confirmed", "under_way"):
        services.change_status(movement=mov, to=to, by=by)
    clock_at_t0.move_to(mov.expected_arrival_at + timedelta(minutes=mov.margin_minutes - 1))
    assert not jobs.watch_movements()
    assert not Alert.objects.exists()
    clock_at_t0.move_to(mov.expected_arrival_at + timedelta(minutes=mov.margin_minutes + 1))
    assert jobs.watch_movements()
    alert = Alert.objects.get()
    assert alert.kind == AlertKind.EVACUEE_SILENT and alert.severity == Severity.LIFE_SAFETY
    assert alert.person == roster.k1
    row.refresh_from_db()
    assert row.journey == "missing"
    assert not jobs.watch_movements()  # once
    assert clock.now() > mov.expected_arrival_at


def test_assigning_many_at_once_keeps_every_check(roster: Roster, by: Any, crossing: Any) -> None:
    mov = movement(roster.org, by, vehicles=((3, 0),))
    k1 = ready(request_for(roster.k1, dependants=1), by, [crossing])
    k3 = ready(request_for(roster.k3, dependants=1), by, [crossing])  # no room left for K3
    lead = request_for(roster.lead)  # not approved
    seats, skipped = services.assign_many(requests=[k1, k3, lead], movement=mov, by=by)
    assert [s.request_id for s in seats] == [k1.pk]
    reasons = {r.person.codename: why for r, why in skipped}
    assert "No room for K3" in reasons["K3"] and "approve it first" in reasons["L1"]
    assert Request.objects.get(pk=k1.pk).journey == "assigned"
    assert Message.objects.filter(template="journey_assigned").count() == 1
    again, skipped = services.assign_many(requests=[k1], movement=mov, by=by)
    assert not again and "already on a movement" in skipped[0][1]


def test_a_change_of_plan_re_notifies_everyone_on_the_manifest(
    roster: Roster, by: Any, crossing: Any
) -> None:
    mov = movement(roster.org, by)
    for person in (roster.k1, roster.lead):
        services.assign(request=ready(request_for(person), by, [crossing]), movement=mov, by=by)
    plan = services.Plan(
        kind="ambulance",
        window_start=mov.window_start + timedelta(hours=1),
        window_end=mov.window_end + timedelta(hours=1),
        expected_arrival_at=mov.expected_arrival_at,
        destination_area=mov.destination_area,
        assembly_point="Somewhere else",
    )
    services.change_plan(movement=mov, plan=plan, by=by)
    changed = Message.objects.filter(template="journey_changed")
    assert {(m.contact_point_id, str(m.body)) for m in changed} == {
        (roster.points["k1"].pk, "يرجى التواصل مع مسؤولك اليوم."),
        (roster.points["lead"].pk, "Please contact your lead today."),
    }


def test_the_arrival_roll_call_asks_everyone_on_the_movement(
    roster: Roster, by: Any, crossing: Any
) -> None:
    from salama.rollcalls.models import RollCall

    mov = movement(roster.org, by)
    assert "Nobody is on this movement" in refusal(
        services.open_arrival_roll_call, movement=mov, by=by
    )
    for person in (roster.k1, roster.k3):
        services.assign(request=ready(request_for(person), by, [crossing]), movement=mov, by=by)
    number = services.open_arrival_roll_call(movement=mov, by=by)
    roll_call = RollCall.objects.get(pk=number)
    mov.refresh_from_db()
    assert mov.roll_call_id == roll_call.pk
    asked = set(roll_call.recipients.values_list("person__codename", flat=True))
    assert asked == {"K1", "K3"}


def test_an_unknown_driver_codename_is_refused(roster: Roster, by: Any) -> None:
    mov = movement(roster.org, by, vehicles=())
    message = refusal(services.add_vehicle, movement=mov, kind="bus", seats=10, driver="ZZ9")
    assert "Unknown codename: ZZ9" in message and not mov.vehicles.exists()
    vehicle = services.add_vehicle(movement=mov, kind="bus", seats=10, driver="k3")
    assert vehicle.driver == "K3" and vehicle.number == 1
