"""The CAP 1.2 feed of the organisation's own alerts for its partners (docs/reports.md).

An Atom feed whose entries each carry one OASIS CAP 1.2 `<alert>`: `status` Actual, `scope`
Restricted with its `<restriction>`, one `<info>` per language (English and Arabic), times in
the CAP pattern (seconds, no fraction, a numeric offset, never "Z"), and the area no finer than
the organisation allows partners to see. What may be sent is a *kind* (salama.reports.cap_sources
registers facility closures and possible outages; incidents adds mass-casualty incidents): each
kind fixes its category and its urgency, severity and certainty, checked against the
combinations that make sense before anything is written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from xml.etree import ElementTree as ET
from zoneinfo import ZoneInfo

from django.utils import translation

from salama.accounts.models import Organisation
from salama.lib import clock
from salama.reports.options import Options, options_of

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
ATOM_NS = "http://www.w3.org/2005/Atom"
LANGUAGES = (("en", "en-GB"), ("ar", "ar"))

URGENCY = ("Immediate", "Expected", "Future", "Past", "Unknown")
SEVERITY = ("Extreme", "Severe", "Moderate", "Minor", "Unknown")
CERTAINTY = ("Observed", "Likely", "Possible", "Unlikely", "Unknown")
CATEGORIES = ("Geo", "Met", "Safety", "Security", "Rescue", "Fire", "Health", "Env",
              "Transport", "Infra", "CBRNE", "Other")  # fmt: skip


def check_combination(urgency: str, severity: str, certainty: str) -> None:
    """Refuse values outside CAP's lists and combinations that contradict themselves: an
    observed event is not in the future; an unlikely one is neither immediate nor extreme;
    something past is not extreme news for a partner to act on."""
    if urgency not in URGENCY or severity not in SEVERITY or certainty not in CERTAINTY:
        raise ValueError(f"not a CAP value: {urgency}/{severity}/{certainty}")
    if certainty == "Observed" and urgency == "Future":
        raise ValueError("an observed event is not in the future")
    if certainty == "Unlikely" and (urgency == "Immediate" or severity == "Extreme"):
        raise ValueError("an unlikely event is neither immediate nor extreme")
    if urgency == "Past" and severity == "Extreme":
        raise ValueError("a past event is not sent as extreme")


@dataclass(frozen=True)
class CapKind:
    """One kind of alert sent to partners. `texts(params, options)` runs in the language being
    written and returns (event, headline, description): counts and allowed places only."""

    key: str
    category: str
    urgency: str
    severity: str
    certainty: str
    texts: Callable[[dict[str, Any], Options], tuple[str, str, str]]

    def __post_init__(self) -> None:
        if self.category not in CATEGORIES:
            raise ValueError(f"not a CAP category: {self.category}")
        check_combination(self.urgency, self.severity, self.certainty)


@dataclass(frozen=True)
class CapItem:
    """One alert to send, as a source found it."""

    kind: str
    key: str  # stable within the kind (an alert id), so a partner sees one identifier per alert
    sent: datetime
    area_en: str = ""
    area_ar: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    expires: datetime | None = None


Source = Callable[[Organisation, datetime, Options], list[CapItem]]
KINDS: dict[str, CapKind] = {}
SOURCES: list[Source] = []


def register_kind(kind: CapKind) -> CapKind:
    KINDS[kind.key] = kind
    return kind


def register_source(source: Source) -> Source:
    if source not in SOURCES:
        SOURCES.append(source)
    return source


def cap_time(at: datetime, zone: str) -> str:
    """CAP's dateTime: 2026-12-05T18:00:00+02:00 (no fraction, never "Z")."""
    local = at.astimezone(ZoneInfo(zone)).replace(microsecond=0)
    text = local.isoformat()
    return text[:-6] + "+00:00" if text.endswith("Z") else text


def items_for(org: Organisation, now: datetime | None = None) -> list[CapItem]:
    now = now or clock.now()
    options = options_of(org)
    found: list[CapItem] = []
    for source in SOURCES:
        found.extend(source(org, now, options))
    return sorted(found, key=lambda i: (i.sent, i.kind, i.key), reverse=True)


def _sub(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, f"{{{CAP_NS}}}{tag}")
    if text is not None:
        element.text = text
    return element


def identifier(org: Organisation, item: CapItem) -> str:
    return f"salama.{org.slug}.{item.kind}.{item.key}"


def alert_element(org: Organisation, item: CapItem) -> ET.Element:
    kind = KINDS[item.kind]
    check_combination(kind.urgency, kind.severity, kind.certainty)
    options = options_of(org)
    alert = ET.Element(f"{{{CAP_NS}}}alert")
    _sub(alert, "identifier", identifier(org, item))
    _sub(alert, "sender", f"salama@{org.slug}")
    _sub(alert, "sent", cap_time(item.sent, org.time_zone))
    _sub(alert, "status", "Actual")
    _sub(alert, "msgType", "Alert")
    _sub(alert, "scope", "Restricted")
    _sub(alert, "restriction", "For the organisation's partners only; do not forward.")
    for code, language in LANGUAGES:
        with translation.override(code):
            event, headline, description = kind.texts(item.params, options)
            area = (item.area_ar or item.area_en) if code == "ar" else item.area_en
            if not area:
                area = str(translation.gettext("The organisation's area of work"))
        info = _sub(alert, "info")
        _sub(info, "language", language)
        _sub(info, "category", kind.category)
        _sub(info, "event", event)
        _sub(info, "urgency", kind.urgency)
        _sub(info, "severity", kind.severity)
        _sub(info, "certainty", kind.certainty)
        _sub(info, "eventCode")
        code_el = info[-1]
        _sub(code_el, "valueName", "salama")
        _sub(code_el, "value", kind.key)
        if item.expires is not None:
            _sub(info, "expires", cap_time(item.expires, org.time_zone))
        _sub(info, "headline", headline)
        _sub(info, "description", description)
        area_el = _sub(info, "area")
        _sub(area_el, "areaDesc", area)
    return alert


def feed_xml(org: Organisation, now: datetime | None = None) -> bytes:
    """The Atom feed: one entry per alert, its CAP alert as the entry's content."""
    now = now or clock.now()
    ET.register_namespace("", ATOM_NS)
    ET.register_namespace("cap", CAP_NS)
    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    ET.SubElement(feed, f"{{{ATOM_NS}}}id").text = f"urn:salama:{org.slug}:cap"
    ET.SubElement(feed, f"{{{ATOM_NS}}}title").text = f"Salama CAP: {org.slug}"
    ET.SubElement(feed, f"{{{ATOM_NS}}}updated").text = cap_time(now, org.time_zone)
    for item in items_for(org, now):
        entry = ET.SubElement(feed, f"{{{ATOM_NS}}}entry")
        ET.SubElement(entry, f"{{{ATOM_NS}}}id").text = "urn:" + identifier(org, item)
        ET.SubElement(entry, f"{{{ATOM_NS}}}title").text = item.kind
        ET.SubElement(entry, f"{{{ATOM_NS}}}updated").text = cap_time(item.sent, org.time_zone)
        content = ET.SubElement(entry, f"{{{ATOM_NS}}}content", type="application/cap+xml")
        content.append(alert_element(org, item))
    return bytes(ET.tostring(feed, encoding="utf-8", xml_declaration=True))
