"""What negotiations adds to lower apps' pages: next steps due on the coordinator's board, the
disclosure register on the person's page (coordinators and liaisons only), and the person's own
text-free summary."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from salama.accounts.models import Membership
from salama.lib import clock
from salama.negotiations import services
from salama.negotiations.models import Interaction
from salama.people.models import Person
from tests.conftest import client_for
from tests.negotiations.helpers import approve_twice, member, package, party

pytestmark = pytest.mark.django_db


def test_next_steps_falling_due_are_on_the_board(world: Any, clients: dict[str, Any]) -> None:
    agency = party(world, "Board agency")
    services.log_interaction(
        party=agency,
        data=services.InteractionInput(
            at=clock.now() - timedelta(hours=1),
            channel="phone",
            asked="A window",
            next_step="Secret follow-up words",
            next_due=clock.now().date() + timedelta(days=1),
        ),
        by=member(world, "liaison"),
    )
    html = clients["coordinator"].get("/safety/board/").content.decode()
    assert "negotiations-card" in html and "Board agency" in html
    assert "Secret follow-up words" not in html  # the board shows no free text
    # Done: the card goes.
    services.close_next_step(interaction=Interaction.objects.get(), by=member(world, "liaison"))
    assert "negotiations-card" not in clients["coordinator"].get("/safety/board/").content.decode()


def _shared(world: Any) -> Person:
    person = Person.objects.create(
        org=world.org,
        codename="K21",
        role="nurse",
        real_name="Fictional Person",
        membership=Membership.objects.get(user=world.users["staff"]),
    )
    version = package(world, recipient=party(world, "Named agency"))
    data = services.input_of(version)
    data.named = [services.Named(person, ("name",))]
    version = services.revise(package=version.package, data=data, by=member(world, "coordinator"))
    services.record_consent(
        person=person,
        version=version,
        decision="yes",
        told="The terms",
        how="in_person",
        by=member(world, "liaison"),
    )
    approve_twice(world, version)
    services.export(version=version, by=member(world, "coordinator"), kind="json")
    return person


def test_the_register_on_the_persons_page(world: Any, clients: dict[str, Any]) -> None:
    person = _shared(world)
    for who in ("coordinator", "liaison"):
        answer = clients[who].get(f"/people/{person.pk}/")
        if who == "coordinator":
            assert answer.status_code == 200
        if answer.status_code == 200:  # the roster page's own roles decide who reaches it
            html = answer.content.decode()
            assert "disclosure-register" in html and "Named agency" in html


def test_the_persons_own_summary_is_text_free(world: Any) -> None:
    _shared(world)
    html = client_for(world.users["staff"]).get("/negotiations/mine/").content.decode()
    assert 'id="shared-count"' in html and "UN agency" in html
    assert "Named agency" not in html and "Fictional Person" not in html
