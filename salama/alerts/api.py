"""Alerts over the API: list the open ones, acknowledge one (the same service as the page)."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja import Status as Answer
from ninja.errors import HttpError

from salama.accounts.access import COORDINATING
from salama.accounts.models import Membership, Organisation
from salama.alerts import routing, selectors, services
from salama.alerts.models import Alert
from salama.lib.apiaccess import api_roles, located, pages
from salama.people import services as people_services
from salama.people.models import Area, LocalResponder, Person
from salama.safety.tokens import gated

router = Router(tags=["alerts"])


def org_of(request: HttpRequest) -> Organisation:
    return request.org  # type: ignore[attr-defined,no-any-return]


def me(request: HttpRequest) -> Membership:
    return request.membership  # type: ignore[attr-defined,no-any-return]


class AlertOut(Schema):
    number: int
    kind: str
    severity: str
    state: str
    codename: str | None
    opened_at: datetime
    owner: str | None
    acknowledged_at: datetime | None
    last_action: str


def _out(alert: Alert) -> AlertOut:
    return AlertOut(
        number=alert.number,
        kind=alert.kind,
        severity=alert.severity,
        state=alert.state,
        codename=alert.person.codename if alert.person else None,
        opened_at=alert.opened_at,
        owner=alert.owner.user.get_username() if alert.owner else None,
        acknowledged_at=alert.acknowledged_at,
        last_action=alert.last_action,
    )


@router.get("/alerts", response=list[AlertOut])
@api_roles(*COORDINATING)
def list_alerts(request: HttpRequest) -> list[AlertOut]:
    """Alerts not yet closed, life-safety first. No area, note or place."""
    return [_out(a) for a in selectors.active_alerts(org_of(request))]


class AckOut(Schema):
    acknowledged: bool
    alert: AlertOut


@router.post(
    "/alerts/{alert_number}/acknowledge",
    response=AckOut,
    openapi_extra=pages("alerts:acknowledge"),
)
@api_roles(*COORDINATING)
def acknowledge_alert(request: HttpRequest, alert_number: int) -> AckOut:
    """Take ownership: the repeats to others stop. `acknowledged` is false when someone was
    first (the alert is returned with its owner)."""
    alert = get_object_or_404(Alert.objects.for_org(org_of(request)), number=alert_number)
    try:
        done = services.acknowledge(alert=alert, by=me(request), via="api", request=request)
    except ValidationError as exc:
        raise HttpError(403, " ".join(exc.messages)) from None
    alert = (
        Alert.objects.for_org(org_of(request))
        .select_related("person", "owner__user")
        .get(pk=alert.pk)
    )
    return AckOut(acknowledged=done, alert=_out(alert))


class LocalResponderIn(Schema):
    """A local responder of an area: a person on the roster (codename) or a phone number."""

    area: int = Field(..., ge=1, le=2**63 - 1)
    codename: str = Field("", max_length=20)
    number: str = Field("", max_length=40)
    label: str = Field("", max_length=60)


class LocalResponderOut(Schema):
    id: int
    area_id: int
    codename: str | None
    label: str
    reachable: bool


def _responder_out(responder: LocalResponder, reachable: bool) -> LocalResponderOut:
    return LocalResponderOut(
        id=responder.pk,
        area_id=responder.area_id,
        codename=responder.person.codename if responder.person is not None else None,
        label=responder.label,
        reachable=reachable,
    )


@router.get("/alerts/responders", response=list[LocalResponderOut])
@api_roles(*COORDINATING)
def list_responders(request: HttpRequest) -> list[LocalResponderOut]:
    """Every area's local responders and whether alerts can reach each now (no numbers)."""
    rows = []
    for area_id, listed in people_services.local_responders(org_of(request)).items():
        reachable = routing.reachable_responders(area_id)
        rows += [_responder_out(r, r.pk in reachable) for r in listed]
    return rows


@router.post(
    "/alerts/responders",
    response={201: LocalResponderOut},
    auth=gated(*COORDINATING),
    openapi_extra=pages("alerts:responders", created=True),
)
@api_roles(*COORDINATING)
def add_responder(
    request: HttpRequest, response: HttpResponse, payload: LocalResponderIn
) -> Answer:
    """Add a local responder to an area (they get its life-safety alerts at once): either a
    person on the roster by codename or a phone number, as the responders page."""
    org = org_of(request)
    area = Area.objects.for_org(org).filter(pk=payload.area).first()
    if area is None:
        raise HttpError(422, _("Unknown area."))
    person = None
    if payload.codename.strip():
        person = (
            Person.objects.for_org(org).filter(codename__iexact=payload.codename.strip()).first()
        )
        if person is None:
            raise HttpError(422, _("No person on the roster has this codename."))
    try:
        with transaction.atomic():
            responder = people_services.add_local_responder(
                org=org, area=area, person=person, number=payload.number, label=payload.label,
                by=me(request), request=request,
            )  # fmt: skip
    except ValidationError as error:
        raise HttpError(422, " ".join(error.messages)) from error
    located(response, "/alerts/responders")
    reachable = responder.pk in routing.reachable_responders(area.pk)
    return Answer(201, _responder_out(responder, reachable))
