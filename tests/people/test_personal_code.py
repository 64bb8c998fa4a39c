"""The person page's personal-code form: who may set or replace a code, that it is kept only as a
hash (``NEW <codename> <code>`` checks it), never shown back, and that bad input writes nothing."""

from typing import Any

import pytest
from django.urls import reverse

from salama.accounts import factors
from salama.accounts.models import AuditEvent
from salama.messaging.models import PersonalCode
from salama.messaging.services import check_personal_code, set_personal_code

CODE = "Jasmine harbour"
OTHER = "olive garden"


def _url(person: Any) -> str:
    return reverse("messaging:personal_code", kwargs={"person_id": person.pk})


def _page(client: Any, person: Any) -> str:
    return str(
        client.get(reverse("people:person", kwargs={"person_id": person.pk})).content, "utf8"
    )


@pytest.mark.parametrize("language", ["en", "ar"])
def test_coordinator_sets_then_replaces_a_code_never_shown_back(
    coordinator: Any, world: Any, roster: Any, language: str
) -> None:
    user = world.users["coordinator"]
    user.language = language
    user.save()
    k12 = roster.persons["K12"]
    html = _page(coordinator, k12)
    if language == "en":
        assert "No personal code is set" in html and "Set the personal code" in html
    else:
        assert "لا رمز شخصياً محدَّداً" in html and "تحديد الرمز الشخصي" in html
    response = coordinator.post(_url(k12), {"code": CODE, "again": CODE}, follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert CODE not in html and CODE.upper() not in html
    if language == "en":
        assert (
            "personal code is set: tell it to them" in html
            and "A personal code is set (since" in html
        )
        assert "Replace the personal code" in html
    else:
        assert "حُدِّد الرمز الشخصي لـ K12" in html and "استبدال الرمز الشخصي" in html
    assert check_personal_code(org=world.org, codename="k12", code=CODE) == k12
    row = PersonalCode.objects.get(person=k12)
    assert CODE not in row.code_hash
    event = AuditEvent.objects.get(action="person.personal_code")
    assert event.object_id == str(k12.pk) and event.actor_id == user.pk
    # Replacing: the old code stops working.
    response = coordinator.post(_url(k12), {"code": OTHER, "again": OTHER})
    assert response.status_code == 302
    assert check_personal_code(org=world.org, codename="K12", code=CODE) is None
    assert check_personal_code(org=world.org, codename="K12", code=OTHER) == k12
    assert PersonalCode.objects.filter(person=k12).count() == 1


@pytest.mark.parametrize("language", ["en", "ar"])
@pytest.mark.parametrize(
    ("code", "again", "english", "arabic"),
    [
        ("abc", "abc", "A personal code is six to twelve digits, or two", "الرمز الشخصي من"),
        ("Jasmine42", "Jasmine42", "six to twelve digits, or two or three words", "ستة إلى"),
        ("سلام 1234", "سلام 1234", "Latin letters or digits", "الحروف اللاتينية"),
        ("help river", "help river", "cannot hold a status or help word", "كلمة حالة"),
        ("Jasmine harbour", "Jasmine harbor", "The two codes differ.", "الرمزان مختلفان."),
        ("", "", "This field is required.", "هذا الحقل مطلوب"),
    ],
)
def test_bad_codes_are_translated_errors_and_replace_nothing(
    coordinator: Any,
    world: Any,
    roster: Any,
    language: str,
    code: str,
    again: str,
    english: str,
    arabic: str,
) -> None:
    user = world.users["coordinator"]
    user.language = language
    user.save()
    k12 = roster.persons["K12"]
    set_personal_code(person=k12, code=OTHER)
    stored = PersonalCode.objects.get(person=k12).code_hash
    audits = AuditEvent.objects.count()
    response = coordinator.post(_url(k12), {"code": code, "again": again})
    assert response.status_code == 400
    html = response.content.decode()
    assert (english if language == "en" else arabic) in html
    if code:
        assert code not in html and again not in html  # never rendered back
    assert PersonalCode.objects.get(person=k12).code_hash == stored
    assert AuditEvent.objects.count() == audits
    assert check_personal_code(org=world.org, codename="K12", code=OTHER) == k12


@pytest.mark.parametrize("name", ["lead", "staff", "observer", "liaison", "outsider"])
def test_other_roles_cannot_set_a_code(
    clients: dict[str, Any], world: Any, roster: Any, name: str
) -> None:
    k12 = roster.persons["K12"]
    response = clients[name].post(_url(k12), {"code": CODE, "again": CODE})
    assert response.status_code in ((403, 404) if name == "outsider" else (403,))
    assert not PersonalCode.objects.exists()
    assert check_personal_code(org=world.org, codename="K12", code=CODE) is None


def test_a_get_sets_nothing(coordinator: Any, roster: Any) -> None:
    assert coordinator.get(_url(roster.persons["K12"]), {"code": CODE}).status_code == 405
    assert not PersonalCode.objects.exists()


def test_setting_a_code_needs_a_recent_second_factor(
    clients: dict[str, Any], world: Any, roster: Any
) -> None:
    client = clients["coordinator"]
    session = client.session
    session[factors.VERIFIED_AT] = session[factors.VERIFIED_AT] - 3600
    session.save()
    response = client.post(_url(roster.persons["K12"]), {"code": CODE, "again": CODE})
    assert response.status_code == 302
    assert reverse("accounts:second_factor") in response["Location"]
    assert not PersonalCode.objects.exists()


def test_org_admin_may_set_a_code(clients: dict[str, Any], world: Any, roster: Any) -> None:
    k20 = roster.persons["K20"]
    response = clients["org_admin"].post(_url(k20), {"code": CODE, "again": CODE})
    assert response.status_code == 302
    assert check_personal_code(org=world.org, codename="K20", code=CODE) == k20
