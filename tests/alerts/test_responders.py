"""Local responders of an area: the service (who may be added, what is refused, what removal
leaves behind, audit rows), the page in both languages and who may use it. Alerts routing reads
the same rows (salama.alerts.routing.responders_of)."""

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from salama.accounts.models import AuditEvent
from salama.alerts.routing import responders_of
from salama.people import services
from salama.people.models import ContactPoint, ContactState, LocalResponder

POINT_NUMBER = "+963944000777"  # fictional: the Sukkari ambulance point's phone
PAGE = "/alerts/responders/"
REMOVE = "/alerts/responders/remove/"


def _counts() -> tuple[int, int]:
    return LocalResponder.objects.count(), ContactPoint.objects.count()


# --- Service ------------------------------------------------------------------------------------


def test_a_person_and_a_phone_become_responders_and_alerts_reach_them(
    world: Any, roster: Any
) -> None:
    area = roster.areas["sukkari"]
    k20 = roster.persons["K20"]
    by = world.users["coordinator"].memberships.get()
    person_row = services.add_local_responder(org=world.org, area=area, person=k20, by=by)
    phone_row = services.add_local_responder(
        org=world.org, area=area, number="0944 000 777", label="Ambulance point 1", by=by
    )
    assert phone_row.contact_point is not None
    assert phone_row.contact_point.value == POINT_NUMBER  # normalised, kept encrypted
    assert phone_row.contact_point.persons.count() == 0
    keys = {r.key for r in responders_of(area.pk)}
    assert keys == {f"p:{k20.pk}", f"c:{phone_row.contact_point_id}"}
    assert responders_of(roster.areas["shaar"].pk) == []
    events = AuditEvent.objects.filter(action="responder.add").order_by("pk")
    assert [e.object_id for e in events] == [str(person_row.pk), str(phone_row.pk)]
    assert events[0].actor_id == world.users["coordinator"].pk
    assert events[1].detail == {
        "area": area.pk,
        "person": None,
        "contact_point": phone_row.contact_point_id,
    }
    assert "777" not in str([e.detail for e in events])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "either a person on the roster or a phone number"),
        ({"person": "K20", "number": POINT_NUMBER}, "either a person"),
        ({"number": "12"}, "not"),  # not a (valid) phone number
        ({"number": POINT_NUMBER, "label": "x" * 61}, "at most 60"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(
    world: Any, roster: Any, kwargs: dict[str, Any], message: str
) -> None:
    if kwargs.get("person"):
        kwargs = {**kwargs, "person": roster.persons[kwargs["person"]]}
    before = _counts(), AuditEvent.objects.count()
    with pytest.raises(ValidationError) as caught:
        services.add_local_responder(org=world.org, area=roster.areas["sukkari"], **kwargs)
    assert message in " ".join(caught.value.messages)
    assert (_counts(), AuditEvent.objects.count()) == before


def test_the_same_person_or_phone_twice_in_one_area_is_refused(world: Any, roster: Any) -> None:
    area = roster.areas["sukkari"]
    k20 = roster.persons["K20"]
    services.add_local_responder(org=world.org, area=area, person=k20)
    services.add_local_responder(org=world.org, area=area, number=POINT_NUMBER)
    before = _counts()
    with pytest.raises(ValidationError, match="already a local responder"):
        services.add_local_responder(org=world.org, area=area, person=k20)
    with pytest.raises(ValidationError, match="already a local responder"):
        services.add_local_responder(org=world.org, area=area, number="0944000777")
    assert _counts() == before
    # Another area may have them too.
    services.add_local_responder(org=world.org, area=roster.areas["shaar"], person=k20)
    services.add_local_responder(org=world.org, area=roster.areas["shaar"], number=POINT_NUMBER)
    assert ContactPoint.objects.count() == before[1]  # the same phone, reused


def test_another_organisations_area_or_person_is_refused(world: Any, roster: Any) -> None:
    other_area = services.save_area(org=world.other_org, name_en="Elsewhere", name_ar="مكان")
    before = _counts()
    with pytest.raises(ValidationError):
        services.add_local_responder(org=world.org, area=other_area, person=roster.persons["K20"])
    with pytest.raises(ValidationError):
        services.add_local_responder(
            org=world.other_org, area=other_area, person=roster.persons["K20"]
        )
    assert _counts() == before


def test_removal_drops_a_phone_that_serves_nobody_else(world: Any, roster: Any) -> None:
    area, shaar = roster.areas["sukkari"], roster.areas["shaar"]
    lone = services.add_local_responder(org=world.org, area=area, number=POINT_NUMBER)
    twice = services.add_local_responder(org=world.org, area=area, number="+963944000778")
    services.add_local_responder(org=world.org, area=shaar, number="+963944000778")
    owned = services.add_local_responder(org=world.org, area=area, number="+963944000110")  # K10's
    seized = services.add_local_responder(org=world.org, area=area, number="+963944000779")
    assert seized.contact_point is not None
    services.update_contact_point(point=seized.contact_point, state=ContactState.COMPROMISED)
    points = [r.contact_point_id for r in (lone, twice, owned, seized)]
    for row in (lone, twice, owned, seized):
        services.remove_local_responder(responder=row)
    remaining = set(ContactPoint.objects.filter(pk__in=points).values_list("pk", flat=True))
    assert remaining == set(points[1:])  # shared with another area, K10's own, compromised
    assert LocalResponder.objects.filter(area=area).count() == 0
    assert LocalResponder.objects.filter(area=shaar).count() == 1
    assert AuditEvent.objects.filter(action="responder.remove").count() == 4


# --- Page ---------------------------------------------------------------------------------------


def _set_language(world: Any, name: str, language: str) -> None:
    user = world.users[name]
    user.language = language
    user.save()


@pytest.mark.parametrize("language", ["en", "ar"])
def test_page_lists_adds_and_removes_in_both_languages(
    coordinator: Any, world: Any, roster: Any, language: str
) -> None:
    _set_language(world, "coordinator", language)
    area = roster.areas["sukkari"]
    response = coordinator.post(PAGE, {"area": area.pk, "codename": "k20"})
    assert response.status_code == 302 and response["Location"].endswith(f"#area-{area.pk}")
    response = coordinator.post(
        PAGE, {"area": area.pk, "number": "0944 000 777", "label": "Ambulance point 1"}
    )
    assert response.status_code == 302
    html = coordinator.get(PAGE).content.decode()
    assert "K20" in html and "Ambulance point 1" in html
    # The area in the reader's language only (U1 item 5, salama/lib/names.py).
    local, other = ("السكري", "Al-Sukkari") if language == "ar" else ("Al-Sukkari", "السكري")
    assert local in html and other not in html
    for secret in ("777", "+963", "Rania"):  # the number, any number, K20's real name
        assert secret not in html, secret
    if language == "ar":
        assert "المستجيبون المحليون" in html and "إضافة مستجيب محلي" in html
        assert "أُضيف المستجيب المحلي إلى السكري" in html  # the message after the redirect
    else:
        assert "Local responders" in html and "Add a local responder" in html
        assert "The local responder was added to Al-Sukkari" in html
    # Al-Shaar has none: the page says who is told there instead.
    assert html.count('id="area-') == 2
    phone = LocalResponder.objects.get(label="Ambulance point 1")
    response = coordinator.post(REMOVE, {"responder": phone.pk}, follow=True)
    assert response.status_code == 200
    assert not LocalResponder.objects.filter(pk=phone.pk).exists()
    assert not ContactPoint.objects.filter(pk=phone.contact_point_id).exists()
    removed = "أُزيل المستجيب المحلي" if language == "ar" else "was removed from Al-Sukkari"
    assert removed in response.content.decode()


def test_page_says_when_a_responder_cannot_be_reached(coordinator: Any, roster: Any) -> None:
    area = roster.areas["sukkari"]
    k21 = roster.persons["K21"]
    services.add_local_responder(org=k21.org, area=area, person=k21)
    row = f'<a class="ltr codename" href="/people/{k21.pk}/">K21</a>'
    html = coordinator.get(PAGE).content.decode()
    assert row in html and ">yes</td>" in html
    k21.contact_points.update(state=ContactState.SUSPENDED)
    html = coordinator.get(PAGE).content.decode()
    assert row in html and "><strong>no</strong></td>" in html and ">yes</td>" not in html


@pytest.mark.parametrize("language", ["en", "ar"])
@pytest.mark.parametrize(
    ("data", "english", "arabic"),
    [
        ({"codename": "NOPE9"}, "No person on the roster has this codename.", "لا أحد في القائمة"),
        ({}, "Give either a person on the roster or a phone number", "أعطِ إما شخصاً"),
        ({"codename": "K20", "number": POINT_NUMBER}, "not both", "لا كليهما"),
        ({"number": "12345"}, "phone number", "رقم هاتف"),
    ],
)
def test_bad_input_on_the_page_is_a_translated_error_and_writes_nothing(
    coordinator: Any,
    world: Any,
    roster: Any,
    language: str,
    data: dict[str, str],
    english: str,
    arabic: str,
) -> None:
    _set_language(world, "coordinator", language)
    before = _counts(), AuditEvent.objects.count()
    response = coordinator.post(PAGE, {"area": roster.areas["sukkari"].pk, **data})
    assert response.status_code == 400
    assert (english if language == "en" else arabic) in response.content.decode()
    assert (_counts(), AuditEvent.objects.count()) == before


def test_a_duplicate_on_the_page_is_an_error_on_the_field(coordinator: Any, roster: Any) -> None:
    area = roster.areas["sukkari"]
    assert coordinator.post(PAGE, {"area": area.pk, "codename": "K20"}).status_code == 302
    response = coordinator.post(PAGE, {"area": area.pk, "codename": "K20"})
    assert response.status_code == 400
    assert "This person is already a local responder of this area." in response.content.decode()
    assert LocalResponder.objects.filter(area=area).count() == 1


def test_removing_one_already_gone_or_of_another_org_removes_nothing(
    coordinator: Any, world: Any, roster: Any, clients: dict[str, Any]
) -> None:
    row = services.add_local_responder(
        org=world.org, area=roster.areas["sukkari"], person=roster.persons["K20"]
    )
    response = clients["outsider"].post(REMOVE, {"responder": row.pk}, follow=True)
    assert "no longer registered" in response.content.decode()
    assert LocalResponder.objects.filter(pk=row.pk).exists()
    for value in ("", "abc", str(row.pk + 1000)):
        response = coordinator.post(REMOVE, {"responder": value})
        assert response.status_code == 302
    assert LocalResponder.objects.filter(pk=row.pk).exists()
    assert not AuditEvent.objects.filter(action="responder.remove").exists()


@pytest.mark.parametrize("name", ["lead", "staff", "observer", "liaison"])
def test_other_roles_cannot_see_add_or_remove(
    clients: dict[str, Any], world: Any, roster: Any, name: str
) -> None:
    row = services.add_local_responder(
        org=world.org, area=roster.areas["sukkari"], number=POINT_NUMBER, label="Point"
    )
    before = _counts(), AuditEvent.objects.count()
    client = clients[name]
    assert client.get(PAGE).status_code == 403
    area = roster.areas["shaar"].pk
    assert client.post(PAGE, {"area": area, "codename": "K20"}).status_code == 403
    assert client.post(REMOVE, {"responder": row.pk}).status_code == 403
    assert (_counts(), AuditEvent.objects.count()) == before


def test_org_admin_may_use_the_page(clients: dict[str, Any], roster: Any) -> None:
    admin = clients["org_admin"]
    assert admin.get(reverse("alerts:responders")).status_code == 200
    area = roster.areas["shaar"]
    assert admin.post(PAGE, {"area": area.pk, "codename": "K10"}).status_code == 302
    assert LocalResponder.objects.filter(area=area, person=roster.persons["K10"]).exists()
