"""The state rules of DESIGN §5, one test each, through salama.safety.services."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from salama.accounts.models import Membership
from salama.people.models import ContactPoint, Person
from salama.safety import services
from salama.safety.models import CheckIn, Decision, ImmutableError
from salama.safety.periods import next_due_for
from tests.safety.conftest import T0

pytestmark = pytest.mark.django_db

H = timedelta(hours=1)


def fresh(person: Person) -> Person:
    return Person.objects.get(pk=person.pk)


def checkin(person: Person, status: str = "SAFE", basis: str = "self", **kw: Any) -> CheckIn:
    return services.record_checkin(
        person=person, status=status, basis=basis, channel=kw.pop("channel", "field_page"), **kw
    )


# --- effective time --------------------------------------------------------------------------


def test_device_time_is_the_effective_time_when_plausible(frozen: Any, team: Any) -> None:
    c = checkin(team.k12, device_at=T0 - 2 * H)
    assert c.effective_at == T0 - 2 * H and not c.is_time_flagged
    assert c.received_at == T0


def test_device_time_more_than_10_minutes_ahead_is_replaced_and_flagged(
    frozen: Any, team: Any
) -> None:
    c = checkin(team.k12, device_at=T0 + timedelta(minutes=11))
    assert c.effective_at == T0 and c.is_time_flagged
    ok = checkin(team.k14, device_at=T0 + timedelta(minutes=9))
    assert ok.effective_at == T0 + timedelta(minutes=9) and not ok.is_time_flagged


def test_device_time_more_than_72_hours_behind_is_replaced_and_flagged(
    frozen: Any, team: Any
) -> None:
    c = checkin(team.k12, device_at=T0 - 73 * H)
    assert c.effective_at == T0 and c.is_time_flagged


def test_no_device_time_means_receipt_time(frozen: Any, team: Any) -> None:
    c = checkin(team.k12, received_at=T0 - H)
    assert c.effective_at == T0 - H and not c.is_time_flagged


# --- greatest effective time wins ------------------------------------------------------------


def test_state_follows_the_latest_checkin(frozen: Any, team: Any) -> None:
    checkin(team.k12, "SAFE", device_at=T0 - 3 * H)
    c = checkin(team.k12, "INJURED", device_at=T0 - H)
    person = fresh(team.k12)
    assert person.state == "INJURED" and person.state_at == T0 - H
    assert person.state_checkin_id == c.pk and person.state_basis == "self"


def test_a_late_checkin_never_overwrites_a_newer_one(frozen: Any, team: Any) -> None:
    newer = checkin(team.k12, "SAFE", device_at=T0 - H)
    late = checkin(team.k12, "NEED_HELP", device_at=T0 - 5 * H)  # delivered late
    person = fresh(team.k12)
    assert person.state == "SAFE" and person.state_checkin_id == newer.pk
    assert person.heard_at == T0 - H
    assert CheckIn.objects.filter(pk=late.pk).exists()  # kept in the history


def test_equal_effective_times_go_to_the_later_id(frozen: Any, team: Any) -> None:
    checkin(team.k12, "SAFE", device_at=T0 - H)
    second = checkin(team.k12, "NEED_HELP", device_at=T0 - H)
    assert fresh(team.k12).state_checkin_id == second.pk


def test_checkins_are_immutable(frozen: Any, team: Any) -> None:
    c = checkin(team.k12)
    c.status = "INJURED"
    with pytest.raises(ImmutableError):
        c.save()


def test_note_is_encrypted_at_rest(frozen: Any, team: Any) -> None:
    from django.db import connection

    checkin(team.k12, "NEED_HELP", note="trapped on the third floor")
    with connection.cursor() as cursor:
        cursor.execute("SELECT note FROM safety_checkin")
        (raw,) = cursor.fetchone()
    assert "third floor" not in raw
    assert CheckIn.objects.get().note == "trapped on the third floor"


def test_bad_status_is_refused_and_stores_nothing(frozen: Any, team: Any) -> None:
    with pytest.raises(ValidationError):
        checkin(team.k12, "MAYBE")
    assert not CheckIn.objects.exists()


# --- heard-from and deadlines ------------------------------------------------------------------


@pytest.mark.parametrize("basis", ["self", "proxy_seen"])
def test_self_and_proxy_seen_count_as_heard(frozen: Any, team: Any, basis: str) -> None:
    checkin(team.k12, basis=basis, device_at=T0 - H)
    person = fresh(team.k12)
    assert person.heard_at == T0 - H
    assert person.next_due_at == T0 - H + timedelta(hours=24, minutes=60)


@pytest.mark.parametrize("basis", ["proxy_heard", "relayed", "provisional"])
def test_other_bases_update_state_but_not_heard(frozen: Any, team: Any, basis: str) -> None:
    c = checkin(team.k12, basis=basis)
    person = fresh(team.k12)
    assert person.state == "SAFE" and person.state_basis == basis
    assert person.heard_at is None and person.next_due_at is None
    assert not c.counts_as_heard


def test_heard_checkin_clears_overdue(frozen: Any, team: Any) -> None:
    Person.objects.filter(pk=team.k12.pk).update(is_overdue=True, next_due_at=T0 - H)
    checkin(team.k12, "SAFE")
    person = fresh(team.k12)
    assert not person.is_overdue and person.next_due_at == T0 + timedelta(hours=25)


def test_relayed_checkin_does_not_clear_overdue(frozen: Any, team: Any) -> None:
    Person.objects.filter(pk=team.k12.pk).update(is_overdue=True, next_due_at=T0 - H)
    checkin(team.k12, "SAFE", basis="relayed")
    assert fresh(team.k12).is_overdue


def test_compromised_number_changes_nothing(frozen: Any, team: Any) -> None:
    checkin(team.k12, "SAFE", device_at=T0 - 2 * H)
    point = ContactPoint(org=team.org, kind="sms", value="+963900000001", state="compromised")
    point.save()
    c = checkin(team.k12, "NEED_HELP", contact_point=point, channel="sms")
    person = fresh(team.k12)
    assert person.state == "SAFE" and person.heard_at == T0 - 2 * H
    assert CheckIn.objects.filter(pk=c.pk, counts_as_heard=False).exists()


# --- periods -------------------------------------------------------------------------------


def test_interval_period_from_org_settings(frozen: Any, team: Any) -> None:
    team.org.settings = {"checkin_period": {"interval_hours": 12, "grace_minutes": 30}}
    team.org.save()
    person = fresh(team.k12)
    assert next_due_for(person, T0) == T0 + timedelta(hours=12, minutes=30)


def test_person_period_overrides_org(frozen: Any, team: Any) -> None:
    Person.objects.filter(pk=team.k12.pk).update(period={"interval_hours": 6, "grace_minutes": 0})
    assert next_due_for(fresh(team.k12), T0) == T0 + timedelta(hours=6)


def test_daily_window_in_org_local_time(frozen: Any, team: Any) -> None:
    # Asia/Damascus is UTC+3. Window 07:00-11:00 local = 04:00-08:00 UTC.
    Person.objects.filter(pk=team.k12.pk).update(
        period={"window": "07:00-11:00", "grace_minutes": 15}
    )
    person = fresh(team.k12)
    day = datetime(2026, 3, 10, tzinfo=UTC)
    # Before today's window: due at the end of today's window.
    assert next_due_for(person, day + timedelta(hours=2)) == day + timedelta(hours=8, minutes=15)
    # Inside today's window: today's is satisfied, tomorrow's is next.
    assert next_due_for(person, day + timedelta(hours=5)) == day + timedelta(hours=32, minutes=15)
    # After the window: tomorrow's.
    assert next_due_for(person, day + timedelta(hours=12)) == day + timedelta(hours=32, minutes=15)


def test_heightened_mode_shortens_deadlines_at_once(frozen: Any, team: Any) -> None:
    checkin(team.k12, device_at=T0 - 2 * H)
    checkin(team.s1, device_at=T0 - 2 * H)
    assert fresh(team.k12).next_due_at == T0 + 23 * H
    mode = services.set_heightened(org=team.org, areas=[team.sukkari])
    assert mode.expires_at == T0 + 72 * H
    assert fresh(team.k12).next_due_at == T0 + 5 * H  # 6 h + 1 h grace after T0-2h
    assert fresh(team.s1).next_due_at == T0 + 23 * H  # Al-Shaar is not heightened
    services.end_heightened(mode=mode)
    assert fresh(team.k12).next_due_at == T0 + 23 * H


def test_heightened_mode_expires_after_72_hours_unless_renewed(frozen: Any, team: Any) -> None:
    mode = services.set_heightened(org=team.org)
    frozen.shift(71 * H)
    renewed = services.set_heightened(org=team.org)
    assert renewed.pk == mode.pk and renewed.expires_at == T0 + 143 * H
    frozen.shift(71 * H)
    assert not services.expire_heightened()
    frozen.shift(2 * H)
    assert services.expire_heightened()
    assert not services.active_heightened(team.org)


# --- decisions -----------------------------------------------------------------------------


def coordinator_membership(world: Any) -> Membership:
    return Membership.objects.get(user=world.users["coordinator"], org=world.org)


def test_decision_wins_and_later_checkin_is_contact_since(
    frozen: Any, world: Any, team: Any
) -> None:
    services.make_decision(
        person=team.k12,
        kind="MISSING",
        certainty="reported",
        made_by=coordinator_membership(world),
        source="a colleague",
        reason="not seen",
    )
    frozen.shift(H)
    checkin(team.k12, "SAFE")
    person = fresh(team.k12)
    assert person.decision == "MISSING"  # still what everyone sees
    assert person.contact_since_decision_at == T0 + H
    assert person.state == "SAFE"


def test_checkin_older_than_the_decision_is_not_contact_since(
    frozen: Any, world: Any, team: Any
) -> None:
    services.make_decision(
        person=team.k12,
        kind="DETAINED",
        certainty="confirmed",
        made_by=None,
        source="a colleague",
        reason="not seen",
    )
    checkin(team.k12, "SAFE", device_at=T0 - H)
    assert fresh(team.k12).contact_since_decision_at is None


def test_decisions_are_audited_and_cleared(frozen: Any, world: Any, team: Any) -> None:
    from salama.accounts.models import AuditEvent

    who = coordinator_membership(world)
    services.make_decision(
        person=team.k12,
        kind="DETAINED",
        certainty="reported",
        made_by=who,
        source="a colleague",
        reason="checkpoint",
    )
    services.clear_decision(person=team.k12, cleared_by=who)
    person = fresh(team.k12)
    assert person.decision == "" and person.decision_at is None
    actions = list(AuditEvent.objects.values_list("action", flat=True).order_by("id"))
    assert actions == ["decision.make", "decision.clear"]
    assert "checkpoint" not in str(AuditEvent.objects.values_list("detail", flat=True))
    assert Decision.objects.get().cleared_by == who


def test_confirmed_killed_and_evacuated_leave_the_sweep(frozen: Any, team: Any) -> None:
    for p in (team.k12, team.k14, team.k27):
        checkin(p, device_at=T0 - 30 * H)  # overdue already
    services.make_decision(
        person=team.k12,
        kind="KILLED",
        certainty="confirmed",
        made_by=None,
        source="a colleague",
        reason="not seen",
    )
    services.make_decision(
        person=team.k14,
        kind="EVACUATED",
        certainty="reported",
        made_by=None,
        source="a colleague",
        reason="not seen",
    )
    services.make_decision(
        person=team.k27,
        kind="KILLED",
        certainty="reported",
        made_by=None,
        source="a colleague",
        reason="not seen",
    )
    assert fresh(team.k12).next_due_at is None
    assert fresh(team.k14).next_due_at is None
    due = [p.codename for p in services.overdue_people(team.org, T0)]
    assert due == ["K27"]  # "reported killed" stays on the unaccounted list


def test_inactive_persons_leave_the_sweep(frozen: Any, team: Any) -> None:
    checkin(team.k12, device_at=T0 - 30 * H)
    Person.objects.filter(pk=team.k12.pk).update(is_active=False)
    assert services.overdue_people(team.org, T0) == []
    assert next_due_for(fresh(team.k12), T0) is None


def test_clearing_a_decision_puts_the_person_back_in_the_sweep(frozen: Any, team: Any) -> None:
    checkin(team.k12, device_at=T0 - 2 * H)
    services.make_decision(
        person=team.k12,
        kind="EVACUATED",
        certainty="confirmed",
        made_by=None,
        source="the convoy's focal point",
        reason="arrived at the destination",
        confirm_recent=True,  # heard from 2 hours ago
    )
    services.clear_decision(person=team.k12, cleared_by=None)
    assert fresh(team.k12).next_due_at == T0 + 23 * H


# --- the sweep's helpers -----------------------------------------------------------------------


def test_mark_overdue_flips_once(frozen: Any, team: Any) -> None:
    checkin(team.k12, device_at=T0 - 30 * H)
    assert [p.codename for p in services.overdue_people(None, T0)] == ["K12"]
    assert services.mark_overdue(person=team.k12, now=T0)
    assert not services.mark_overdue(person=team.k12, now=T0)
    assert services.overdue_people(team.org, T0) == []


def test_not_yet_due_is_not_overdue(frozen: Any, team: Any) -> None:
    checkin(team.k12, device_at=T0 - H)
    assert not services.mark_overdue(person=team.k12, now=T0)


# --- proxy and relayed -----------------------------------------------------------------------


def test_lead_checks_in_the_whole_team_except_some(frozen: Any, team: Any) -> None:
    result = services.record_proxy_checkins(
        lead=team.lead, codenames=None, except_codenames=["k27"], status="SAFE"
    )
    assert sorted(c.person.codename for c in result.checkins) == ["K10", "K12", "K14"]
    assert fresh(team.k12).state_basis == "proxy_seen"
    assert fresh(team.k12).heard_at == T0
    assert fresh(team.k27).state == ""
    assert fresh(team.s1).state == ""  # another team


def test_lead_cannot_check_in_outside_own_teams(frozen: Any, team: Any) -> None:
    with pytest.raises(services.EntryError):
        services.record_proxy_checkins(lead=team.lead, codenames=["K12", "S1"], status="SAFE")
    assert not CheckIn.objects.exists()  # all or nothing


def test_proxy_heard_does_not_count_as_heard(frozen: Any, team: Any) -> None:
    services.record_proxy_checkins(
        lead=team.lead, codenames=["K12"], status="SAFE", basis="proxy_heard"
    )
    assert fresh(team.k12).heard_at is None and fresh(team.k12).state == "SAFE"


def test_parse_relayed_entry() -> None:
    entry = services.parse_relayed_entry("K12 k14 K27 safe, call, 03:20")
    assert entry.codenames == ["K12", "K14", "K27"]
    assert entry.status == "SAFE" and entry.source == "call"
    assert entry.heard_time is not None and entry.heard_time.hour == 3
    arabic = services.parse_relayed_entry("ك١٢ مصاب، رسالة صوتية")
    assert arabic.codenames == ["K12"] and arabic.status == "INJURED"
    assert arabic.source == "voice_note" and arabic.heard_time is None


@pytest.mark.parametrize("text", ["", "K12", "safe", "K12 safe, call, 25:00", "K12 maybe"])
def test_parse_relayed_entry_refuses_bad_input(text: str) -> None:
    with pytest.raises(ValidationError):
        services.parse_relayed_entry(text)


def test_relayed_entry_records_with_time_heard(frozen: Any, world: Any, team: Any) -> None:
    # T0 is 15:00 in Damascus; 03:20 local is 00:20 UTC the same day.
    checkins = services.record_relayed_entry(
        org=team.org, text="K12 K14 injured, voice note, 03:20", recorded_by=None
    )
    assert len(checkins) == 2
    heard = datetime(2026, 3, 10, 0, 20, tzinfo=UTC)
    assert all(c.effective_at == heard and c.basis == "relayed" for c in checkins)
    assert checkins[0].source == "voice_note"
    assert fresh(team.k12).state == "INJURED" and fresh(team.k12).heard_at is None


def test_relayed_time_later_than_now_means_yesterday(frozen: Any, team: Any) -> None:
    (c,) = services.record_relayed_entry(org=team.org, text="K12 safe, 23:00", recorded_by=None)
    assert c.effective_at == datetime(2026, 3, 9, 20, 0, tzinfo=UTC)


def test_relayed_unknown_codename_records_nothing(frozen: Any, team: Any) -> None:
    with pytest.raises(ValidationError):
        services.record_relayed_entry(org=team.org, text="K12 K99 safe", recorded_by=None)
    assert not CheckIn.objects.exists()


# --- events --------------------------------------------------------------------------------


def test_events_open_and_close(frozen: Any, team: Any) -> None:
    event = services.open_event(
        org=team.org, label="Strike", started_at=T0 - H, areas=[team.sukkari]
    )
    assert services.open_events(team.org) == [event]
    services.close_event(event=event)
    assert services.open_events(team.org) == []


def test_event_cannot_start_in_the_future(frozen: Any, team: Any) -> None:
    with pytest.raises(ValidationError):
        services.open_event(org=team.org, label="Strike", started_at=T0 + H)
