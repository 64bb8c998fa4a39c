"""A scene for the report tests, on the shared small roster (tests/people/factories.py): an
event an hour ago, some check-ins since, a decision, a roll call, and a facility that stopped
functioning (with a low stock). All fictional."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from salama.facilities import services as facility_services
from salama.facilities.services import StockInput
from salama.lib import clock
from salama.people.models import Facility
from salama.rollcalls import services as rollcall_services
from salama.safety import services as safety_services
from tests.facilities.helpers import CODE, NAME, NAME_AR, make_facility

PDFTOTEXT = shutil.which("pdftotext") or "/usr/bin/pdftotext"


@dataclass
class Scene:
    roster: Any
    facility: Facility
    event: Any


def build_scene(world: Any, roster: Any) -> Scene:
    now = clock.now()
    facility = make_facility(world.org, roster.areas["sukkari"])
    facility_services.record_update(
        facility=facility, channel="page", observed_at=now - timedelta(days=2),
        functionality="full", stocks={"oxygen": StockInput(days=5)},
    )  # fmt: skip
    event = safety_services.open_event(
        org=world.org, label="Strike near the north gate", started_at=now - timedelta(hours=3)
    )
    p = roster.persons
    # The roll call is launched under the latest event: heard-from counts from it.
    rollcall_services.open_roll_call(
        org=world.org, question="Are you well?", event=event,
        target=rollcall_services.Target(persons=tuple(x.pk for x in p.values())),
        deadline_at=now + timedelta(hours=1),
    )  # fmt: skip
    safety_services.record_checkin(person=p["K10"], status="SAFE", basis="self", channel="sms")
    safety_services.record_checkin(person=p["K20"], status="SAFE", basis="self", channel="sms")
    safety_services.record_checkin(
        person=p["K21"], status="INJURED", basis="self", channel="sms", note="leg, Layla knows"
    )
    coordinator = world.users["coordinator"].memberships.get(org=world.org)
    safety_services.make_decision(
        person=p["K13"], kind="MISSING", certainty="reported", source="a neighbour",
        reason="not seen since the strike", made_by=coordinator, confirm_recent=True,
    )  # fmt: skip
    facility_services.record_update(
        facility=facility, channel="page", observed_at=now - timedelta(minutes=30),
        functionality="none", stocks={"oxygen": StockInput(days=0.5)},
    )  # fmt: skip
    return Scene(roster=roster, facility=facility, event=event)


def pdf_text(body: bytes, tmp_path: Path, name: str = "sitrep") -> str:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(body)
    out = subprocess.run(
        [PDFTOTEXT, "-layout", "-enc", "UTF-8", str(path), "-"],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return out.stdout


def pdf_pages(body: bytes, tmp_path: Path) -> int:
    path = tmp_path / "count.pdf"
    path.write_bytes(body)
    out = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True)
    line = next(x for x in out.stdout.splitlines() if x.startswith("Pages:"))
    return int(line.split()[1])


FACILITY = {"code": CODE, "name": NAME, "name_ar": NAME_AR}


def pdf_words(body: bytes, tmp_path: Path) -> list[tuple[str, float, float]]:
    """Every word of the PDF's first page as drawn: (text, x, y), from `pdftotext -bbox`."""
    import html
    import re

    path = tmp_path / "words.pdf"
    path.write_bytes(body)
    out = subprocess.run(
        [PDFTOTEXT, "-bbox", "-f", "1", "-l", "1", str(path), "-"],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    pattern = r'<word xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>([^<]*)</word>'
    return [(html.unescape(t), float(x), float(y)) for x, y, t in re.findall(pattern, out.stdout)]
