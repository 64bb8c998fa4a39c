"""Shared set-up for the evacuation tests: the text protocol's roster
(tests/messaging/text_helpers.py: K1 ar, L1 lead en, K2 on the ward phone, K3 ar), one party
that must clear everyone, and small movements."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from salama.accounts.models import Membership
from salama.evacuation import services
from salama.evacuation.models import Movement, Party, Request
from salama.lib import clock
from salama.people.models import Person


def coordinator_of(world: Any) -> Membership:
    return Membership.objects.get(user=world.users["coordinator"], org=world.org)


def party(org: Any, name: str = "Crossing authority") -> Party:
    return services.save_party(org=org, name=name, name_ar="سلطة المعبر")


def request_for(
    person: Person,
    *,
    dependants: int = 0,
    reason: str = "injury",
    needs: tuple[str, ...] = (),
    seat_kind: str = "seated",
    keep_with: Person | None = None,
    keep_together: bool = True,
) -> Request:
    data = services.RequestInput(
        reason=reason,
        seat_kind=seat_kind,
        needs=needs,
        keep_with=keep_with,
        dependants=[
            services.Dependant(relation="child", age_band="2-11", keep_together=keep_together)
            for _ in range(dependants)
        ],
    )
    return services.create_request(person=person, data=data, channel="page")


def ready(request: Request, by: Membership, parties: list[Party]) -> Request:
    """Approve and clear `request` by every party."""
    services.approve_request(request=request, by=by)
    for p in parties:
        for state in ("submitted", "approved"):
            services.record_clearance(request=request, party=p, state=state, by=by)
    request.refresh_from_db()
    return request


def movement(
    org: Any,
    by: Membership | None,
    *,
    vehicles: tuple[tuple[int, int], ...] = ((4, 1),),
    area: Any = None,
) -> Movement:
    now = clock.now()
    plan = services.Plan(
        kind="road_convoy",
        window_start=now + timedelta(hours=2),
        window_end=now + timedelta(hours=4),
        expected_arrival_at=now + timedelta(hours=6),
        destination_area=area,
        assembly_point="Behind the old mill",
        route=["Checkpoint A"],
    )
    if area is None:
        from salama.people.models import Area

        plan.destination_area = Area.objects.for_org(org).first() or Area.objects.create(
            org=org, name_en="Safe side", name_ar="الجهة الآمنة"
        )
    mov = services.create_movement(org=org, plan=plan, by=by)
    for seats, stretchers in vehicles:
        services.add_vehicle(movement=mov, kind="bus", seats=seats, stretchers=stretchers)
    return mov
