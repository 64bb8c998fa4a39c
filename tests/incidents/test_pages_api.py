"""Pages and API: both languages, role checks, organisation scope, the same services."""

from typing import Any

import pytest
from django.test import Client

from salama.incidents.models import Incident, Report
from tests.incidents.helpers import Place, make_place, report, verified, yesterday

pytestmark = pytest.mark.django_db


@pytest.fixture
def place(world: Any) -> Place:
    return make_place(world)


def test_the_queue_lists_drafts_first_in_both_languages(place: Place, coordinator: Client) -> None:
    done = verified(place, ["eyewitness_told"])
    from salama.incidents import services

    draft = services.consolidate_reports(reports=[report(place)], by=place.coordinator)
    page = coordinator.get("/incidents/")
    text = page.content.decode()
    assert page.status_code == 200 and f"incident-{draft.number}" in text
    assert f"incident-{done.number}" not in text  # verified: out of the queue
    coordinator.post("/accounts/language/", {"language": "ar"})
    arabic = coordinator.get("/incidents/", HTTP_ACCEPT_LANGUAGE="ar")
    assert "قائمة التحقق" in arabic.content.decode()


def test_the_incident_page_explains_the_certainty(place: Place, coordinator: Client) -> None:
    incident = verified(place, ["eyewitness_told", "photo"])
    text = coordinator.get(f"/incidents/{incident.pk}/").content.decode()
    assert "Confirmed" in text and "raises" in text and "Two nurses" in text


def test_a_staff_member_reports_by_form_and_bad_input_is_explained(
    place: Place, clients: dict[str, Client]
) -> None:
    staff = clients["staff"]
    assert staff.get("/incidents/").status_code == 403
    bad = staff.post("/incidents/report/", {"damage": "unknown", "functionality": "unknown",
                                            "targeted": "unknown", "impact_kind": "unknown",
                                            **{f"resource_{r}": "unknown" for r in (
                                                "facility", "transport", "personnel", "patients",
                                                "supplies", "warehouse", "other")}})  # fmt: skip
    assert "Give the date" in bad.content.decode() and not Report.objects.exists()
    good = staff.post("/incidents/report/", {
        "occurred_on": yesterday().isoformat(), "area": place.areas["Al-Shaar"].pk,
        "attack_types": ["obstruction"], "damage": "unknown", "functionality": "unknown",
        "targeted": "unknown", "impact_kind": "unknown", "killed_total": "1",
        **{f"resource_{r}": "unknown" for r in (
            "facility", "transport", "personnel", "patients", "supplies", "warehouse", "other")},
    })  # fmt: skip
    assert good.status_code == 302 and Report.objects.get().killed_total == 1


def test_a_pasted_text_is_proposed_with_highlights_and_too_large_is_refused(
    place: Place, coordinator: Client
) -> None:
    page = coordinator.post("/incidents/draft/", {"text": "Shelling in Sukkari, 3 killed"})
    text = page.content.decode()
    assert 'class="finding finding-area"' in text and "finding-killed" in text
    big = coordinator.post("/incidents/draft/", {"text": "x" * 100_001})
    assert "too large" in big.content.decode()


def test_list_map_chart_and_facility_history(place: Place, coordinator: Client) -> None:
    incident = verified(place, ["eyewitness_told"])
    page = coordinator.get("/incidents/list/?type=heavy_weapons&certainty=probable")
    text = page.content.decode()
    assert f"incident-{incident.number}" in text and "<svg" in text and "map-points" in text
    none = coordinator.get("/incidents/list/?type=sexual_assault").content.decode()
    assert f"incident-{incident.number}" not in none
    history = coordinator.get(f"/incidents/facility/{place.facility.pk}/").content.decode()
    assert f"incident-{incident.number}" in history


def test_the_api_creates_consolidates_and_verifies(place: Place, coordinator: Client) -> None:
    body = {"occurred_on": yesterday().isoformat(), "area_id": place.areas["Al-Sukkari"].pk,
            "attack_types": ["heavy_weapons"], "victims": {"killed_total": 2}}  # fmt: skip
    made = coordinator.post("/api/incident-reports", body, content_type="application/json")
    assert made.status_code == 201
    bad = coordinator.post("/api/incident-reports", {**body, "victims": {
        "killed_total": 1, "killed_provider": 3}}, content_type="application/json")  # fmt: skip
    assert bad.status_code == 422 and "add up" in bad.json()["detail"]
    merged = coordinator.post("/api/incidents", {"reports": [made.json()["id"]]},
                              content_type="application/json")  # fmt: skip
    assert merged.status_code == 201
    incident_id = merged.json()["id"]
    coordinator.post(f"/api/incidents/{incident_id}/sources", {"kind": "eyewitness_told"},
                     content_type="application/json")  # fmt: skip
    for to in ("under_review", "verified"):
        moved = coordinator.post(f"/api/incidents/{incident_id}/verification", {"to": to},
                                 content_type="application/json")  # fmt: skip
        assert moved.status_code == 200, moved.content
    assert moved.json()["certainty"] == "probable"
    illegal = coordinator.post(f"/api/incidents/{incident_id}/verification", {"to": "draft"},
                               content_type="application/json")  # fmt: skip
    assert illegal.status_code == 422
    public = coordinator.get("/api/incidents/export/public.csv")
    assert "#event +id" in b"".join(public.streaming_content).decode()


def test_another_organisation_sees_nothing(place: Place, clients: dict[str, Client]) -> None:
    incident = verified(place, ["eyewitness_told"])
    outsider = clients["outsider"]
    assert outsider.get(f"/incidents/{incident.pk}/").status_code == 404
    assert outsider.get(f"/api/incidents/{incident.pk}").status_code == 404
    csv_text = b"".join(outsider.get("/incidents/export/public.csv").streaming_content).decode()
    assert len(csv_text.splitlines()) == 2  # headers only
    assert Incident.objects.count() == 1


def test_a_coordinator_corrects_an_incident_and_a_version_is_stored(
    place: Place, coordinator: Client
) -> None:
    incident = verified(place, ["eyewitness_told"])
    body = {"occurred_on": yesterday().isoformat(), "area_id": place.areas["Al-Shaar"].pk,
            "attack_types": ["setting_fire"], "victims": {"killed_total": 5},
            "own_staff_attacked": True}  # fmt: skip
    answer = coordinator.put(f"/api/incidents/{incident.pk}", body,
                             content_type="application/json")  # fmt: skip
    assert answer.status_code == 200, answer.content
    assert (
        answer.json()["killed_total"] == 5 and answer.json()["certainty_suggested"] == "confirmed"
    )
    assert Incident.objects.get(pk=incident.pk).versions.latest("number").action == "edited"
    assert report_numbers(incident) == [2]  # the report keeps its own numbers


def report_numbers(incident: Incident) -> list[int | None]:
    return list(incident.reports.values_list("killed_total", flat=True))


def test_an_organisation_adds_its_own_drafting_phrases(place: Place, coordinator: Client) -> None:
    text = {"text": "They used a bomb kite on the clinic in Sukkari"}
    before = coordinator.post("/api/incident-drafts", text, content_type="application/json")
    assert "setting_fire" not in before.json()["attack_types"]
    saved = coordinator.put("/api/incident-draft-words", {"words": {"bomb kite": "setting_fire"}},
                            content_type="application/json")  # fmt: skip
    assert saved.status_code == 200
    after = coordinator.post("/api/incident-drafts", text, content_type="application/json")
    assert "setting_fire" in after.json()["attack_types"]
    bad = coordinator.put("/api/incident-draft-words", {"words": {"x": "nonsense"}},
                          content_type="application/json")  # fmt: skip
    assert bad.status_code == 422


def test_a_coordinator_corrects_an_incident_on_its_page(place: Place, coordinator: Client) -> None:
    incident = verified(place, ["eyewitness_told"])
    form = coordinator.get(f"/incidents/{incident.pk}/edit/").content.decode()
    assert "Two nurses" in form  # the form starts from what the incident says
    fields = {
        "occurred_on": yesterday().isoformat(), "area": place.areas["Al-Sukkari"].pk,
        "facility": place.facility.pk,
        "attack_types": ["heavy_weapons", "setting_fire"], "damage": "destroyed",
        "functionality": "none", "targeted": "yes", "impact_kind": "direct",
        "killed_total": "3", "killed_provider": "4",
        **{f"resource_{r}": "unknown" for r in (
            "facility", "transport", "personnel", "patients", "supplies", "warehouse", "other")},
    }  # fmt: skip
    refused = coordinator.post(f"/incidents/{incident.pk}/edit/", fields)
    assert "do not add up" in refused.content.decode()
    fields["killed_provider"] = "3"
    done = coordinator.post(f"/incidents/{incident.pk}/edit/", fields)
    assert done.status_code == 302
    incident.refresh_from_db()
    assert incident.killed_total == 3 and incident.attack_types == ["heavy_weapons", "setting_fire"]
    assert incident.proposals.get(state="proposed").functionality == "none"
    fields.pop("facility")  # no facility any more: nothing is proposed
    coordinator.post(f"/incidents/{incident.pk}/edit/", fields)
    assert not incident.proposals.filter(state="proposed").exists()
