from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import RequestFactory

from salama.accounts.models import AuditEvent
from salama.lib import clock
from salama.people import services
from salama.people.models import ContactPoint, ContactState
from salama.people.services import ContactSpec


def test_numbers_are_normalised_to_e164_in_any_script(world: Any) -> None:
    assert services.normalise_number("0944 123 456") == "+963944123456"
    assert services.normalise_number("٠٩٤٤١٢٣٤٥٦") == "+963944123456"
    assert services.normalise_number("+90 532 123 45 67", "SY") == "+905321234567"
    world.org.settings["default_region"] = "TR"
    assert services.normalise_value(org=world.org, kind="sms", value="0532 123 45 67") == (
        "+905321234567"
    )


@pytest.mark.parametrize("raw", ["12", "not a number", "", "+963 1"])
def test_bad_numbers_raise_without_echoing_them(raw: str) -> None:
    with pytest.raises(ValidationError) as error:
        services.normalise_number(raw)
    assert raw.strip() == "" or raw not in str(error.value)


def test_a_ward_phone_is_one_contact_point_for_several_persons(roster: Any) -> None:
    ward = roster.ward_phone
    assert ward.is_shared
    assert {p.codename for p in ward.persons.all()} == {"K12", "K13"}
    again = services.add_contact_point(
        org=roster.persons["K10"].org,
        kind="sms",
        value="0944 000 199",
        persons=[roster.persons["K20"]],
    )
    assert again.pk == ward.pk and ward.persons.count() == 3
    assert ContactPoint.objects.filter(value_hash=ward.value_hash).count() == 1


def test_two_persons_on_one_number_makes_it_shared(world: Any) -> None:
    a = services.create_person(
        org=world.org, codename="a1", role="nurse", contacts=[ContactSpec(value="+963944555001")]
    )
    point = a.contact_points.get()
    assert not point.is_shared and a.codename == "A1"
    services.create_person(
        org=world.org, codename="A2", role="nurse", contacts=[ContactSpec(value="0944555001")]
    )
    point.refresh_from_db()
    assert point.is_shared


def test_find_contact_point_by_any_spelling(roster: Any) -> None:
    org = roster.persons["K10"].org
    found = services.find_contact_point(org=org, kind="sms", value="0999 000 111")
    assert found is not None and found.persons.get().codename == "K11"
    assert services.find_contact_point(org=org, kind="sms", value="+963944777777") is None
    assert services.find_contact_point(org=org, kind="sms", value="garbage") is None


def test_same_number_in_another_org_is_another_contact_point(world: Any, roster: Any) -> None:
    assert (
        services.find_contact_point(org=world.other_org, kind="sms", value="+963944000110") is None
    )
    other = services.add_contact_point(org=world.other_org, kind="sms", value="+963944000110")
    assert other.value_hash != roster.persons["K10"].contact_points.get().value_hash


def test_duplicate_codename_is_refused(roster: Any) -> None:
    with pytest.raises(ValidationError):
        services.create_person(org=roster.persons["K10"].org, codename="k10", role="nurse")


def test_update_person_leaves_current_state_alone(roster: Any) -> None:
    person = roster.persons["K21"]
    type(person).objects.filter(pk=person.pk).update(state="SAFE")
    services.update_person(person=person, dependants=3, contacts=[ContactSpec(value="0944000777")])
    person.refresh_from_db()
    assert person.state == "SAFE" and person.dependants == 3
    assert person.contact_points.count() == 2


def test_enrolment_needs_verification_and_a_test_message(world: Any, roster: Any) -> None:
    org = world.org
    person = services.create_person(
        org=org,
        codename="P1",
        role="driver",
        contacts=[ContactSpec(value="+963944123001")],
        contact_state=ContactState.PROVISIONAL,
    )
    assert not person.is_enrolled
    lead = world.users["lead"].memberships.get()
    with pytest.raises(ValidationError):
        services.record_enrolment(person=person, by=lead, how="in_person", test_message_at=None)
    with pytest.raises(ValidationError):
        services.record_enrolment(
            person=person, by=lead, how="telepathy", test_message_at=clock.now()
        )
    observer = world.users["observer"].memberships.get()
    with pytest.raises(PermissionDenied):
        services.record_enrolment(
            person=person, by=observer, how="voice", test_message_at=clock.now()
        )
    assert person.contact_points.get().state == ContactState.PROVISIONAL
    services.record_enrolment(person=person, by=lead, how="voice", test_message_at=clock.now())
    person.refresh_from_db()
    assert person.is_enrolled and person.verified_by == lead
    assert person.contact_points.get().state == ContactState.ACTIVE


def test_leads_for_and_coordinator_fallback(world: Any, roster: Any) -> None:
    p = roster.persons
    coordinators = {world.users[n].memberships.get() for n in ("coordinator", "coordinator2")}
    assert services.leads_for(p["K12"]) == [p["K10"], p["K11"]]
    assert services.coordinators_to_tell(p["K12"]) == []
    # The lead is told of by their deputy, and the coordinators too.
    assert services.leads_for(p["K10"]) == [p["K11"]]
    assert set(services.coordinators_to_tell(p["K10"])) == coordinators
    # The deputy: the lead is enough.
    assert services.leads_for(p["K11"]) == [p["K10"]]
    assert services.coordinators_to_tell(p["K11"]) == []
    # South's only lead is K20: K20 falls back to the coordinators.
    assert services.leads_for(p["K20"]) == []
    assert set(services.coordinators_to_tell(p["K20"])) == coordinators
    no_team = services.create_person(org=world.org, codename="LONE", role="other")
    assert services.leads_for(no_team) == []
    assert set(services.coordinators_to_tell(no_team)) == coordinators


def _request(world: Any, name: str) -> Any:
    request = RequestFactory().post("/")
    request.user = world.users[name]
    request.membership = world.users[name].memberships.first()
    request.org = world.org
    return request


def test_reveal_writes_one_audit_row_with_ids_only(world: Any, roster: Any) -> None:
    person = roster.persons["K11"]
    before = AuditEvent.objects.count()
    assert (
        services.reveal(person=person, field="real_name", request=_request(world, "coordinator"))
        == "Omar Testman"
    )
    assert AuditEvent.objects.count() == before + 1
    row = AuditEvent.objects.latest("pk")
    assert row.action == "reveal" and row.object_id == str(person.pk)
    assert row.detail == {"field": "real_name"}
    point = person.contact_points.order_by("pk").first()
    number = services.reveal(
        person=person, field=f"contact:{point.pk}", request=_request(world, "org_admin")
    )
    assert number == "+963944000111"
    assert AuditEvent.objects.latest("pk").detail == {
        "field": "contact",
        "contact_point_id": point.pk,
    }


@pytest.mark.parametrize("name", ["lead", "observer", "staff", "liaison", "outsider"])
def test_only_coordinators_and_admins_reveal(world: Any, roster: Any, name: str) -> None:
    before = AuditEvent.objects.count()
    with pytest.raises(PermissionDenied):
        services.reveal(
            person=roster.persons["K11"], field="real_name", request=_request(world, name)
        )
    assert AuditEvent.objects.count() == before


def test_reveal_of_another_persons_number_is_refused(world: Any, roster: Any) -> None:
    other_point = roster.persons["K20"].contact_points.get()
    with pytest.raises(ValidationError):
        services.reveal(
            person=roster.persons["K11"],
            field=f"contact:{other_point.pk}",
            request=_request(world, "coordinator"),
        )
    with pytest.raises(ValidationError):
        services.reveal(
            person=roster.persons["K11"], field="codename", request=_request(world, "coordinator")
        )


def test_areas_and_facilities_match_names_and_aliases(roster: Any) -> None:
    from salama.people.models import Area

    areas = Area.objects.for_org(roster.persons["K10"].org)
    assert services.match_named(areas, "السكري", "name_en", "name_ar") == roster.areas["sukkari"]
    assert services.match_named(areas, "shaar", "name_en", "name_ar") == roster.areas["shaar"]
    assert services.match_named(areas, "Nowhere", "name_en", "name_ar") is None
