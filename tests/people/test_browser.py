"""Real Chromium: creating a person with two numbers (one shared) in both languages, and the
areas map with tiles from a local tile server, zoomed, with no CSP violation (the `page`
fixture fails the test on any console error)."""

import copy
import struct
import threading
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from salama.people import services
from tests.conftest import log_in

pytestmark = pytest.mark.browser


def png_tile() -> bytes:
    """A 256×256 grey PNG, made here."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + b"\xd0\xd8\xe0" * 256 for _ in range(256))
    header = struct.pack(">IIBBBBB", 256, 256, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def tile_server() -> Iterator[tuple[str, list[str]]]:
    tile = png_tile()
    requests: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            requests.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(tile)))
            self.end_headers()
            self.wfile.write(tile)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", requests
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("language", ["en", "ar"])
def test_create_a_person_with_two_numbers_and_find_them(
    page: Any, live_world: Any, language: str
) -> None:
    services.save_team(org=live_world.org, name="North")
    log_in(page, "coordinator")
    page.goto("/people/new/")
    if language == "ar":
        page.click("button[name=language][value=ar]")
        page.wait_for_selector("html[dir=rtl]")
        assert page.locator("h1").inner_text() == "إضافة شخص"
    codename = f"BR{language.upper()}1"
    page.fill("#id_codename", codename)
    page.select_option("#id_role", "nurse")
    page.select_option("#id_team", label="North")
    page.fill("#id_new-0-value", "0944 555 101")
    page.fill("#id_new-1-value", "+963 944 555 102")
    page.check("#id_new-1-is_shared")
    page.click("#person-form button[type=submit]")
    page.wait_for_selector("#contact-points")
    rows = page.locator("#contact-points tbody tr")
    assert rows.count() == 2
    assert "555" not in page.content()
    page.goto("/people/")
    page.fill("#id_q", codename.lower())
    page.click("#roster-search button[type=submit]")
    page.wait_for_url("**q=*")
    found = page.locator("#roster tbody tr")
    assert found.count() == 1 and codename in found.inner_text()


def test_map_zooms_with_local_tiles_and_no_csp_violation(
    page: Any, live_world: Any, settings: Any, tile_server: tuple[str, list[str]]
) -> None:
    origin, requests = tile_server
    settings.MAP_TILE_URL = origin + "/{z}/{x}/{y}.png"
    # settings.py adds the tile origin to img-src when it is imported; do the same here.
    policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    policy["DIRECTIVES"]["img-src"] = [*policy["DIRECTIVES"]["img-src"], origin]
    settings.CONTENT_SECURITY_POLICY = policy
    services.save_area(
        org=live_world.org,
        name_en="Al-Sukkari",
        name_ar="السكري",
        latitude=36.1805,
        longitude=37.1575,
    )
    services.save_area(
        org=live_world.org,
        name_en="Al-Shaar",
        name_ar="الشعار",
        latitude=36.2075,
        longitude=37.1760,
        polygon={
            "type": "Polygon",
            "coordinates": [[[37.17, 36.20], [37.18, 36.20], [37.18, 36.21], [37.17, 36.20]]],
        },
    )
    log_in(page, "coordinator")
    page.goto("/people/areas/")
    page.wait_for_selector("#map[data-ready='1']")
    page.wait_for_selector(".leaflet-tile-loaded")
    zoom_before = page.evaluate("document.getElementById('map').leafletMap.getZoom()")
    seen = len(requests)
    page.click(".leaflet-control-zoom-in")
    loaded = f".leaflet-tile-loaded[src*='/{zoom_before + 1}/']"
    # Waiting on a selector, not a JS predicate: wait_for_function evaluates a string in the
    # page, which the strict CSP (no unsafe-eval) refuses.
    page.wait_for_selector(loaded)
    zoom = page.evaluate("document.getElementById('map').leafletMap.getZoom()")
    assert zoom == zoom_before + 1
    assert len(requests) > seen
    assert any(path.startswith(f"/{zoom_before + 1}/") for path in requests)
    assert page.locator(".leaflet-interactive").count() >= 3  # two points and one outline


def test_map_without_tiles_still_shows_areas(page: Any, live_world: Any, settings: Any) -> None:
    settings.MAP_TILE_URL = ""
    services.save_area(
        org=live_world.org,
        name_en="Al-Sukkari",
        name_ar="السكري",
        latitude=36.1805,
        longitude=37.1575,
    )
    log_in(page, "coordinator")
    page.goto("/people/areas/")
    page.wait_for_selector("#map[data-ready='1']")
    assert page.locator(".leaflet-tile").count() == 0
    assert page.locator(".leaflet-interactive").count() == 1
