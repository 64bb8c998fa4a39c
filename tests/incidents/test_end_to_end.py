"""I1 end to end, in real Chromium and in both languages: a text `ATTACK` report (the command
turned on) arrives through the signed inbound webhook of the local gateway and becomes a draft
partner report; a coordinator consolidates it with a second partner report, lists sources,
verifies the incident in the browser and accepts the facility status it proposes; the public
export changes. Under `make screenshots`, refreshes docs/screenshots/incidents-*.png."""

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from salama.facilities.models import FacilityStatus
from salama.incidents import export, services
from salama.incidents.models import Incident, Report
from salama.incidents.validation import ReportData
from salama.messaging.models import InboundMessage
from tests.conftest import log_in, screenshot
from tests.facilities.helpers import make_facility
from tests.incidents.helpers import yesterday
from tests.messaging.test_gateways import sign_json
from tests.messaging.text_helpers import NUMBERS, LocalGateway, json_gateway, make_roster

pytestmark = pytest.mark.browser


def _public_rows(org: Any) -> list[list[str]]:
    lines = export.csv_lines(export.public_columns(org), export.public_records(org), tagged=True)
    return list(csv.reader(io.StringIO("".join(lines))))[2:]


def _text_in(gateway: Any, body: str) -> None:
    url = reverse("messaging:hook_inbound", kwargs={"gateway_key": gateway.key})
    raw = json.dumps({"id": "in-attack-1", "from": NUMBERS["k1"], "text": body}).encode()
    answer = Client().post(url, data=raw, content_type="application/json",
                           **sign_json("hook-secret-1", raw))  # fmt: skip
    assert answer.status_code == 200


@pytest.mark.parametrize("language", ["en", "ar"])
def test_a_text_report_is_consolidated_verified_and_published(
    page: Any, live_world: Any, language: str, tmp_path: Path
) -> None:
    roster = make_roster(live_world)
    roster.k1.language = language
    roster.k1.save()
    facility = make_facility(roster.org, roster.sukkari)
    services.set_attack_command(org=roster.org, on=True)
    gateway_server = LocalGateway()
    try:
        gateway = json_gateway(roster.org, gateway_server.url)
        _text_in(gateway, "ATTACK Sukkari shelling hit the surgical clinic, 2 dead")
    finally:
        gateway_server.close()
    text_report = Report.objects.get()
    assert text_report.channel == "sms" and text_report.incident is None
    assert str(text_report.raw_text).startswith("ATTACK Sukkari")
    assert InboundMessage.objects.get().action == "attack_report"
    partner = services.create_report(
        org=roster.org, channel="api",
        data=ReportData(
            occurred_on=yesterday(), area=roster.sukkari, attack_types=["heavy_weapons"],
            facility=facility, facility_type="secondary", damage="partial",
            functionality="partial", resources={"facility": "yes"},
            victims={"killed_provider": 2, "killed_total": 2, "injured_total": 4},
        ),
    )  # fmt: skip
    assert _public_rows(roster.org) == []

    log_in(page, "coordinator")
    if language == "ar":
        page.click("button[name=language][value=ar]")
        page.wait_for_selector("html[dir=rtl]")
    page.goto("/incidents/")
    page.check(f"#report-{text_report.number}")
    page.check(f"#report-{partner.number}")
    screenshot(page, f"incidents-queue-{language}.png", tmp_path, full_page=True)
    page.click("#consolidate")
    page.wait_for_selector("#certainty")
    incident = Incident.objects.get()
    assert incident.reports.count() == 2 and incident.killed_total == 2
    for kind in ("eyewitness_told", "photo"):
        page.select_option("#source-kind", kind)
        page.click("#add-source")
        page.wait_for_load_state()
    page.select_option("#move-to", "under_review")
    page.click("#move-submit")
    page.wait_for_selector("#state.state-under_review")
    page.select_option("#move-to", "verified")
    page.click("#move-submit")
    page.wait_for_selector("#state.state-verified")
    assert page.locator("#why li").count() >= 2
    screenshot(page, f"incidents-incident-{language}.png", tmp_path, full_page=True)
    page.select_option("#proposal-functionality", "partial")
    page.click("#proposal-accept")
    page.wait_for_load_state()
    assert page.locator("#proposal").count() == 0

    incident.refresh_from_db()
    assert incident.state == "verified" and incident.certainty == "confirmed"
    assert FacilityStatus.objects.get(facility=facility).functionality == "partial"
    rows = _public_rows(roster.org)
    assert len(rows) == 1 and rows[0][0] == str(incident.number) and "confirmed" in rows[0]

    phone = page.context.browser.new_context(
        base_url=page.url.split("/incidents")[0], viewport={"width": 360, "height": 640},
        is_mobile=True, has_touch=True,
    )  # fmt: skip
    tab = phone.new_page()
    log_in(tab, "staff")
    tab.goto("/incidents/report/")
    assert tab.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scroll
    phone.close()
