"""The incidents, evacuation and negotiations sections: each edition's data from its own
restricted query; the partner edition holds no withheld incident field, no codename, name or
number; the sitrep renders them in Arabic and English."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from salama.accounts.models import Membership
from salama.evacuation import services as evac
from salama.lib import clock
from salama.negotiations import services as nego
from salama.people.models import Area
from salama.reports import render, services
from salama.reports.models import Report
from tests.evacuation.helpers import party as crossing_party
from tests.evacuation.helpers import ready, request_for
from tests.incidents.helpers import Place, report, verified
from tests.reports.helpers import build_scene, pdf_text

SECRET_NARRATIVE = "Two nurses of the surgical ward were killed."
SECRET_PERPETRATOR = "unknown armed group"
SECRET_LOCATION = "east gate"
RUMOUR_NARRATIVE = "A rumour about the bakery road."
NEXT_STEP = "Call the liaison officer about the crossing"
ASKED = "Open the northern crossing for two ambulances"


def _member(world: Any, name: str) -> Membership:
    return Membership.objects.get(user=world.users[name], org=world.org)


@pytest.fixture
def scene(world: Any, roster: Any) -> Any:
    return build_scene(world, roster)


@pytest.fixture
def place(world: Any, scene: Any) -> Place:
    areas = {a.name_en: a for a in Area.objects.for_org(world.org)}
    return Place(
        world.org, areas, scene.facility, _member(world, "coordinator"), _member(world, "staff")
    )


@pytest.fixture
def incidents(place: Place) -> dict[str, Any]:
    published = verified(
        place,
        ["eyewitness_told", "photo"],
        attack_types=["heavy_weapons", "armed_search"],
        victims={"killed_provider": 2, "killed_total": 2, "injured_total": 5},
    )
    rumour = verified(
        place,
        ["social_media"],
        narrative=RUMOUR_NARRATIVE,
        victims={"killed_total": 7, "injured_total": 9},
    )
    draft = report(place, narrative="still a draft")
    return {"published": published, "rumour": rumour, "draft": draft}


def _section(report: Report, key: str) -> dict | None:
    parts = services.content_of(report)["sections"]
    return next((p["data"] for p in parts if p["key"] == key), None)


def test_incidents_partner_counts_only_the_published_rows(
    world: Any, incidents: dict[str, Any]
) -> None:
    assert incidents["rumour"].certainty == "rumour"
    data = _section(services.generate_report(org=world.org, edition="partner"), "incidents")
    assert data is not None
    assert data["total"] == 1 and data["new"] == 1
    assert data["by_type"] == {"heavy_weapons": 1, "armed_search": 1}
    assert data["by_certainty"]["rumour"] == 0
    assert sum(data["by_certainty"].values()) == 1
    assert (data["killed"], data["injured"]) == (2, 5)
    assert data["areas"] == [] and "states" not in data


def test_incidents_internal_adds_every_certainty_and_the_open_states(
    world: Any, incidents: dict[str, Any]
) -> None:
    from salama.incidents import services as incident_services

    incident_services.consolidate_reports(
        reports=[incidents["draft"]], by=_member(world, "coordinator")
    )
    data = _section(services.generate_report(org=world.org, edition="internal"), "incidents")
    assert data is not None
    assert data["total"] == 2 and data["by_certainty"]["rumour"] == 1
    assert (data["killed"], data["injured"]) == (9, 14)
    assert data["states"]["draft"] == 1


def test_incidents_since_the_last_report(world: Any, place: Place, time_machine: Any) -> None:
    verified(place, ["eyewitness_told", "photo"])
    services.generate_report(org=world.org, edition="partner")
    time_machine.move_to(clock.now() + timedelta(hours=1))
    verified(place, ["eyewitness_told", "photo"])
    data = _section(services.generate_report(org=world.org, edition="partner"), "incidents")
    assert data is not None and (data["total"], data["new"]) == (2, 1)


def test_incidents_areas_only_when_both_settings_allow(
    world: Any, incidents: dict[str, Any]
) -> None:
    from salama.incidents.orgsettings import PUBLISH_AREA

    services.save_options(
        org=world.org, sitrep_hour=18, retention_days=90, area_detail="area", facility_names=False
    )
    data = _section(services.generate_report(org=world.org, edition="partner"), "incidents")
    assert data is not None and data["areas"] == []
    settings = dict(world.org.settings or {})
    settings[PUBLISH_AREA] = True
    world.org.settings = settings
    world.org.save()
    data = _section(services.generate_report(org=world.org, edition="partner"), "incidents")
    assert data is not None and data["areas"] == [{"area": "Al-Sukkari", "count": 1}]


@pytest.fixture
def evacuation(world: Any, scene: Any) -> dict[str, Any]:
    by = _member(world, "coordinator")
    crossing = crossing_party(world.org)
    persons = scene.roster.persons
    cleared = ready(request_for(persons["K21"]), by, [crossing])
    waiting = request_for(persons["K11"], needs=("dialysis",))
    evac.record_clearance(request=waiting, party=crossing, state="submitted", by=by)
    evac.record_clearance(request=waiting, party=crossing, state="pending", by=by)
    died = request_for(persons["K20"])
    evac.record_outcome(request=died, outcome="died_waiting", by=by)
    return {"cleared": cleared, "waiting": waiting, "died": died}


def test_evacuation_counts_in_every_edition(world: Any, evacuation: dict[str, Any]) -> None:
    for edition in ("internal", "partner"):
        data = _section(services.generate_report(org=world.org, edition=edition), "evacuation")
        assert data is not None
        assert sum(data["queue"].values()) == 2
        assert data["clearances"] == {"pending": 1, "approved": 1, "denied": 0}
        assert data["died_waiting"] == 1 and data["arrived"] == 0
    lead = _member(world, "lead")  # North: K10-K13
    data = _section(
        services.generate_report(org=world.org, edition="lead", lead=lead), "evacuation"
    )
    assert data is not None
    assert sum(data["queue"].values()) == 1 and data["died_waiting"] == 0
    assert data["clearances"]["pending"] == 1 and data["clearances"]["approved"] == 0


@pytest.fixture
def due_step(world: Any) -> Any:
    from tests.negotiations.helpers import party

    agency = party(world, name="Relief agency of the valley")
    return nego.log_interaction(
        party=agency,
        data=nego.InteractionInput(
            at=clock.now(),
            channel="phone",
            participants="Mr Haddad",
            asked=ASKED,
            next_step=NEXT_STEP,
            next_due=clock.now().date() + timedelta(days=1),
        ),
        by=_member(world, "coordinator"),
    )


def test_negotiations_internal_only_kind_and_date(world: Any, due_step: Any) -> None:
    internal = services.generate_report(org=world.org, edition="internal")
    data = _section(internal, "negotiations")
    assert data == {"due": [{"kind": "un_agency", "due": due_step.next_due.isoformat(),
                             "overdue": False}]}  # fmt: skip
    for text in (internal.content, render.render_html(internal, "en")):
        assert NEXT_STEP not in text and "Mr Haddad" not in text and ASKED not in text
        assert "Relief agency of the valley" not in text
    partner = services.generate_report(org=world.org, edition="partner")
    lead = services.generate_report(org=world.org, edition="lead", lead=_member(world, "lead"))
    assert _section(partner, "negotiations") is None and _section(lead, "negotiations") is None


def test_partner_edition_holds_no_withheld_field(
    world: Any,
    scene: Any,
    incidents: dict[str, Any],
    evacuation: dict[str, Any],
    due_step: Any,
    tmp_path: Path,
) -> None:
    from tests.reports.test_sitrep import _forbidden

    report_ = services.generate_report(org=world.org, edition="partner")
    texts = {"content": report_.content}
    for lang in ("ar", "en"):
        texts[f"html-{lang}"] = render.render_html(report_, lang)
        texts[f"pdf-{lang}"] = pdf_text(render.render_pdf(report_, lang), tmp_path, lang)
    words = _forbidden(scene) + [
        SECRET_NARRATIVE, SECRET_PERPETRATOR, SECRET_LOCATION, RUMOUR_NARRATIVE, NEXT_STEP, ASKED,
        "Crossing authority", "سلطة المعبر", "Relief agency of the valley", "Mr Haddad",
        "Behind the old mill",
    ]  # fmt: skip
    for label, text in texts.items():
        found = [w for w in words if w in text]
        assert not found, f"{label} holds {found}"
    assert _section(report_, "incidents") is not None
    assert _section(report_, "evacuation") is not None


def test_sitrep_renders_the_new_sections_in_both_languages(
    world: Any, incidents: dict[str, Any], evacuation: dict[str, Any], due_step: Any
) -> None:
    report_ = services.generate_report(org=world.org, edition="internal")
    english = render.render_html(report_, "en")
    arabic = render.render_html(report_, "ar")
    for section in ("incidents", "evacuation", "negotiations"):
        assert f'id="section-{section}"' in english and f'id="section-{section}"' in arabic
    assert "Attacks on health care" in english and "Violence with heavy weapons" in english
    assert "Medical evacuation" in english and "Next steps falling due" in english
    assert "الهجمات على الرعاية الصحية" in arabic and "الإخلاء الطبي" in arabic
    assert "Attacks on health care" not in arabic and "Medical evacuation" not in arabic
    assert '<bdi dir="ltr">2</bdi>' in arabic
