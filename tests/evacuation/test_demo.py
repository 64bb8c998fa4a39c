"""The demo step: EVAC turned on for the demo organisation, a queue of twenty requests in all
bands, two clearance denials, one died while waiting, a planned movement with assigned evacuees;
loading twice duplicates nothing."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from salama.demo.load import load_demo
from salama.evacuation.models import ClearanceStep, Movement, Request, Seat
from salama.people.models import Person


@pytest.mark.django_db
def test_demo_shows_the_whole_evacuation_picture() -> None:
    load_demo()
    count = Request.objects.count()
    load_demo()
    assert Request.objects.count() == count == 20
    open_rows = Request.objects.filter(outcome="")
    assert set(open_rows.values_list("band", flat=True)) == {"urgent", "priority", "routine"}
    assert ClearanceStep.objects.filter(state="denied").count() == 2
    assert Request.objects.filter(outcome="died_waiting").count() == 1
    movement = Movement.objects.get()
    assert movement.status == "planning" and movement.vehicles.count() == 2
    assert Seat.objects.filter(movement=movement, is_active=True).count() >= 3
    free = (
        Person.objects.filter(
            org__slug="demo",
            evac_requests=None,
            contact_points__is_shared=False,
            contact_points__state="active",
            contact_points__kind="sms",
        )
        .order_by("codename")
        .first()
    )
    assert free is not None
    out = StringIO()
    call_command(
        "text", "EVAC 3", "--as", free.codename, "--org", "demo", "--json", "--dry-run", stdout=out
    )
    result = json.loads(out.getvalue())
    assert result["action"] == "evacuation_request" and result["dependants"] == 3
