"""E1 demo: the evacuation picture a new user should see — the EVAC text command turned on (so
it can be tried with `salama text`), two parties that clear evacuees, a queue of twenty requests
in all bands with their waiting days, two clearance denials, one person who died while waiting,
and a planned movement (two vehicles) with assigned evacuees. Idempotent: nothing is added once
the organisation has any request. All fictional."""

from datetime import timedelta

from salama.accounts.models import Membership, Organisation, Role
from salama.evacuation import services
from salama.evacuation.base import COMMAND
from salama.evacuation.models import Request
from salama.lib import clock
from salama.people.models import Area, Person

# reason, seat kind, own needs, dependants (relation, age band, needs), days waiting
SPECS: list[tuple[str, str, tuple[str, ...], list[tuple[str, str, tuple[str, ...]]], int]] = [
    ("injury", "stretcher", ("stretcher",), [], 3),
    ("medical_self", "special", ("dialysis",), [("spouse", "18-59", ())], 21),
    (
        "medical_dependant",
        "seated",
        (),
        [("child", "0-1", ("oxygen",)), ("spouse", "18-59", ())],
        9,
    ),
    ("injury", "seated", ("vital_medication",), [], 2),
    ("medical_self", "seated", ("cardiac_device",), [("parent", "60+", ("mobility",))], 30),
    ("threat", "seated", (), [("spouse", "18-59", ()), ("child", "2-11", ())], 14),
    ("detention_risk", "seated", (), [], 6),
    ("medical_dependant", "seated", (), [("child", "2-11", ("wheelchair",))], 12),
    ("threat", "seated", (), [("child", "12-17", ())], 4),
    ("end_of_mission", "seated", (), [], 40),
    ("end_of_mission", "seated", (), [("spouse", "18-59", ())], 25),
    ("threat", "seated", ("pregnancy",), [], 8),
    ("end_of_mission", "seated", (), [], 1),
    ("detention_risk", "seated", (), [("sibling", "18-59", ())], 17),
    ("medical_self", "seated", ("vital_medication",), [], 11),
    ("end_of_mission", "seated", (), [("child", "2-11", ()), ("child", "2-11", ())], 5),
    ("threat", "seated", (), [], 19),
    ("injury", "stretcher", ("stretcher",), [("spouse", "18-59", ())], 1),
    ("end_of_mission", "seated", (), [], 33),
    ("medical_self", "seated", ("oxygen",), [], 45),
]


def load() -> None:
    org = Organisation.objects.filter(slug="demo").first()
    if org is None or Request.objects.for_org(org).exists():
        return
    commands = list(org.setting("commands", []) or [])
    if COMMAND not in commands:
        org.settings = {**org.settings, "commands": [*commands, COMMAND]}
        org.save(update_fields=["settings"])
    by = Membership.objects.filter(org=org, role=Role.COORDINATOR).order_by("pk").first()
    persons = list(Person.objects.for_org(org).filter(is_active=True).order_by("codename"))[:20]
    if len(persons) < len(SPECS):
        return
    parties = [
        services.save_party(org=org, name="Crossing authority", name_ar="سلطة المعبر"),
        services.save_party(
            org=org, name="Northern checkpoint command", name_ar="قيادة الحاجز الشمالي"
        ),
    ]
    now = clock.now()
    rows = []
    for person, (reason, seat, needs, deps, days) in zip(persons, SPECS, strict=False):
        data = services.RequestInput(
            reason=reason,
            seat_kind=seat,
            needs=needs,
            dependants=[services.Dependant(relation=r, age_band=a, needs=n) for r, a, n in deps],
        )
        row = services.create_request(person=person, data=data, channel="page", by=by)
        Request.objects.filter(pk=row.pk).update(
            requested_at=now - timedelta(days=days), scored_at=now - timedelta(days=1)
        )
        rows.append(row)
    services.refresh_scores(org)
    for i, row in enumerate(rows):
        if i < 10:
            services.approve_request(request=row, by=by)
        for party in parties[: 1 if i in (10, 11) else 2] if i < 12 else []:
            services.record_clearance(
                request=row, party=party, state="submitted", by=by, at=now - timedelta(days=3)
            )
            final = "denied" if i in (10, 11) else "approved" if i < 10 else "pending"
            services.record_clearance(
                request=row, party=party, state=final, by=by, at=now - timedelta(days=1)
            )
    services.record_outcome(request=rows[19], outcome="died_waiting", by=by)
    _movement(org, by, rows[:6])


def _movement(org: Organisation, by: Membership | None, rows: list[Request]) -> None:
    areas = list(Area.objects.for_org(org).order_by("pk"))
    if len(areas) < 2:
        return
    now = clock.now()
    plan = services.Plan(
        kind="road_convoy",
        window_start=now + timedelta(days=1, hours=2),
        window_end=now + timedelta(days=1, hours=5),
        expected_arrival_at=now + timedelta(days=1, hours=9),
        assembly_area=areas[0],
        assembly_point="Courtyard of the old school (fictional)",
        destination_area=areas[-1],
        route=[areas[0].name_en, "Waypoint 2", areas[-1].name_en],
        focal_point=rows[5].person,
    )
    movement = services.create_movement(org=org, plan=plan, by=by)
    services.add_vehicle(
        movement=movement,
        kind="ambulance",
        seats=2,
        stretchers=2,
        marking="Red crescent",
        has_radio=True,
    )
    services.add_vehicle(movement=movement, kind="minibus", seats=12, has_radio=False)
    for row in rows:
        try:
            services.assign(request=row, movement=movement, by=by)
        except services.EvacuationError:
            continue
