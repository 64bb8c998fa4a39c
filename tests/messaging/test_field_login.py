"""Field login by text (issue 22 item 5): a one-time link to the registered number, neutral
answers, used once by a POST, a long field session, then a PIN on the device."""

import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from salama.accounts.models import AuditEvent, Membership
from salama.messaging.models import LoginLink, Message
from salama.people.services import add_contact_point
from tests.safety.conftest import T0, Team1

pytestmark = pytest.mark.django_db
NUMBER = "+963944100055"


@pytest.fixture
def team(world: Any) -> Team1:
    team = Team1(world)
    add_contact_point(org=team.org, kind="sms", value=NUMBER, persons=[team.staff])
    return team


def _link_of(message: Message) -> str:
    found = re.search(r"/l/([\w-]+)", str(message.body))
    assert found, message.body
    return "/l/" + found.group(1)


def test_a_registered_number_gets_a_link_that_logs_in_once(team: Team1) -> None:
    with time_machine.travel(T0, tick=False) as traveller:
        phone = Client()
        page = phone.post("/l/", {"number": NUMBER})
        assert page.status_code == 200 and b"link-sent" in page.content
        message = Message.objects.get(template="login_link")
        assert message.contact_point.persons.get() == team.staff
        body = str(message.body)
        assert "K10" not in body and "Relief" not in body  # the link alone
        link = _link_of(message)
        preview = Client().get(link)  # a link preview fetches it: nothing happens
        assert preview.status_code == 200 and b"link-open" in preview.content
        assert LoginLink.objects.get().used_at is None
        opened = phone.post(link)
        assert opened.status_code == 302 and opened["Location"] == "/safety/pin/"
        assert phone.get("/safety/").status_code == 200
        again = Client().post(link)
        assert b"link-failed" in again.content
        # A field session outlives a desk session's idle timeout.
        traveller.shift(timedelta(hours=6))
        assert phone.get("/safety/").status_code == 200
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"field_login.sent", "field_login.used", "login"} <= actions


def test_unknown_numbers_and_other_roles_get_the_same_answer_and_no_text(
    team: Team1, world: Any
) -> None:
    coordinator = Membership.objects.get(user=world.users["coordinator"], org=team.org)
    add_contact_point(org=team.org, kind="sms", value="+963944100056", membership=coordinator)

    def answer(number: str) -> str:
        page = Client().post("/l/", {"number": number}).content.decode()
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)

    known = answer(NUMBER)
    for number in ("+963944100099", "+963944100056", "not a number"):
        assert answer(number) == known
    assert Message.objects.filter(template="login_link").count() == 1


def test_an_expired_link_does_nothing(team: Team1) -> None:
    with time_machine.travel(T0, tick=False) as traveller:
        Client().post("/l/", {"number": NUMBER})
        link = _link_of(Message.objects.get(template="login_link"))
        traveller.shift(timedelta(minutes=16))
        phone = Client()
        assert b"link-failed" in phone.post(link).content
        assert phone.get("/safety/").status_code == 302


def test_requests_are_limited_per_number(team: Team1) -> None:
    for _ in range(6):
        Client().post("/l/", {"number": NUMBER}, REMOTE_ADDR="10.0.0.9")
    assert Message.objects.filter(template="login_link").count() == 3
