"""The negotiation log's page links an interaction to evacuation requests, through the same
service as the API (`request_ids`): by number, priority and date, never a name; another
organisation's request is refused and nothing is written."""

from __future__ import annotations

from typing import Any

import pytest

from salama.lib.bidi import LRI, PDI
from salama.negotiations.models import Interaction
from salama.people.models import Person
from tests.conftest import client_for
from tests.evacuation.helpers import request_for
from tests.negotiations.helpers import party

pytestmark = pytest.mark.django_db


def _form(party_id: int, request_ids: list[int]) -> dict[str, Any]:
    return {
        "party": party_id,
        "at": "2026-01-01T10:00",
        "channel": "phone",
        "asked": "Clearance for the two requests",
        "next_step": "",
        "outcome": "open",
        "requests": request_ids,
    }


def test_the_page_links_an_interaction_to_requests(world: Any, clients: dict[str, Any]) -> None:
    person = Person.objects.create(org=world.org, codename="Q77", real_name="Fictional Evacuee")
    mine = request_for(person)
    stranger = Person.objects.create(org=world.other_org, codename="Z9", real_name="Other Person")
    theirs = request_for(stranger)
    p = party(world)
    page = clients["liaison"].get("/negotiations/interactions/").content.decode()
    assert f'value="{mine.pk}"' in page and f"#{mine.pk}" in page
    assert "Fictional Evacuee" not in page and "Q77" not in page  # a number, never a name
    # Another organisation's request: refused, nothing written.
    answer = clients["liaison"].post("/negotiations/interactions/", _form(p.pk, [theirs.pk]))
    assert answer.status_code == 400 and not Interaction.objects.exists()
    answer = clients["liaison"].post("/negotiations/interactions/", _form(p.pk, [mine.pk]))
    assert answer.status_code == 302
    row = Interaction.objects.get()
    assert list(row.requests.all()) == [mine]
    listed = clients["coordinator"].get("/negotiations/interactions/").content.decode()
    assert f'<bdi dir="ltr">#{mine.pk}</bdi>' in listed
    # The API reads the same link.
    api = clients["coordinator"].get("/api/negotiations/interactions").json()
    assert api[0]["request_ids"] == [mine.pk]


def test_the_request_choice_in_arabic_is_isolated(world: Any) -> None:
    person = Person.objects.create(org=world.org, codename="Q78", real_name="Fictional Evacuee")
    row = request_for(person)
    user = world.users["liaison"]
    user.language = "ar"
    user.save()
    html = client_for(user).get("/negotiations/interactions/").content.decode()
    assert 'dir="rtl"' in html and "طلبات الإجلاء" in html
    assert f"{LRI}#{row.pk}{PDI}" in html
