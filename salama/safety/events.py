"""Events: a coordinator opens an event (a short label, when it started, the areas it touches)
and closes it; the open events of an organisation. Opening and closing are audited, each in
one transaction."""

from collections.abc import Iterable
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from salama.accounts import audit
from salama.accounts.models import Membership, Organisation
from salama.lib import clock
from salama.people.models import Area
from salama.safety.checkins import MAX_AHEAD
from salama.safety.models import Event

# --- Events -------------------------------------------------------------------------------------


@transaction.atomic
def open_event(
    *,
    org: Organisation,
    label: str,
    started_at: datetime | None = None,
    areas: Iterable[Area] = (),
    opened_by: Membership | None = None,
    request: HttpRequest | None = None,
) -> Event:
    now = clock.now()
    started_at = started_at or now
    label = label.strip()
    if not label:
        raise ValidationError(_("Give the event a short label."))
    if started_at > now + MAX_AHEAD:
        raise ValidationError(_("An event cannot start in the future."))
    area_list = list(areas)
    if any(a.org_id != org.pk for a in area_list):
        raise ValidationError(_("Unknown area."))
    event = Event.objects.create(
        org=org, label=label, started_at=started_at, opened_by=opened_by, opened_at=now
    )
    event.areas.set(area_list)
    audit.record("event.open", org_id=org.pk, obj=event, request=request)
    return event


@transaction.atomic
def close_event(
    *, event: Event, closed_by: Membership | None = None, request: HttpRequest | None = None
) -> Event:
    updated = Event.objects.filter(pk=event.pk, closed_at=None).update(
        closed_at=clock.now(), closed_by=closed_by
    )
    event.refresh_from_db()
    if updated:
        audit.record("event.close", org_id=event.org_id, obj=event, request=request)
    return event


def open_events(org: Organisation) -> list[Event]:
    return list(Event.objects.for_org(org).filter(closed_at=None).order_by("-started_at", "-id"))
