"""The operations that mirror the last page actions without one (issue X1): the facility card,
local responders, report settings, sitrep generation and incident settings. Each: the happy
path writes what the page writes (and audits), and a role the page refuses is refused."""

import json
from typing import Any

import pytest
from django.test import Client

from salama.accounts.models import AuditEvent
from salama.facilities.models import FacilityStatus
from salama.incidents import selectors as incident_selectors
from salama.people.models import LocalResponder
from salama.reports.models import Report
from salama.reports.options import options_of

pytestmark = pytest.mark.django_db


def send(client: Client, method: str, url: str, body: dict[str, Any]) -> Any:
    return getattr(client, method)(url, json.dumps(body), content_type="application/json")


def audited(org: Any, action: str) -> bool:
    return AuditEvent.objects.filter(org_id=org.pk, action=action).exists()


def test_facility_card(clients: dict[str, Client], roster: Any, world: Any) -> None:
    url = f"/api/facilities/{roster.facility.pk}/card"
    body = {"code": "h9z", "facility_type": "secondary", "affiliation": "ngo",
            "thresholds": {"fuel": 4}}  # fmt: skip
    answer = send(clients["coordinator"], "put", url, body)
    assert answer.status_code == 200, answer.content
    status = FacilityStatus.objects.get(facility=roster.facility)
    assert (status.code, status.facility_type, status.thresholds) == ("H9Z", "secondary",
                                                                       {"fuel": 4.0})  # fmt: skip
    assert answer.json()["thresholds"]["fuel"] == 4.0
    assert audited(world.org, "facility.card")
    bad = send(clients["coordinator"], "put", url, {**body, "code": "x"})
    assert bad.status_code == 422 and bad.json()["detail"]
    assert (
        send(clients["coordinator"], "put", "/api/facilities/999999/card", body).status_code == 404
    )
    assert send(clients["lead"], "put", url, {**body, "code": "ZZ1"}).status_code == 403
    assert FacilityStatus.objects.get(facility=roster.facility).code == "H9Z"


def test_local_responder(clients: dict[str, Client], roster: Any, world: Any) -> None:
    area = roster.areas["sukkari"]
    body = {"area": area.pk, "codename": "K12", "label": "Ambulance point 3"}
    answer = send(clients["coordinator"], "post", "/api/alerts/responders", body)
    assert answer.status_code == 201, answer.content
    assert answer["Location"] == "/api/alerts/responders"
    responder = LocalResponder.objects.get(pk=answer.json()["id"])
    assert (responder.area_id, responder.person.codename) == (area.pk, "K12")
    listed = clients["coordinator"].get("/api/alerts/responders").json()
    assert [r["id"] for r in listed] == [responder.pk]
    again = send(clients["coordinator"], "post", "/api/alerts/responders", body)
    assert again.status_code == 422 and again.json()["detail"]
    unknown = send(clients["coordinator"], "post", "/api/alerts/responders",
                   {"area": area.pk, "codename": "NOBODY"})  # fmt: skip
    assert unknown.status_code == 422
    refused = send(clients["staff"], "post", "/api/alerts/responders", {**body, "codename": "K13"})
    assert refused.status_code == 403
    assert LocalResponder.objects.filter(area=area).count() == 1


def test_report_settings(clients: dict[str, Client], world: Any) -> None:
    body = {"sitrep_hour": 7, "retention_days": 30, "area_detail": "area",
            "facility_names": True}  # fmt: skip
    answer = send(clients["coordinator"], "put", "/api/reports/settings", body)
    assert answer.status_code == 200, answer.content
    world.org.refresh_from_db()
    current = options_of(world.org)
    assert (current.sitrep_hour, current.retention_days, current.area_detail) == (7, 30, "area")
    assert current.facility_names is True
    assert audited(world.org, "reports.settings")
    bad = send(clients["coordinator"], "put", "/api/reports/settings", {**body, "sitrep_hour": 30})
    assert bad.status_code == 422 and bad.json()["detail"]
    empty = send(clients["coordinator"], "put", "/api/reports/settings", {})
    assert empty.status_code == 422
    refused = send(clients["observer"], "put", "/api/reports/settings", {**body, "sitrep_hour": 3})
    assert refused.status_code == 403
    world.org.refresh_from_db()
    assert options_of(world.org).sitrep_hour == 7


def test_generate_report(clients: dict[str, Client], roster: Any, world: Any) -> None:
    answer = send(clients["coordinator"], "post", "/api/reports", {"edition": "internal"})
    assert answer.status_code == 201, answer.content
    report = Report.objects.get(pk=answer.json()["id"])
    assert (report.org_id, report.edition) == (world.org.pk, "internal")
    assert answer["Location"] == f"/api/reports/{report.pk}"
    assert clients["coordinator"].get(answer["Location"]).json()["id"] == report.pk
    assert audited(world.org, "reports.generated")
    refused = send(clients["staff"], "post", "/api/reports", {"edition": "internal"})
    assert refused.status_code == 403
    not_theirs = send(clients["observer"], "post", "/api/reports", {"edition": "internal"})
    assert not_theirs.status_code == 422 and not_theirs.json()["detail"]
    assert Report.objects.for_org(world.org).count() == 1


def test_incident_settings(clients: dict[str, Client], world: Any) -> None:
    body = {"publish_area": True, "attack_command": True}
    answer = send(clients["coordinator"], "put", "/api/incidents/settings", body)
    assert answer.status_code == 200, answer.content
    world.org.refresh_from_db()
    assert incident_selectors.publishes_area(world.org)
    assert audited(world.org, "incidents.publish_area")
    assert send(clients["coordinator"], "put", "/api/incidents/settings", {}).status_code == 422
    refused = send(clients["lead"], "put", "/api/incidents/settings",
                   {"publish_area": False, "attack_command": False})  # fmt: skip
    assert refused.status_code == 403
    world.org.refresh_from_db()
    assert incident_selectors.publishes_area(world.org)
