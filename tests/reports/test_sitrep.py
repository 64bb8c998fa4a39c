"""The daily sitrep: editions from their own restricted queries, changes since the last
report, HTML and PDF in both languages with isolated dates and numbers, audited."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from salama.accounts.models import AuditEvent
from salama.reports import render, services
from salama.reports.models import Report
from tests.reports.helpers import FACILITY, build_scene, pdf_pages, pdf_text


@pytest.fixture
def scene(world: Any, roster: Any) -> Any:
    return build_scene(world, roster)


def _member(world: Any, name: str) -> Any:
    return world.users[name].memberships.get(org=world.org)


def _section(report: Report, key: str) -> dict:
    return next(p["data"] for p in services.content_of(report)["sections"] if p["key"] == key)


def test_internal_edition_counts_and_names_who_to_chase(world: Any, scene: Any) -> None:
    report = services.generate_report(org=world.org, edition="internal")
    staff = _section(report, "staff")
    assert staff["counts"]["total"] == 6
    assert staff["counts"]["INJURED"] == 1 and staff["counts"]["MISSING"] == 1
    # Heard since the event: K10, K20, K21 (self check-ins after it); K13 is decided missing
    # but still in the sweep (reported, not confirmed killed).
    assert staff["counts"]["heard_since_event"] == 3
    assert set(staff["lists"]["not_heard"]) == {"K11", "K12", "K13"}
    assert staff["lists"]["help"] == ["K21"]
    calls = _section(report, "rollcalls")["calls"]
    assert calls[0]["asked"] == 6 and calls[0]["answered"] == 0
    facilities = _section(report, "facilities")
    change = next(c for c in facilities["changes"] if c["code"] == FACILITY["code"])
    assert (change["from"], change["to"], change["direction"]) == ("full", "none", "worse")
    low = next(f for f in facilities["low"] if f["code"] == FACILITY["code"])
    assert low["stocks"][0]["stock"] == "oxygen"


def test_content_is_encrypted_at_rest(world: Any, scene: Any) -> None:
    from django.db import connection

    report = services.generate_report(org=world.org, edition="internal")
    with connection.cursor() as cursor:
        cursor.execute("select content from reports_report where id = %s", [report.pk])
        raw = cursor.fetchone()[0]
    assert "K21" not in raw and "staff" not in raw


def test_lead_edition_holds_only_the_leads_teams(world: Any, scene: Any) -> None:
    lead = _member(world, "lead")  # K10, lead of North (K10-K13)
    report = services.generate_report(org=world.org, edition="lead", lead=lead)
    staff = _section(report, "staff")
    assert staff["counts"]["total"] == 4
    text = report.content
    assert "K20" not in text and "K21" not in text
    assert _section(report, "rollcalls")["calls"][0]["asked"] == 4


def test_changes_since_the_last_report(world: Any, scene: Any) -> None:
    from salama.safety import services as safety

    first = services.generate_report(org=world.org, edition="internal")
    safety.record_checkin(
        person=scene.roster.persons["K12"], status="NEED_HELP", basis="self", channel="sms"
    )
    second = services.generate_report(org=world.org, edition="internal")
    assert second.since == first.as_of
    changes = _section(second, "staff")["changes"]
    assert changes["NEED_HELP"] == 1
    assert changes["heard_since_event"] == 1


PERSONAL = ("K10", "K11", "K12", "K13", "K20", "K21")


def _forbidden(scene: Any) -> list[str]:
    roster = scene.roster
    words = list(PERSONAL) + list(roster.names.values())
    words += [n for numbers in roster.numbers.values() for n in numbers]
    words += [n[4:] for numbers in roster.numbers.values() for n in numbers]  # national form
    words += ["Strike near the north gate", "leg, Layla knows", "a neighbour"]
    # The organisation allows no area and no facility name to partners by default.
    words += ["Al-Sukkari", "السكري", "Al-Shaar", "الشعار", "North", "South"]
    words += [FACILITY["name"], FACILITY["name_ar"], FACILITY["code"], "Test Field Hospital"]
    return words


def test_partner_edition_holds_no_personal_data(world: Any, scene: Any, tmp_path: Path) -> None:
    report = services.generate_report(org=world.org, edition="partner")
    texts = {"content": report.content}
    for lang in ("ar", "en"):
        texts[f"html-{lang}"] = render.render_html(report, lang)
        texts[f"pdf-{lang}"] = pdf_text(render.render_pdf(report, lang), tmp_path, lang)
    for label, text in texts.items():
        found = [w for w in _forbidden(scene) if w in text]
        assert not found, f"{label} holds {found}"
    staff = _section(report, "staff")
    assert staff["counts"]["INJURED"] == 1 and staff["lists"] == {} and staff["areas"] == []
    facilities = _section(report, "facilities")
    assert facilities["worse"] == 1 and facilities["low_by_stock"] == {"oxygen": 1}


def test_partner_edition_by_area_when_the_organisation_allows(world: Any, scene: Any) -> None:
    services.save_options(
        org=world.org, sitrep_hour=18, retention_days=90, area_detail="area", facility_names=True
    )
    report = services.generate_report(org=world.org, edition="partner")
    areas = {row["area"]: row for row in _section(report, "staff")["areas"]}
    assert areas["Al-Shaar"]["help"] == 1
    assert "K21" not in report.content
    named = _section(report, "facilities")["named_changes"]
    assert named[0]["name"] == FACILITY["name"]


def test_pdf_in_both_languages_keeps_dates_and_numbers_in_order(
    world: Any, scene: Any, tmp_path: Path
) -> None:
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    report = services.generate_report(org=world.org, edition="internal")
    stamp = timezone.localtime(report.as_of, timezone=ZoneInfo(world.org.time_zone)).strftime(
        "%Y-%m-%d %H:%M"
    )
    for lang in ("ar", "en"):
        body = render.render_pdf(report, lang)
        assert body.startswith(b"%PDF")
        assert 1 <= pdf_pages(body, tmp_path) <= 3
        text = pdf_text(body, tmp_path, lang)
        assert stamp in text, f"{lang}: the report time is not read in order"
        assert "K21" in text and "Q7X" in text
    arabic = pdf_text(render.render_pdf(report, "ar"), tmp_path, "ar-again")
    assert "تقرير الوضع" in arabic


def test_html_isolates_dates_numbers_and_codenames(world: Any, scene: Any) -> None:
    report = services.generate_report(org=world.org, edition="internal")
    html = render.render_html(report, "ar")
    assert '<bdi dir="ltr">K21</bdi>' in html
    assert '<bdi dir="ltr">Q7X</bdi>' in html
    assert '<bdi dir="ltr">6</bdi>' in html
    assert 'dir="rtl"' in html


def test_pages_generate_and_download_are_audited(
    world: Any, scene: Any, clients: dict[str, Any]
) -> None:
    coordinator = clients["coordinator"]
    response = coordinator.post("/reports/generate/", {"edition": "internal"})
    assert response.status_code == 302
    report = Report.objects.for_org(world.org).get()
    assert AuditEvent.objects.filter(action="reports.generated", object_id=str(report.pk)).exists()
    page = coordinator.get(f"/reports/{report.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200 and b"K21" in page.content
    pdf = coordinator.get(f"/reports/{report.pk}/ar.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    downloads = AuditEvent.objects.filter(action="reports.downloaded", object_id=str(report.pk))
    assert sorted(d.detail["format"] for d in downloads) == ["page", "pdf"]


def test_observer_reads_the_partner_edition_only(
    world: Any, scene: Any, clients: dict[str, Any]
) -> None:
    internal = services.generate_report(org=world.org, edition="internal")
    partner = services.generate_report(org=world.org, edition="partner")
    observer = clients["observer"]
    assert observer.get(f"/reports/{internal.pk}/").status_code == 404
    assert observer.get(f"/reports/{partner.pk}/").status_code == 200
    refused = observer.post("/reports/generate/", {"edition": "internal"})
    assert refused.status_code == 302
    assert not Report.objects.filter(edition="internal").exclude(pk=internal.pk).exists()
    lead = clients["lead"]
    assert lead.get(f"/reports/{internal.pk}/").status_code == 404


def test_unknown_edition_is_refused_with_a_message(world: Any) -> None:
    with pytest.raises(services.ReportError):
        services.generate_report(org=world.org, edition="press")
    assert not Report.objects.exists()
    assert json.dumps(services.content_of(Report(content="")))


def test_dashboard_headline_map_layers_and_days(
    world: Any, scene: Any, clients: dict[str, Any]
) -> None:
    from salama.reports import dashboard

    found = dashboard.dashboard(world.org)
    assert found["summary"].total == 6
    assert len(found["days"]) == dashboard.DAYS
    q7x = next(f for f in found["facilities"] if f[6] == FACILITY["code"])
    # Two days ago it was fully functioning; now it is not.
    assert q7x[7][-1] == "none" and "full" in q7x[7][:-1]
    page = clients["coordinator"].get("/reports/dashboard/")
    assert page.status_code == 200
    assert b'id="dash-map"' in page.content and b'id="dash-day"' in page.content
    assert clients["staff"].get("/reports/dashboard/").status_code == 403
    observer = clients["observer"].get("/reports/dashboard/")  # counts only, no facility
    assert observer.status_code == 200 and b'id="dash-day"' not in observer.content
    assert observer.context["data"]["facilities"] == []
