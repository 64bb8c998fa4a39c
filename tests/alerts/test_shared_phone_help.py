"""A call for help from a shared phone that names nobody (H1 item 6) reaches, besides the
coordinators, the leads of every team with a person on that phone and the local responders of
their areas, all with the same neutral text."""

from pathlib import Path
from typing import Any

import pytest

from salama.alerts.models import Alert
from salama.messaging import texts
from salama.messaging.inbound import receive
from salama.people.services import add_local_responder
from tests.alerts.conftest import drain, wire
from tests.people.factories import COORDINATOR_NUMBER

pytestmark = pytest.mark.django_db

WARD = "+963944000199"
NORTH_LEADS = ["+963944000110", "+963944000111", "+963999000111"]  # K10, deputy K11
SOUTH_LEAD = "+963944000120"  # K20
NORTH_AMBULANCE = "+963944000771"
SOUTH_AMBULANCE = "+963944000772"


def test_unnamed_help_from_a_shared_phone_reaches_every_teams_leads_and_the_areas_responders(
    world: Any, roster: Any, rota: Any, sink: Path, frozen: Any
) -> None:
    roster.ward_phone.persons.add(roster.persons["K21"])  # South's nurse shares the ward phone
    add_local_responder(org=world.org, area=roster.areas["sukkari"], number=NORTH_AMBULANCE)
    add_local_responder(org=world.org, area=roster.areas["shaar"], number=SOUTH_AMBULANCE)
    _row, result = receive(org=world.org, channel="simulator", sender=WARD, body="HELP")
    assert result is not None and result["reason"] == "unattributed"
    drain()
    alert = Alert.objects.get(org=world.org)
    assert alert.person is None
    lines = [line for line in wire(sink) if line["to"] != WARD]
    told = {line["to"] for line in lines}
    assert told == {
        *NORTH_LEADS,
        SOUTH_LEAD,
        NORTH_AMBULANCE,
        SOUTH_AMBULANCE,
        COORDINATOR_NUMBER,
    }
    neutral = {
        texts.render(
            world.org,
            key,
            language,
            {"codename": "?", "status": texts.status_word("NEED_HELP", language), "alert": 1},
        )
        for language in ("ar", "en")
        for key in ("alert_life_safety", "alert_life_safety_info")
    }
    assert alert.number == 1
    assert {line["body"] for line in lines} <= neutral
