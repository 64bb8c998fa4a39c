"""The negotiations pages and API: coordinators and liaisons only, both languages, the rule
holding through both doors, the export refused before two approvals."""

from __future__ import annotations

from typing import Any

import pytest

from salama.accounts.models import AuditEvent
from salama.negotiations import services
from salama.negotiations.models import Interaction, PackageVersion
from tests.conftest import client_for
from tests.evacuation.helpers import movement
from tests.negotiations.helpers import approve_twice, member, package, party

pytestmark = pytest.mark.django_db

PAGES = ["/negotiations/", "/negotiations/parties/", "/negotiations/interactions/"]


@pytest.mark.parametrize("who", ["coordinator", "liaison", "org_admin"])
def test_pages_answer_negotiators_in_both_languages(world: Any, who: str) -> None:
    user = world.users[who]
    for language in ("en", "ar"):
        user.language = language
        user.save()
        client = client_for(user)
        for url in PAGES:
            answer = client.get(url)
            assert answer.status_code == 200, url
            html = answer.content.decode()
            assert ('dir="rtl"' in html) == (language == "ar")
            assert "not-a-guarantee" in html


@pytest.mark.parametrize("who", ["lead", "staff", "observer"])
def test_pages_and_api_refuse_other_roles(clients: dict[str, Any], who: str) -> None:
    for url in PAGES:
        assert clients[who].get(url).status_code == 403
    assert clients[who].get("/api/negotiations/packages").status_code == 403


def test_liaison_logs_an_interaction_on_the_page(world: Any, clients: dict[str, Any]) -> None:
    p = party(world)
    answer = clients["liaison"].post(
        "/negotiations/interactions/",
        {
            "party": p.pk,
            "at": "2026-01-01T10:00",
            "channel": "phone",
            "asked": "A corridor on Thursday",
            "promised": "We will pass it on",
            "next_step": "Call back",
            "next_due": "2026-01-02",
            "outcome": "open",
        },
    )
    assert answer.status_code == 302
    row = Interaction.objects.get()
    assert str(row.promised) == "We will pass it on" and row.recorded_by == member(world, "liaison")


def test_page_export_before_approval_is_refused_then_allowed(
    world: Any, clients: dict[str, Any]
) -> None:
    version = package(world)
    answer = clients["coordinator"].get(f"/negotiations/versions/{version.pk}/print/?lang=ar")
    assert answer.status_code == 302
    assert not AuditEvent.objects.filter(action="negotiations.exported").exists()
    assert AuditEvent.objects.filter(action="negotiations.refused", detail__code="not_approved")
    for who in ("coordinator", "coordinator2"):
        answer = clients[who].post(
            f"/negotiations/packages/{version.package_id}/approve/", {"version": version.pk}
        )
        assert answer.status_code == 302
    assert services.is_approved(version)
    answer = clients["liaison"].get(f"/negotiations/versions/{version.pk}/print/?lang=ar")
    html = answer.content.decode()
    assert answer.status_code == 200 and 'dir="rtl"' in html
    assert "ليس ضمانًا للسلامة" in html and version.content_hash in html
    page = clients["coordinator"].get(f"/negotiations/packages/{version.package_id}/")
    assert "export-json" in page.content.decode()


def test_liaison_cannot_approve_on_the_page(world: Any, clients: dict[str, Any]) -> None:
    version = package(world)
    clients["liaison"].post(
        f"/negotiations/packages/{version.package_id}/approve/", {"version": version.pk}
    )
    assert version.approvals.count() == 0


def test_api_flow_and_the_rule(world: Any, clients: dict[str, Any]) -> None:
    coordinator = clients["coordinator"]
    p = coordinator.post(
        "/api/negotiations/parties",
        {"name": "Crossing office", "kind": "local_authority", "screens_evacuees": True},
        content_type="application/json",
    )
    assert p.status_code == 201, p.content
    mov = movement(world.org, member(world, "coordinator"))
    made = clients["liaison"].post(
        "/api/negotiations/packages",
        {"movement_id": mov.pk, "party_id": p.json()["id"]},
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    version_id = made.json()["version_id"]
    refused = coordinator.get(f"/api/negotiations/versions/{version_id}/export")
    assert refused.status_code == 422 and "detail" in refused.json()
    liaison = clients["liaison"].post(f"/api/negotiations/versions/{version_id}/approve")
    assert liaison.status_code == 422
    for who in ("coordinator", "coordinator2"):
        ok = clients[who].post(f"/api/negotiations/versions/{version_id}/approve")
        assert ok.status_code == 200, ok.content
    assert ok.json()["approved"] is True
    body = clients["liaison"].get(f"/api/negotiations/versions/{version_id}/export").json()
    assert body["hash"]["value"] == PackageVersion.objects.get(pk=version_id).content_hash
    outsider = client_for(world.users["outsider"])
    assert outsider.get(f"/api/negotiations/versions/{version_id}/export").status_code in (
        403,
        404,
    )


def test_api_interaction_and_consent(world: Any, clients: dict[str, Any]) -> None:
    version = package(world)
    answer = clients["liaison"].post(
        "/api/negotiations/interactions",
        {
            "party_id": version.package.party_id,
            "at": "2026-01-01T10:00:00Z",
            "channel": "meeting",
            "asked": "Safe passage",
            "promised": "Guaranteed",
            "version_ids": [version.pk],
        },
        content_type="application/json",
    )
    assert answer.status_code == 201, answer.content
    assert answer.json()["version_ids"] == [version.pk]
    schema = clients["coordinator"].get("/api/openapi.json").json()
    assert "/api/negotiations/versions/{version_id}/approve" in schema["paths"]
    from salama.people.models import Person

    k = Person.objects.create(org=world.org, codename="K9", role="doctor")
    consent = clients["coordinator"].post(
        f"/api/negotiations/versions/{version.pk}/consents",
        {"person_id": k.pk, "decision": "yes", "how": "phone", "told": "Terms"},
        content_type="application/json",
    )
    assert consent.status_code == 201, consent.content


def test_the_movement_timeline(world: Any, clients: dict[str, Any]) -> None:
    version = package(world)
    approve_twice(world, version)
    services.export(version=version, by=member(world, "coordinator"), kind="json")
    html = (
        clients["liaison"]
        .get(f"/negotiations/movements/{version.package.movement_id}/")
        .content.decode()
    )
    assert html.count('class="event-approval"') == 2 and "event-package" in html
