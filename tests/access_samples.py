"""URL keyword arguments for the role-matrix test: for each name used in a URL pattern or an API
path, a function that makes (or finds) an object of the test organisation and returns the value
to put in the URL. An outsider asking for it must get 404. Add an entry with every new URL
parameter; the role-matrix test fails on a parameter it cannot fill."""

from collections.abc import Callable
from typing import Any

SAMPLES: dict[str, Callable[[Any], Any]] = {}


def sample(name: str) -> Callable[[Callable[[Any], Any]], Callable[[Any], Any]]:
    def register(func: Callable[[Any], Any]) -> Callable[[Any], Any]:
        SAMPLES[name] = func
        return func

    return register


# --- people (F2) --------------------------------------------------------------------------------


@sample("person_id")
def _person_id(world: Any) -> int:
    from salama.people.models import Person
    from salama.people.services import create_person

    # Several URL patterns take a person_id: the same sample person serves them all.
    found = Person.objects.for_org(world.org).filter(codename="SAMPLE1").first()
    return (found or create_person(org=world.org, codename="SAMPLE1", role="nurse")).pk


@sample("team_id")
def _team_id(world: Any) -> int:
    from salama.people.models import Team
    from salama.people.services import save_team

    found = Team.objects.for_org(world.org).filter(name="Sample team").first()
    return (found or save_team(org=world.org, name="Sample team")).pk


@sample("area_id")
def _area_id(world: Any) -> int:
    from salama.people.models import Area
    from salama.people.services import save_area

    found = Area.objects.for_org(world.org).filter(name_en="Sample area").first()
    return (found or save_area(org=world.org, name_en="Sample area", name_ar="منطقة")).pk


@sample("facility_id")
def _facility_id(world: Any) -> int:
    from salama.people.models import Area, Facility
    from salama.people.services import save_facility

    found = Facility.objects.for_org(world.org).filter(name="Sample clinic").first()
    if found is None:
        area = Area.objects.for_org(world.org).get(pk=_area_id(world))
        found = save_facility(org=world.org, name="Sample clinic", kind="clinic", area=area)
    return found.pk


# --- accounts: second factors (S1) -----------------------------------------------------------


@sample("member_id")
def _member_id(world: Any) -> int:
    # A member who is no persona: a reset ends the member's sessions.
    from salama.accounts.models import Membership, User

    user, _ = User.objects.get_or_create(username="sample-member")
    return Membership.objects.get_or_create(user=user, org=world.org, defaults={"role": "staff"})[
        0
    ].pk


# --- safety (F3) --------------------------------------------------------------------------------


def _safety_person_id(world: Any) -> int:
    from salama.people.models import Person

    return Person.objects.create(org=world.org, codename="SAFETY1", role="nurse").pk


if "person_id" not in SAMPLES:
    sample("person_id")(_safety_person_id)


@sample("event_id")
def _event_id(world: Any) -> int:
    from salama.safety.services import open_event

    return open_event(org=world.org, label="Sample event").pk


@sample("mode_id")
def _mode_id(world: Any) -> int:
    from salama.safety.services import set_heightened

    return set_heightened(org=world.org).pk


# --- messaging: outbox (F4) ---------------------------------------------------------------------


def _sample_message(world: Any, value: str) -> Any:
    from salama.messaging.models import Message
    from salama.people.services import add_contact_point

    point = add_contact_point(org=world.org, kind="sms", value=value)
    return Message.objects.create(
        org=world.org, template="reminder", language="en", body="x", contact_point=point, reason="t"
    )


@sample("delivery_id")
def _delivery_id(world: Any) -> int:
    import secrets

    from salama.messaging.models import Delivery

    message = _sample_message(world, "+963944000881")
    return Delivery.objects.create(
        org=world.org,
        message=message,
        channel="console",
        priority=1,
        state="dead",
        our_ref=secrets.token_urlsafe(12),
    ).pk


@sample("suppression_id")
def _suppression_id(world: Any) -> int:
    from salama.messaging.models import Suppression

    message = _sample_message(world, "+963944000882")
    return Suppression.objects.create(org=world.org, message=message, reason="compromised").pk


# --- alerts (F4) --------------------------------------------------------------------------------


@sample("alert_number")
def _alert_number(world: Any) -> int:
    from salama.alerts.services import new_alert

    return new_alert(org=world.org, kind="need_help").number


@sample("shift_id")
def _shift_id(world: Any) -> int:
    from datetime import timedelta

    from salama.alerts.models import Shift
    from salama.lib import clock

    membership = world.users["coordinator"].memberships.get(org=world.org)
    now = clock.now()
    return Shift.objects.create(
        org=world.org,
        membership=membership,
        starts_at=now,
        ends_at=now + timedelta(hours=8),
        time_zone="UTC",
    ).pk


# --- messaging: the text channel (M1) -----------------------------------------------------------


@sample("inbound_id")
def _inbound_id(world: Any) -> int:
    from salama.messaging.inbound import store_inbound

    row, _created = store_inbound(
        org=world.org, channel="simulator", sender="+963944000883", body="sample"
    )
    row.state = "unmatched"
    row.save(update_fields=["state"])
    return row.pk


@sample("kind")
def _gateway_kind(world: Any) -> str:
    return "http_json"


@sample("gateway_key")
def _gateway_key(world: Any) -> str:
    from salama.messaging.models import Gateway
    from salama.messaging.services import save_gateway

    found = Gateway.objects.for_org(world.org).filter(kind="http_json").first()
    if found is None:
        found = save_gateway(
            org=world.org,
            kind="http_json",
            base_url="http://127.0.0.1:9/send",
            public_url="",
            credentials={"send_token": "t", "webhook_secret": "s"},
            is_active=True,
            use_for_sms=False,
        )
    return found.key


# --- roll calls (M2) ----------------------------------------------------------------------------


@sample("rollcall_number")
def _rollcall_number(world: Any) -> int:
    from datetime import timedelta

    from salama.lib import clock
    from salama.people.models import Person
    from salama.rollcalls.models import RollCall
    from salama.rollcalls.services import Target, open_roll_call

    found = RollCall.objects.for_org(world.org).first()
    if found is not None:
        return found.number
    person = Person.objects.for_org(world.org).filter(codename="RC1").first()
    person = person or Person.objects.create(org=world.org, codename="RC1", role="nurse")
    return open_roll_call(
        org=world.org,
        question="Are you well?",
        target=Target(persons=(person.pk,)),
        deadline_at=clock.now() + timedelta(hours=1),
    ).number


@sample("recipient_id")
def _recipient_id(world: Any) -> int:
    from salama.rollcalls.models import RollCall, RollCallRecipient

    number = _rollcall_number(world)
    roll_call = RollCall.objects.for_org(world.org).get(number=number)
    return RollCallRecipient.objects.for_org(world.org).filter(roll_call=roll_call).first().pk


# --- Android phones (M2) -------------------------------------------------------------------------


def _phone(world: Any) -> Any:
    from salama.messaging.models import AndroidPhone
    from salama.messaging.phones import add_phone

    found = AndroidPhone.objects.for_org(world.org).first()
    return found or add_phone(org=world.org, label="Sample phone")[0]


@sample("phone_id")
def _phone_id(world: Any) -> int:
    return int(_phone(world).pk)


@sample("phone_key")
def _phone_key(world: Any) -> str:
    return str(_phone(world).key)


@sample("link_token")
def _link_token(world: Any) -> str:
    """A signed answer link of an open roll call, the organisation having turned links on."""
    from datetime import timedelta

    from salama.lib import clock
    from salama.people.models import Person
    from salama.people.services import add_contact_point
    from salama.rollcalls.links import token_for
    from salama.rollcalls.models import RollCallRecipient
    from salama.rollcalls.services import Target, open_roll_call

    org = world.org
    org.settings["answer_links"] = True
    org.save(update_fields=["settings"])
    row = RollCallRecipient.objects.for_org(org).filter(person__codename="RCL").first()
    if row is None:
        person = Person.objects.create(org=org, codename="RCL", role="nurse")
        add_contact_point(org=org, kind="sms", value="+963944700123", persons=[person])
        roll_call = open_roll_call(org=org, question="Are you well?",
                                   target=Target(persons=(person.pk,)),
                                   deadline_at=clock.now() + timedelta(hours=1))  # fmt: skip
        row = RollCallRecipient.objects.get(roll_call=roll_call, person=person)
    return token_for(row)


# --- evidence (L1) -----------------------------------------------------------------------------


def _ledger_record(world: Any) -> int:
    from salama.evidence import services
    from salama.evidence.models import Entry

    if not Entry.objects.for_org(world.org).filter(kind="sample_report", record_id=1).exists():
        services.append(
            org=world.org, kind="sample_report", record_id=1, version=1, fields={"a": 1}
        )
    return 1


@sample("record_kind")
def _kind(world: Any) -> str:
    _ledger_record(world)
    return "sample_report"


@sample("record_id")
def _record_id(world: Any) -> int:
    return _ledger_record(world)


# --- incidents (I1) -----------------------------------------------------------------------------


@sample("incident_id")
def _incident_id(world: Any) -> int:
    from salama.incidents import services
    from salama.incidents.models import Incident
    from salama.incidents.validation import ReportData
    from salama.lib import clock
    from salama.people.models import Area

    found = Incident.objects.for_org(world.org).first()
    if found is not None:
        return found.pk
    from salama.accounts.models import Membership

    area = Area.objects.for_org(world.org).get(pk=_area_id(world))
    by = Membership.objects.filter(org=world.org, role="coordinator").first()
    data = ReportData(occurred_on=clock.now().date(), area=area)
    report = services.create_report(org=world.org, data=data, channel="page", by=by)
    return services.consolidate_reports(reports=[report], by=by).pk


# --- reports (R1) ---------------------------------------------------------------------------


@sample("report_id")
def _report_id(world: Any) -> int:
    from salama.reports.services import generate_report

    # The partner edition: every reader of reports may open it (counts only).
    return generate_report(org=world.org, edition="partner").pk


@sample("report_lang")
def _report_lang(world: Any) -> str:
    return "en"


# --- evacuation (E1) ----------------------------------------------------------------------------


@sample("request_id")
def _evacuation_request_id(world: Any) -> int:
    from salama.evacuation import services
    from salama.evacuation.models import Request
    from salama.people.models import Person

    found = Request.objects.for_org(world.org).filter(person__codename="EVAC1").first()
    if found is None:
        # In a team the "lead" persona leads: a field lead opens their own team's requests (and
        # gets 404 for another team's, tests/evacuation/test_lead_access.py).
        from salama.accounts.models import Membership
        from salama.people.models import Team, TeamLead

        team = Team.objects.create(org=world.org, name="Evacuation sample team")
        membership = Membership.objects.get(user=world.users["lead"], org=world.org)
        lead = Person.objects.for_org(world.org).filter(membership=membership).first()
        if lead is None:
            lead = Person.objects.create(
                org=world.org, codename="EVLEAD", role="doctor", membership=membership
            )
        TeamLead.objects.create(org=world.org, team=team, person=lead)
        person = Person.objects.create(org=world.org, codename="EVAC1", role="nurse", team=team)
        data = services.RequestInput(reason="injury")
        found = services.create_request(person=person, data=data, channel="page")
    return found.pk


@sample("movement_id")
def _movement_id(world: Any) -> int:
    from datetime import timedelta

    from salama.evacuation import services
    from salama.evacuation.models import Movement
    from salama.lib import clock
    from salama.people.models import Area

    found = Movement.objects.for_org(world.org).first()
    if found is None:
        area = Area.objects.for_org(world.org).get(pk=_area_id(world))
        now = clock.now()
        plan = services.Plan(
            kind="road_convoy", window_start=now + timedelta(hours=1),
            window_end=now + timedelta(hours=2), expected_arrival_at=now + timedelta(hours=3),
            destination_area=area,
        )  # fmt: skip
        found = services.create_movement(org=world.org, plan=plan, by=None)
    return found.pk


@sample("action")
def _evacuation_action(world: Any) -> str:
    return "approve"  # a request's action; a movement answers an unknown one with a message


# --- webhooks (X1) ------------------------------------------------------------------------------


@sample("endpoint_id")
def _endpoint_id(world: Any) -> int:
    from salama.webhooks.models import Endpoint
    from salama.webhooks.services import create_endpoint

    found = Endpoint.objects.for_org(world.org).first()
    if found is None:
        found, _secret = create_endpoint(
            org=world.org, url="https://example.org/hook", events=["alert.opened"]
        )
    return found.pk


# --- field login by text (O1) --------------------------------------------------------------------


@sample("token")
def _login_token(world: Any) -> str:
    # Any token: the link page answers every persona the same (a button; nothing on a GET).
    return "sample-login-token"


# --- negotiations (E2) ---------------------------------------------------------------------------


@sample("package_id")
def _package_id(world: Any) -> int:
    from salama.negotiations.models import Package

    found = Package.objects.for_org(world.org).first()
    if found is None:
        from tests.negotiations.helpers import package

        found = package(world).package
    return found.pk


@sample("version_id")
def _version_id(world: Any) -> int:
    from salama.negotiations.models import Package

    package = Package.objects.for_org(world.org).get(pk=_package_id(world))
    return package.versions.get(voided_at=None).pk


@sample("interaction_id")
def _interaction_id(world: Any) -> int:
    from salama.negotiations.models import Interaction

    found = Interaction.objects.for_org(world.org).first()
    if found is None:
        from salama.lib import clock
        from salama.negotiations import services
        from tests.negotiations.helpers import member, party

        found = services.log_interaction(
            party=party(world, "Sample party"),
            data=services.InteractionInput(at=clock.now(), channel="phone", asked="Sample"),
            by=member(world, "coordinator"),
        )
    return found.pk
