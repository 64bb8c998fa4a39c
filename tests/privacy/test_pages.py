"""The data-protection page: settings for org admins, read-only for coordinators."""

from typing import Any

import pytest
from django.urls import reverse

from salama.accounts.models import AuditEvent, Organisation
from salama.privacy import policy

pytestmark = pytest.mark.django_db


def test_org_admin_sets_retention_and_the_reveal_limit(world: Any, clients: dict[str, Any]) -> None:
    page = clients["org_admin"].get(reverse("privacy:overview"))
    assert page.status_code == 200 and b'id="privacy-settings"' in page.content
    values = {spec.key: spec.default for spec in policy.SETTINGS}
    values |= {"retention_exact_location_hours": 24, "reveal_watch_limit": 4}
    response = clients["org_admin"].post(reverse("privacy:save_settings"), values)
    assert response.status_code == 302
    org = Organisation.objects.get(pk=world.org.pk)
    assert policy.value(org, "retention_exact_location_hours") == 24
    assert policy.value(org, "reveal_watch_limit") == 4
    assert AuditEvent.objects.filter(action="privacy.settings").exists()


def test_bad_values_are_refused_with_nothing_saved(world: Any, clients: dict[str, Any]) -> None:
    values = {spec.key: spec.default for spec in policy.SETTINGS} | {"retention_inbound_days": 0}
    response = clients["org_admin"].post(reverse("privacy:save_settings"), values)
    assert response.status_code == 400
    assert "retention_inbound_days" not in Organisation.objects.get(pk=world.org.pk).settings


def test_coordinators_read_and_cannot_change(world: Any, clients: dict[str, Any]) -> None:
    page = clients["coordinator"].get(reverse("privacy:overview"))
    assert page.status_code == 200 and b"purge-link" not in page.content
    assert clients["coordinator"].post(reverse("privacy:save_settings"), {}).status_code == 403


def test_page_in_arabic(world: Any, clients: dict[str, Any]) -> None:
    client = clients["org_admin"]
    client.post(reverse("accounts:set_language"), {"language": "ar", "next": "/"})
    page = client.get(reverse("privacy:overview")).content.decode()
    assert "حماية البيانات" in page
