from typing import Any

import pytest

from salama.accounts.models import AuditEvent
from salama.lib import clock
from salama.people.models import ContactState, Person
from salama.people.services import record_enrolment
from tests.conftest import without_tokens

SECRETS_IN_PAGES = ("Testwoman", "Testman", "944000", "0944 000", "+963")


def _assert_private(html: str) -> None:
    for secret in SECRETS_IN_PAGES:
        assert secret not in html, secret


def new_person_post(codename: str, **extra: str) -> dict[str, str]:
    data = {
        "codename": codename,
        "role": "nurse",
        "language": "ar",
        "dependants": "2",
        "is_active": "on",
        "real_name": "",
        "specialty": "",
        "new-TOTAL_FORMS": "2",
        "new-INITIAL_FORMS": "0",
        "new-MIN_NUM_FORMS": "0",
        "new-MAX_NUM_FORMS": "10",
        "new-0-kind": "sms",
        "new-0-value": "0944 321 001",
        "new-0-label": "",
        "new-0-operator": "Syriatel",
        "new-1-kind": "sms",
        "new-1-value": "+963 944 321 002",
        "new-1-is_shared": "on",
    }
    data.update(extra)
    return data


def test_roster_search_and_person_pages_show_no_names_or_numbers(
    coordinator: Any, roster: Any
) -> None:
    html = without_tokens(coordinator.get("/people/").content)
    assert "K10" in html and "K21" in html
    _assert_private(html)
    html = without_tokens(coordinator.get("/people/", {"q": "k1"}).content)
    assert "K10" in html and "K21" not in html
    team = roster.teams["south"].pk
    html = without_tokens(coordinator.get("/people/", {"team": team}).content)
    assert "K20" in html and "K10" not in html
    html = without_tokens(coordinator.get("/people/", {"area": roster.areas["shaar"].pk}).content)
    assert "K21" in html and "K12" not in html
    html = without_tokens(coordinator.get("/people/", {"facility": roster.facility.pk}).content)
    assert "K21" in html
    person = roster.persons["K11"]
    html = without_tokens(coordinator.get(f"/people/{person.pk}/").content)
    assert "K11" in html and "Syriatel" not in html
    _assert_private(html)
    html = without_tokens(coordinator.get(f"/people/{roster.persons['K12'].pk}/").content)
    assert "shared (2 persons)" in html
    _assert_private(html)


def test_enrolled_never_reached_is_shown_and_searchable(
    world: Any, coordinator: Any, roster: Any
) -> None:
    person = roster.persons["K21"]
    record_enrolment(
        person=person,
        by=world.users["coordinator"].memberships.get(),
        how="in_person",
        test_message_at=clock.now(),
    )
    Person.objects.filter(pk=roster.persons["K20"].pk).update(state="SAFE")
    html = without_tokens(coordinator.get("/people/", {"enrolment": "never_reached"}).content)
    assert "K21" in html and "enrolled, never reached" in html and "K10" not in html
    html = without_tokens(coordinator.get("/people/", {"state": "SAFE"}).content)
    assert "K20" in html and "K21" not in html


def test_viewing_ten_times_writes_no_audit_row_and_one_reveal_writes_one(
    coordinator: Any, roster: Any
) -> None:
    person = roster.persons["K11"]
    before = AuditEvent.objects.count()
    for _ in range(10):
        assert coordinator.get("/people/").status_code == 200
        assert (
            coordinator.get("/people/", {"q": "K1", "team": roster.teams["north"].pk}).status_code
            == 200
        )
        assert coordinator.get(f"/people/{person.pk}/").status_code == 200
    assert AuditEvent.objects.count() == before
    response = coordinator.post(f"/people/{person.pk}/reveal/", {"field": "real_name"})
    assert response.status_code == 200 and "Omar Testman" in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert AuditEvent.objects.count() == before + 1
    assert AuditEvent.objects.latest("pk").action == "reveal"
    # The reveal shows on that response only.
    _assert_private(coordinator.get(f"/people/{person.pk}/").content.decode())
    point = person.contact_points.order_by("pk").first()
    response = coordinator.post(f"/people/{person.pk}/reveal/", {"field": f"contact:{point.pk}"})
    assert "+963944000111" in response.content.decode()
    assert AuditEvent.objects.count() == before + 2


def test_reveal_is_never_a_get(coordinator: Any, roster: Any) -> None:
    person = roster.persons["K11"]
    response = coordinator.get(f"/people/{person.pk}/reveal/", {"field": "real_name"})
    assert response.status_code == 405


@pytest.mark.parametrize("name", ["lead", "observer", "staff", "liaison"])
def test_observers_and_leads_cannot_reveal(clients: Any, roster: Any, name: str) -> None:
    before = AuditEvent.objects.count()
    person = roster.persons["K11"]
    response = clients[name].post(f"/people/{person.pk}/reveal/", {"field": "real_name"})
    assert response.status_code == 403
    assert "Omar" not in response.content.decode()
    assert AuditEvent.objects.count() == before


def test_create_a_person_with_two_numbers_one_shared(coordinator: Any, world: Any) -> None:
    response = coordinator.post("/people/new/", new_person_post("n77", real_name="Zaina Made"))
    assert response.status_code == 302
    person = Person.objects.get(org=world.org, codename="N77")
    points = list(person.contact_points.order_by("pk"))
    assert [p.is_shared for p in points] == [False, True]
    assert points[0].operator == "Syriatel" and points[0].state == ContactState.ACTIVE
    assert person.real_name == "Zaina Made"
    html = without_tokens(coordinator.get(response["Location"]).content)
    assert "Zaina" not in html and "321 00" not in html


def test_a_bad_number_saves_nothing_and_says_which(coordinator: Any, world: Any) -> None:
    data = new_person_post("N78", **{"new-1-value": "12"})
    response = coordinator.post("/people/new/", data)
    assert response.status_code == 200
    assert "not valid" in response.content.decode()
    assert not Person.objects.filter(codename="N78").exists()


def test_duplicate_codename_is_an_error_on_the_form(coordinator: Any, roster: Any) -> None:
    response = coordinator.post("/people/new/", new_person_post("k10"))
    assert "already has this codename" in response.content.decode()


def test_edit_keeps_state_and_removes_a_number(coordinator: Any, roster: Any) -> None:
    person = roster.persons["K11"]
    Person.objects.filter(pk=person.pk).update(state="SAFE")
    points = list(person.contact_points.order_by("kind", "pk"))
    data = {
        "codename": "K11",
        "role": "doctor",
        "language": "en",
        "dependants": "4",
        "is_active": "on",
        "team": roster.teams["north"].pk,
        "cp-TOTAL_FORMS": "2",
        "cp-INITIAL_FORMS": "2",
        "cp-MIN_NUM_FORMS": "0",
        "cp-MAX_NUM_FORMS": "1000",
        "cp-0-id": points[0].pk,
        "cp-0-state": "active",
        "cp-0-label": "",
        "cp-1-id": points[1].pk,
        "cp-1-state": "active",
        "cp-1-remove": "on",
        "new-TOTAL_FORMS": "2",
        "new-INITIAL_FORMS": "0",
        "new-MIN_NUM_FORMS": "0",
        "new-MAX_NUM_FORMS": "10",
        "new-0-kind": "sms",
        "new-1-kind": "sms",
    }
    response = coordinator.post(f"/people/{person.pk}/edit/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    person.refresh_from_db()
    assert person.state == "SAFE" and person.dependants == 4 and person.language == "en"
    assert person.real_name == "Omar Testman"  # the edit form never shows or blanks it
    assert person.contact_points.count() == 1


def test_enrol_from_the_person_page(coordinator: Any, roster: Any) -> None:
    person = roster.persons["K13"]
    response = coordinator.post(f"/people/{person.pk}/enrol/", {"how": "voice"})
    assert response.status_code == 400
    response = coordinator.post(
        f"/people/{person.pk}/enrol/", {"how": "voice", "test_message": "on"}
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.is_enrolled


def test_teams_areas_facilities_pages(coordinator: Any, roster: Any) -> None:
    html = without_tokens(coordinator.get("/people/teams/").content)
    assert "North" in html and "K10" in html and "K11" in html
    html = without_tokens(coordinator.get("/people/areas/").content)
    assert "السكري" in html and 'id="map-features"' in html and "<script>" not in html
    html = without_tokens(coordinator.get("/people/facilities/").content)
    assert "Test Field Hospital" in html and "Partially functioning" in html
    response = coordinator.post(
        "/people/teams/new/",
        {
            "name": "East",
            "leads": [roster.persons["K21"].pk],
            "deputies": [roster.persons["K20"].pk],
        },
    )
    assert response.status_code == 302
    response = coordinator.post(
        "/people/areas/new/",
        {
            "name_en": "Al-Kalasa",
            "name_ar": "الكلاسة",
            "aliases": "Kalasa\nكلاسة",
            "latitude": "36.1895",
            "longitude": "37.144",
            "risk": "high",
            "polygon": '{"type": "Polygon", "coordinates": '
            "[[[37.14, 36.18], [37.15, 36.18], [37.15, 36.19], [37.14, 36.18]]]}",
        },
    )
    assert response.status_code == 302
    response = coordinator.post(
        "/people/areas/new/", {"name_en": "Bad", "name_ar": "x", "risk": "low", "polygon": "{nope"}
    )
    assert "not valid GeoJSON" in response.content.decode()
    response = coordinator.post(
        f"/people/facilities/{roster.facility.pk}/",
        {
            "name": "Test Field Hospital",
            "kind": "field_hospital",
            "area": roster.areas["shaar"].pk,
            "functionality": "none",
        },
    )
    assert response.status_code == 302
    roster.facility.refresh_from_db()
    assert roster.facility.functionality == "none" and roster.facility.functionality_at
