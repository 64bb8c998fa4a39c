"""The field page on a searched phone (issue 22, O1): the live page, its offline shell, its
service worker and its manifest name neither the organisation nor any other it belongs to; the
title is the organisation's neutral label (never one that names it); the manifest lists neutral
PNG icons at 192 and 512 pixels, served as PNG of that size; org admins set the `field_*`
settings on a page and over the API, through one checked and audited service."""

import json
import re
import struct
from typing import Any

import pytest
from django.test import Client

from salama.accounts.models import AuditEvent, Membership, Organisation
from salama.safety import offline

pytestmark = pytest.mark.django_db

FIELD_URLS = ("/safety/", "/safety/offline/", "/safety/manifest.webmanifest", "/safety/sw.js")


def names_an_org(text: str, *orgs: Organisation) -> list[str]:
    folded = text.casefold()
    return [w for o in orgs for w in (o.name, o.slug) if w.casefold() in folded]


def title_of(html: str) -> str:
    found = re.search(r"<title>(.*?)</title>", html, re.S)
    assert found, html[:300]
    return found.group(1).strip()


def speaking(user: Any, lang: str) -> None:
    """The user's own language (it wins over the browser's)."""
    user.language = lang
    user.save(update_fields=["language"])


def body(response: Any) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return str(response.content.decode())


def test_field_page_shell_worker_and_manifest_name_no_organisation(
    clients: dict[str, Client], team: Any, world: Any
) -> None:
    # The staff member also belongs to another organisation: the switcher would name it.
    Membership.objects.create(user=world.users["staff"], org=world.other_org, role="staff")
    for lang in ("en", "ar"):
        speaking(world.users["staff"], lang)
        for url in FIELD_URLS:
            answer = clients["staff"].get(url)
            assert answer.status_code == 200, (url, answer.status_code)
            text = body(answer)
            assert names_an_org(text, world.org, world.other_org) == [], (url, lang)
    # Arabic: the neutral word in Arabic.
    assert title_of(body(clients["staff"].get("/safety/"))) == "ملاحظات"
    speaking(world.users["staff"], "en")
    page = body(clients["staff"].get("/safety/"))
    assert title_of(page) == "Notes"
    assert re.search(r'class="brand"[^>]*>Notes</a>', page)
    assert 'id="btn-safe"' in page and "You are K10." in page  # still the field page
    assert title_of(body(clients["staff"].get("/safety/offline/"))) == "Notes"
    manifest = clients["staff"].get("/safety/manifest.webmanifest").json()
    assert (manifest["name"], manifest["short_name"]) == ("Notes", "Notes")
    # Elsewhere the organisation's name is shown as before (the check above is not vacuous).
    other_page = body(clients["staff"].get("/safety/pin/"))
    assert names_an_org(other_page, world.org) == []
    assert world.org.name in body(clients["coordinator"].get("/safety/board/"))


def test_the_organisations_label_is_the_title_unless_it_names_the_organisation(
    clients: dict[str, Client], team: Any, world: Any
) -> None:
    world.org.settings = {**world.org.settings, "field_app_name": "Garden diary"}
    world.org.save(update_fields=["settings"])
    assert title_of(body(clients["staff"].get("/safety/"))) == "Garden diary"
    assert title_of(body(clients["staff"].get("/safety/offline/"))) == "Garden diary"
    assert clients["staff"].get("/safety/manifest.webmanifest").json()["name"] == "Garden diary"
    # A label that names the organisation (set before it was checked) is not shown.
    world.org.settings = {**world.org.settings, "field_app_name": "relief union notes"}
    world.org.save(update_fields=["settings"])
    for url in FIELD_URLS:
        assert names_an_org(body(clients["staff"].get(url)), world.org) == [], url
    assert clients["staff"].get("/safety/manifest.webmanifest").json()["name"] == "Notes"


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.mark.parametrize("icon", offline.ICONS)
def test_manifest_lists_png_icons_of_192_and_512_served_as_png(
    clients: dict[str, Client], team: Any, world: Any, icon: str
) -> None:
    world.org.settings = {**world.org.settings, "field_app_icon": icon}
    world.org.save(update_fields=["settings"])
    manifest = clients["staff"].get("/safety/manifest.webmanifest").json()
    pngs = {i["sizes"]: i for i in manifest["icons"] if i["type"] == "image/png"}
    assert set(pngs) == {"192x192", "512x512"}
    assert any(i["type"] == "image/svg+xml" for i in manifest["icons"])
    for sizes, entry in pngs.items():
        assert f"/{icon}-" in entry["src"] and "any" in entry["purpose"]
        answer = Client().get(entry["src"])  # static files: no login needed
        assert answer.status_code == 200, entry["src"]
        assert answer["Content-Type"] == "image/png"
        side = int(sizes.split("x")[0])
        assert png_size(b"".join(answer.streaming_content)) == (side, side)


# --- The settings: page, API, one service --------------------------------------------------


def field_settings(org: Organisation) -> dict[str, Any]:
    org.refresh_from_db()
    return {k: v for k, v in org.settings.items() if k.startswith("field_")}


GOOD = {
    "app_name": "Garden diary",
    "app_icon": "leaf",
    "sms_number": "0944 123 456",
    "sms_after_minutes": 20,
    "lock_minutes": 5,
}


def test_org_admin_saves_the_field_settings_on_the_page(
    clients: dict[str, Client], world: Any
) -> None:
    admin = clients["org_admin"]
    page = body(admin.get("/safety/field-settings/"))
    assert 'id="field-settings"' in page and 'value="15"' in page  # the defaults
    assert 'id="nav-field-settings"' in page  # linked in the settings section
    answer = admin.post("/safety/field-settings/", GOOD)
    assert answer.status_code == 302
    assert field_settings(world.org) == {
        "field_app_name": "Garden diary",
        "field_app_icon": "leaf",
        "field_sms_number": "+963944123456",
        "field_sms_after_minutes": 20,
        "field_lock_minutes": 5,
    }
    event = AuditEvent.objects.get(org_id=world.org.pk, action="field.settings")
    assert "Garden" not in json.dumps(event.detail)  # codes and numbers only
    assert "field_app_name" in event.detail["changed"]
    assert title_of(body(clients["staff"].get("/safety/offline/"))) == "Garden diary"


def test_bad_field_settings_are_refused_whole_with_translated_errors(
    clients: dict[str, Client], world: Any
) -> None:
    admin = clients["org_admin"]
    bad = {**GOOD, "app_name": "Relief Union field", "sms_number": "12", "lock_minutes": 0}
    answer = admin.post("/safety/field-settings/", bad)
    assert answer.status_code == 200 and "errorlist" in body(answer)  # the form's own check
    assert field_settings(world.org) == {}
    assert not AuditEvent.objects.filter(action="field.settings").exists()
    # The service's own errors, all at once (the form lets through what only it checks).
    bad = {**GOOD, "app_name": "Relief Union field", "sms_number": "12"}
    answer = admin.post("/safety/field-settings/", bad)
    text = body(answer)
    assert "must not name the organisation" in text and "phone number is not valid" in text
    speaking(world.users["org_admin"], "ar")
    arabic = body(admin.post("/safety/field-settings/", bad))
    assert "must not name the organisation" not in arabic and "errorlist" in arabic
    assert "اسمَ المنظمة" in arabic
    assert field_settings(world.org) == {}


def test_only_an_org_admin_may_change_the_field_settings(clients: dict[str, Client]) -> None:
    for persona in ("coordinator", "staff", "lead"):
        assert clients[persona].get("/safety/field-settings/").status_code == 403
        assert clients[persona].post("/safety/field-settings/", GOOD).status_code == 403
        nav = body(clients[persona].get("/"))
        assert 'id="nav-field-settings"' not in nav


def put(client: Client, data: dict[str, Any]) -> Any:
    return client.put("/api/field/settings", json.dumps(data), content_type="application/json")


def test_the_api_saves_the_field_settings_through_the_same_service(
    clients: dict[str, Client], world: Any
) -> None:
    admin = clients["org_admin"]
    before = admin.get("/api/field/settings").json()
    assert before["shown_name"] == "Notes" and before["sms_after_minutes"] == 15
    answer = put(admin, {**GOOD, "sms_number": "1234"})
    assert answer.status_code == 200, answer.content
    assert answer.json()["shown_name"] == "Garden diary"
    assert field_settings(world.org)["field_sms_number"] == "1234"  # a short code
    assert AuditEvent.objects.filter(org_id=world.org.pk, action="field.settings").count() == 1
    bad = put(admin, {**GOOD, "app_name": "RELIEF"})
    assert bad.status_code == 422 and "must not name the organisation" in bad.json()["detail"]
    speaking(world.users["org_admin"], "ar")
    arabic = put(admin, {**GOOD, "app_icon": "logo"})
    assert arabic.status_code == 422 and "Choose one" not in arabic.json()["detail"]
    assert "الأيقونات" in arabic.json()["detail"]
    assert field_settings(world.org)["field_app_icon"] == "leaf"
    assert put(clients["coordinator"], GOOD).status_code == 403
    assert clients["coordinator"].get("/api/field/settings").status_code == 403
