"""Alerts over the API: list the open ones, acknowledge one (the same service as the page)."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema
from ninja.errors import HttpError

from salama.accounts.access import COORDINATING
from salama.accounts.models import Membership, Organisation
from salama.alerts import selectors, services
from salama.alerts.models import Alert
from salama.lib.apiaccess import api_roles, pages

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
