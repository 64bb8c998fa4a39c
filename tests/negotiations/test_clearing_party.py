"""A negotiation party names the same party in evacuation's clearance, on the page and through
the API (the same service): only a clearing party of the organisation, refused otherwise with
nothing written."""

from __future__ import annotations

from typing import Any

import pytest

from salama.negotiations.models import Party
from tests.conftest import client_for
from tests.evacuation.helpers import party as clearing_party

pytestmark = pytest.mark.django_db


def test_the_page_links_a_party_to_its_clearing_party(world: Any, clients: dict[str, Any]) -> None:
    mine = clearing_party(world.org, "Crossing authority")
    theirs = clearing_party(world.other_org, "Elsewhere authority")
    page = clients["liaison"].get("/negotiations/parties/").content.decode()
    assert f'value="{mine.pk}"' in page and "Crossing authority" in page
    assert "Elsewhere authority" not in page
    form = {"name": "Crossing office", "kind": "local_authority", "clearing_party": theirs.pk}
    answer = clients["liaison"].post("/negotiations/parties/", form)
    assert answer.status_code == 400 and not Party.objects.exists()
    form["clearing_party"] = mine.pk
    assert clients["liaison"].post("/negotiations/parties/", form).status_code == 302
    assert Party.objects.get().clearing_party == mine


def test_the_api_takes_the_same_link(world: Any, clients: dict[str, Any]) -> None:
    mine = clearing_party(world.org, "Crossing authority")
    theirs = clearing_party(world.other_org, "Elsewhere authority")
    body = {"name": "Crossing office", "kind": "local_authority", "clearing_party_id": theirs.pk}
    answer = clients["coordinator"].post(
        "/api/negotiations/parties", body, content_type="application/json"
    )
    assert answer.status_code == 404 and answer.json()["detail"] == "Unknown clearing party."
    assert not Party.objects.exists()
    body["clearing_party_id"] = mine.pk
    answer = clients["coordinator"].post(
        "/api/negotiations/parties", body, content_type="application/json"
    )
    assert answer.status_code == 201 and answer.json()["clearing_party_id"] == mine.pk
    listed = clients["liaison"].get("/api/negotiations/parties").json()
    assert listed[0]["clearing_party_id"] == mine.pk


def test_the_field_in_arabic(world: Any) -> None:
    clearing_party(world.org, "Crossing authority")  # its Arabic name: سلطة المعبر
    user = world.users["liaison"]
    user.language = "ar"
    user.save()
    html = client_for(user).get("/negotiations/parties/").content.decode()
    assert 'dir="rtl"' in html and "الطرف نفسه في تصاريح الإجلاء" in html
    assert "سلطة المعبر" in html
