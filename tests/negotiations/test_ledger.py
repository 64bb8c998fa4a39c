"""E2's last "done when": every exported package version is appended to the evidence ledger
(L1), once, with its hash, so the exact notice and its time verify offline."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command

from salama.evidence.models import Entry
from salama.negotiations import services
from salama.negotiations.ledger import LEDGER_KIND
from tests.negotiations.helpers import member, package

pytestmark = pytest.mark.django_db


def test_an_exported_version_is_in_the_ledger_once(world: Any) -> None:
    version = package(world)
    services.approve(version=version, by=member(world, "coordinator"))
    assert not Entry.objects.filter(kind=LEDGER_KIND).exists()  # approval alone: nothing sent
    services.approve(version=version, by=member(world, "coordinator2"))
    services.export(version=version, by=member(world, "coordinator"), kind="json")
    services.export(version=version, by=member(world, "coordinator"), kind="page")
    entries = Entry.objects.filter(kind=LEDGER_KIND, record_id=version.package_id)
    assert [(e.version, e.org_id) for e in entries] == [(version.number, world.org.pk)]
    out = io.StringIO()
    call_command("evidence", "verify", stdout=out)
    assert f"ledger {world.org.pk}: 1 entries" in out.getvalue()  # and it verifies (no error)
