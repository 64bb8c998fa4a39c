"""R1 in real Chromium, in both languages: the dashboard's map draws its layers with no CSP
violation or script error, the time slider recolours a facility as it was days ago, and the
sitrep page shows the report. Under `make screenshots`, refreshes
docs/screenshots/reports-dashboard-*.png."""

from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from salama.facilities import services
from salama.lib import clock
from tests.conftest import log_in, screenshot
from tests.facilities.helpers import make_facility
from tests.people.factories import build_roster

pytestmark = pytest.mark.browser
RED, GREEN = "#b3261e", "#1e7b45"  # none, full: salama/reports/static/reports/dashboard.js


@pytest.mark.parametrize("language", ["en", "ar"])
def test_dashboard_layers_and_time_slider(
    page: Any, live_server: Any, live_world: Any, language: str, tmp_path: Path
) -> None:
    roster = build_roster(live_world)
    facility = make_facility(live_world.org, roster.areas["sukkari"])
    services.record_update(facility=facility, channel="page", functionality="full",
                           observed_at=clock.now() - timedelta(days=3))  # fmt: skip
    services.record_update(facility=facility, channel="page", functionality="none")
    log_in(page, "coordinator")
    if language == "ar":
        page.click("button[name=language][value=ar]")
        page.wait_for_selector("html[dir=rtl]")
    page.goto("/reports/dashboard/")
    page.wait_for_selector("#dash-map[data-ready='1']")
    assert page.locator(".leaflet-control-layers-overlays label").count() == 4
    assert page.locator(f"#dash-map path.leaflet-interactive[stroke='{RED}']").count() == 1
    page.fill("#dash-day", "5")  # the end of yesterday: it was fully functioning
    page.dispatch_event("#dash-day", "input")
    assert page.locator(f"#dash-map path.leaflet-interactive[stroke='{GREEN}']").count() == 1
    assert page.locator(f"#dash-map path.leaflet-interactive[stroke='{RED}']").count() == 0
    yesterday = (clock.now() - timedelta(days=1)).astimezone(ZoneInfo(live_world.org.time_zone))
    assert page.text_content("#dash-day-label") == yesterday.strftime("%Y-%m-%d")
    screenshot(page, f"reports-dashboard-{language}.png", tmp_path, full_page=True)


LAYER_NAMES = {  # areas and facilities take whichever app's Arabic comes first
    "en": ["Areas", "Facilities", "Incidents on health care", "Movements in progress"],
    "ar": ["المناطق", None, "الحوادث على الرعاية الصحية", "عمليات النقل الجارية"],
}


def _in_language(page: Any, language: str) -> None:
    if language == "ar":
        page.click("button[name=language][value=ar]")
        page.wait_for_selector("html[dir=rtl]")


@pytest.mark.parametrize("width", [1280, 360])
@pytest.mark.parametrize("language", ["en", "ar"])
def test_dashboard_incident_and_movement_layers(
    page: Any, live_server: Any, live_world: Any, language: str, width: int, tmp_path: Path
) -> None:
    """No tile server: the area outline, the incidents at their areas' centres and the movement
    between two areas are drawn; each layer turns off from the control, named in the language."""
    from tests.reports.test_dashboard_layers import build_layers_scene

    build_layers_scene(live_world, build_roster(live_world))
    page.set_viewport_size({"width": width, "height": 800})
    log_in(page, "coordinator")
    _in_language(page, language)
    page.goto("/reports/dashboard/")
    page.wait_for_selector("#dash-map[data-ready='1']")
    names = page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
    for name, expected in zip(names, LAYER_NAMES[language], strict=True):
        assert name.strip() == expected or (expected is None and "Facilities" not in name)
    assert page.locator("#dash-map path.dash-outline").count() == 1
    assert page.locator("#dash-map path.dash-incident").count() == 2
    assert page.locator("#dash-map path.dash-movement").count() == 1
    page.hover("#dash-map path.dash-movement")
    tip = page.locator(".leaflet-tooltip").last.inner_text()
    assert "3" in tip and ("Al-Sukkari" in tip if language == "en" else "السكري" in tip)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    screenshot(page, f"reports-dashboard-layers-{language}-{width}.png", tmp_path, full_page=True)
    page.locator(".leaflet-control-layers-overlays input").nth(2).uncheck()
    assert page.locator("#dash-map path.dash-incident").count() == 0
    page.locator(".leaflet-control-layers-overlays input").nth(3).uncheck()
    assert page.locator("#dash-map path.dash-movement").count() == 0


@pytest.mark.parametrize("language", ["en", "ar"])
def test_dashboard_for_an_observer_draws_counts_only(
    page: Any, live_server: Any, live_world: Any, language: str
) -> None:
    from tests.reports.test_dashboard_layers import build_layers_scene

    build_layers_scene(live_world, build_roster(live_world))
    log_in(page, "observer")
    _in_language(page, language)
    page.goto("/reports/dashboard/")
    page.wait_for_selector("#dash-map[data-ready='1']")
    assert page.locator(".leaflet-control-layers-overlays label").count() == 4
    assert page.locator("#dash-map path.leaflet-interactive").count() == 0  # nothing placed
    assert page.locator("#dash-day").count() == 0
    text = page.inner_text("#dash-headline")
    assert "Al-Sukkari" not in text and "السكري" not in text


def test_an_export_downloads_with_its_progress_shown(
    page: Any, live_server: Any, live_world: Any, tmp_path: Path
) -> None:
    build_roster(live_world)
    log_in(page, "coordinator")
    page.goto("/reports/exports/")
    with page.expect_download() as waiting:
        page.click("a[data-export='salama-roster-public.csv']")
    download = waiting.value
    assert download.suggested_filename == "salama-roster-public.csv"
    body = Path(download.path()).read_bytes().decode("utf-8")
    assert body.startswith("\ufefftotal,") and "#indicator+staff+total+num" in body
    page.wait_for_selector("#export-progress-text[data-state='done']")
    assert page.locator("#export-progress").get_attribute("value") == "1"
