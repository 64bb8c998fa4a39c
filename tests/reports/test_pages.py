"""The report pages in both languages: settings with a translated error on bad input (nothing
written), a field lead's own edition, token revocation, and the index and sitrep pages with
their dates and numbers isolated."""

from __future__ import annotations

from typing import Any

from salama.accounts.models import AuditEvent
from salama.reports.models import PartnerToken, Report
from salama.reports.options import options_of
from tests.conftest import without_tokens
from tests.reports.helpers import build_scene


def test_settings_refuse_bad_input_in_arabic_and_keep_the_old_values(
    world: Any, coordinator: Any
) -> None:
    response = coordinator.post(
        "/reports/settings/",
        {"sitrep_hour": 31, "retention_days": 90, "area_detail": "area"},
    )
    assert response.status_code == 200
    world.org.refresh_from_db()
    assert options_of(world.org).sitrep_hour == 18 and options_of(world.org).area_detail == "org"
    saved = coordinator.post(
        "/reports/settings/",
        {"sitrep_hour": 7, "retention_days": 30, "area_detail": "area", "facility_names": "on"},
    )
    assert saved.status_code == 302
    world.org.refresh_from_db()
    assert options_of(world.org).sitrep_hour == 7 and options_of(world.org).facility_names
    assert AuditEvent.objects.filter(action="reports.settings").count() == 1


def test_a_field_lead_writes_and_reads_the_lead_edition(
    world: Any, roster: Any, clients: dict[str, Any]
) -> None:
    build_scene(world, roster)
    lead = clients["lead"]
    assert lead.post("/reports/generate/", {"edition": "internal"}).status_code == 302
    assert not Report.objects.exists()  # a lead may not write the internal edition
    response = lead.post("/reports/generate/", {"edition": "lead"})
    report = Report.objects.get()
    assert report.edition == "lead" and response["Location"].endswith(f"/reports/{report.pk}/")
    page = lead.get(f"/reports/{report.pk}/")
    assert "K11" in without_tokens(page.content) and "K21" not in without_tokens(page.content)
    # Coordinators read every edition; field staff read none.
    assert clients["coordinator"].get(f"/reports/{report.pk}/").status_code == 200
    assert clients["staff"].get(f"/reports/{report.pk}/").status_code == 403


def test_index_and_sitrep_page_in_arabic_isolate_dates(
    world: Any, roster: Any, coordinator: Any
) -> None:
    build_scene(world, roster)
    coordinator.post("/reports/generate/", {"edition": "internal"})
    report = Report.objects.get()
    user = world.users["coordinator"]
    user.language = "ar"
    user.save(update_fields=["language"])
    for url in ("/reports/", f"/reports/{report.pk}/"):
        body = coordinator.get(url).content.decode()
        assert 'dir="rtl"' in body
        stamps = [m for m in body.split('<bdi dir="ltr">')[1:] if m[:4].isdigit()]
        assert stamps, url


def test_an_org_admin_revokes_a_partner_token(world: Any, clients: dict[str, Any]) -> None:
    admin = clients["org_admin"]
    admin.post("/reports/partner-tokens/", {"name": "Cluster"})
    token = PartnerToken.objects.get()
    admin.post("/reports/partner-tokens/", {"revoke": token.pk})
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert clients["coordinator"].get("/reports/partner-tokens/").status_code == 403
