"""Reports, consolidation, versions, verification, certainty override and the facility link."""

from typing import Any

import pytest
from django.db import connection
from django.utils import translation

from salama.accounts.models import AuditEvent
from salama.facilities.models import FacilityStatus, StatusUpdate
from salama.incidents import services
from salama.incidents.models import Channel, Incident, IncidentVersion, Report
from salama.incidents.validation import IncidentError, check_file
from salama.incidents.versions import sealed_of
from tests.incidents.helpers import Place, data, make_place, report, verified

pytestmark = pytest.mark.django_db


@pytest.fixture
def place(world: Any) -> Place:
    return make_place(world)


def _refused(place: Place, **overrides: Any) -> str:
    before = (Report.objects.count(), AuditEvent.objects.count())
    with pytest.raises(IncidentError) as error:
        report(place, **overrides)
    assert (Report.objects.count(), AuditEvent.objects.count()) == before
    return " ".join(error.value.messages)


def test_a_report_keeps_its_numbers_and_encrypts_its_free_text(place: Place) -> None:
    stored = report(place)
    assert stored.killed_total == 2 and stored.number == 1
    with connection.cursor() as cursor:
        cursor.execute("select narrative, perpetrator, location from incidents_report")
        raw = cursor.fetchone()
    assert all("nurses" not in value and "armed" not in value for value in raw)
    assert Report.objects.get(pk=stored.pk).narrative.startswith("Two nurses")


@pytest.mark.parametrize(
    ("overrides", "english", "arabic_word"),
    [
        ({"occurred_on": None}, "Give the date", "تاريخ"),
        ({"area": None}, "Unknown area", "منطقة"),
        (
            {"victims": {"killed_provider": 2, "killed_patient": 1, "killed_total": 2}},
            "do not add up",
            "المجموع",
        ),
        ({"attack_types": ["bombardment"]}, "Unknown attack type", "نوع"),
    ],
)
def test_bad_input_is_refused_in_both_languages_and_nothing_is_written(
    place: Place, overrides: dict[str, Any], english: str, arabic_word: str
) -> None:
    assert english in _refused(place, **overrides)
    with translation.override("ar"):
        assert arabic_word in _refused(place, **overrides)


def test_an_area_of_another_organisation_is_unknown(place: Place, world: Any) -> None:
    from salama.people.services import save_area

    elsewhere = save_area(org=world.other_org, name_en="Far", name_ar="بعيد")
    assert "Unknown area" in _refused(place, area=elsewhere)


def test_a_file_too_large_is_refused() -> None:
    check_file(100_000)
    with pytest.raises(IncidentError, match="too large"):
        check_file(100_001)


def test_totals_follow_from_their_parts(place: Place) -> None:
    stored = report(place, victims={"injured_provider": 1, "injured_patient": 3})
    assert stored.injured_total == 4 and stored.killed_total is None


def test_consolidation_keeps_each_reports_numbers_and_takes_the_largest(place: Place) -> None:
    first = report(place)
    second = report(
        place, attack_types=["setting_fire"], victims={"killed_total": 3, "injured_total": 4}
    )
    incident = services.consolidate_reports(reports=[first, second], by=place.coordinator)
    assert incident.killed_total == 3 and incident.injured_total == 5
    assert incident.attack_types == ["heavy_weapons", "setting_fire"]
    assert sorted(incident.reports.values_list("killed_total", flat=True)) == [2, 3]
    with pytest.raises(IncidentError):  # a report belongs to one incident
        services.consolidate_reports(reports=[first], by=place.coordinator)


def test_only_a_coordinator_consolidates_and_verifies(place: Place) -> None:
    first = report(place)
    with pytest.raises(IncidentError):
        services.consolidate_reports(reports=[first], by=place.staff)
    incident = services.consolidate_reports(reports=[first], by=place.coordinator)
    with pytest.raises(IncidentError):
        services.move(incident=incident, to="under_review", by=place.staff)


def test_every_change_writes_one_numbered_version_with_sealed_free_text(place: Place) -> None:
    incident = services.consolidate_reports(reports=[report(place)], by=place.coordinator)
    services.add_source(incident=incident, kind="eyewitness_told", by=place.coordinator)
    services.move(incident=incident, to="under_review", by=place.coordinator)
    versions = list(IncidentVersion.objects.filter(incident=incident).order_by("number"))
    assert [v.number for v in versions] == [1, 2, 3]
    assert [v.action for v in versions] == ["created", "source_added", "state_under_review"]
    assert versions[1].fields["sources"] == ["eyewitness_told"]
    assert versions[2].fields["state"] == "under_review"
    assert "narrative" not in versions[0].fields
    assert sealed_of(versions[0])["narrative"].startswith("Two nurses")
    with connection.cursor() as cursor:
        cursor.execute("select sealed from incidents_incidentversion")
        assert all("nurses" not in row[0] for row in cursor.fetchall())
    assert Incident.objects.get(pk=incident.pk).version == 3


def test_suggested_certainty_follows_the_sources(place: Place) -> None:
    incident = services.consolidate_reports(reports=[report(place)], by=place.coordinator)
    assert incident.certainty_suggested == "rumour"
    services.add_source(incident=incident, kind="eyewitness_told", by=place.coordinator)
    services.add_source(incident=incident, kind="eyewitness_told", by=place.coordinator)
    assert Incident.objects.get(pk=incident.pk).certainty_suggested == "probable"
    services.add_source(incident=incident, kind="photo", by=place.coordinator)
    assert Incident.objects.get(pk=incident.pk).certainty_suggested == "confirmed"


@pytest.mark.parametrize(
    ("path", "legal"),
    [
        (["under_review", "verified"], True),
        (["under_review", "unverifiable"], True),
        (["withdrawn"], True),
        (["verified"], False),  # a draft is reviewed first
        (["under_review", "verified", "withdrawn"], False),
        (["withdrawn", "verified"], False),
        (["under_review", "verified", "under_review", "withdrawn"], True),
    ],
)
def test_only_legal_moves(place: Place, path: list[str], legal: bool) -> None:
    incident = services.consolidate_reports(reports=[report(place)], by=place.coordinator)
    if legal:
        for to in path:
            incident = services.move(incident=incident, to=to, by=place.coordinator)
        assert Incident.objects.get(pk=incident.pk).state == path[-1]
        return
    with pytest.raises(IncidentError, match="cannot become"):
        for to in path:
            incident = services.move(incident=incident, to=to, by=place.coordinator)


def test_another_certainty_needs_a_reason_and_is_audited(place: Place) -> None:
    incident = services.consolidate_reports(reports=[report(place)], by=place.coordinator)
    services.move(incident=incident, to="under_review", by=place.coordinator)
    with pytest.raises(IncidentError, match="reason"):
        services.move(incident=incident, to="verified", certainty="probable", by=place.coordinator)
    assert Incident.objects.get(pk=incident.pk).state == "under_review"
    done = services.move(
        incident=incident, to="verified", certainty="probable", by=place.coordinator,
        reason="two staff phoned from the ward",
    )  # fmt: skip
    assert done.certainty == "probable" and done.certainty_suggested == "rumour"
    assert done.is_certainty_overridden
    event = AuditEvent.objects.filter(action="incidents.verification").latest("id")
    assert event.detail["overridden"] is True and event.detail["certainty"] == "probable"
    assert "phoned" not in str(event.detail)


def test_a_duplicate_points_at_its_original(place: Place) -> None:
    original = services.consolidate_reports(reports=[report(place)], by=place.coordinator)
    copy = services.consolidate_reports(reports=[report(place)], by=place.coordinator)
    with pytest.raises(IncidentError):
        services.mark_duplicate(incident=copy, of=copy, by=place.coordinator)
    marked = services.mark_duplicate(incident=copy, of=original, by=place.coordinator)
    assert marked.state == "duplicate" and marked.duplicate_of_id == original.pk


def test_an_attack_on_a_facility_proposes_its_status_and_accepting_records_it(
    place: Place,
) -> None:
    incident = verified(place, ["eyewitness_told"], damage="destroyed", functionality="none")
    proposal = incident.proposals.get(state="proposed")
    assert (proposal.functionality, proposal.condition) == ("none", "fully_damaged")
    services.accept_update(proposal=proposal, by=place.coordinator, functionality="partial")
    status = FacilityStatus.objects.get(facility=place.facility)
    assert status.functionality == "partial" and status.condition == "fully_damaged"
    assert StatusUpdate.objects.filter(facility=place.facility).count() == 1
    with pytest.raises(IncidentError, match="already decided"):
        services.accept_update(proposal=proposal, by=place.coordinator)


def test_no_proposal_without_a_facility(place: Place) -> None:
    incident = verified(place, [], facility=None)
    assert not incident.proposals.exists()


def test_the_channel_is_checked(place: Place) -> None:
    with pytest.raises(IncidentError):
        services.create_report(org=place.org, data=data(place), channel="pigeon")
    assert Channel.SMS == "sms"


def test_the_queue_shows_drafts_and_rumours_first_then_the_oldest(place: Place) -> None:
    from salama.incidents import selectors

    def incident(kinds: list[str], to: list[str]) -> Incident:
        made = services.consolidate_reports(reports=[report(place)], by=place.coordinator)
        for kind in kinds:
            services.add_source(incident=made, kind=kind, by=place.coordinator)
        for state in to:
            made = services.move(incident=made, to=state, by=place.coordinator)
        return made

    reviewed = incident(["eyewitness_told"], ["under_review"])  # oldest, probable
    rumour = incident(["social_media"], ["under_review"])
    draft = incident(["eyewitness_told"], [])
    incident(["eyewitness_told"], ["under_review", "verified"])  # decided: not in the queue
    order = [row["number"] for row in selectors.queue(place.org)]
    assert order == [rumour.number, draft.number, reviewed.number]
