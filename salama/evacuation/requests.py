"""Requests: create one (page, field page, API, text), approve it, override its band, record its
outcome, and refresh priorities. E2 builds notification packages on these requests: read them
through salama.evacuation.selectors, change them only through these functions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from salama.accounts import audit
from salama.accounts.models import Membership, Organisation
from salama.evacuation import priority
from salama.evacuation.base import EvacuationError, read_details, role_points, write_details
from salama.evacuation.journey import move_journey
from salama.evacuation.models import (
    AgeBand,
    Band,
    Channel,
    JourneyState,
    Need,
    Outcome,
    Reason,
    Relation,
    Request,
    Seat,
    SeatKind,
)
from salama.lib import clock
from salama.people.models import Person
from salama.safety.deadlines import active_heightened

MAX_DEPENDANTS = 30


@dataclass
class Dependant:
    relation: str = Relation.OTHER
    age_band: str = AgeBand.ADULT
    needs: Sequence[str] = ()
    keep_together: bool = True

    def as_json(self) -> dict[str, Any]:
        return {
            "relation": self.relation,
            "age_band": self.age_band,
            "needs": list(self.needs),
            "keep_together": self.keep_together,
        }


@dataclass
class RequestInput:
    reason: str
    seat_kind: str = SeatKind.SEATED
    needs: Sequence[str] = ()
    dependants: Sequence[Dependant] = field(default_factory=list)
    keep_with: Person | None = None
    note: str = ""


def _check(data: RequestInput) -> None:
    if data.reason not in Reason.values:
        raise EvacuationError(_("Choose a reason from the list."))
    if data.seat_kind not in SeatKind.values:
        raise EvacuationError(_("Choose a seat kind from the list."))
    if len(data.dependants) > MAX_DEPENDANTS:
        raise EvacuationError(_("At most %(n)d dependants on one request.") % {"n": MAX_DEPENDANTS})
    codes = list(data.needs) + [n for d in data.dependants for n in d.needs]
    unknown = [c for c in codes if c not in Need.values]
    if unknown:
        raise EvacuationError(_("Unknown medical need: %(code)s.") % {"code": unknown[0][:30]})
    for d in data.dependants:
        if d.relation not in Relation.values or d.age_band not in AgeBand.values:
            raise EvacuationError(
                _("Give each dependant a relation and an age band from the list.")
            )


def _places(data: RequestInput) -> tuple[int, int, int]:
    """(seated places, stretcher places, dependants who must travel together)."""
    stretchers = int(data.seat_kind == SeatKind.STRETCHER) + sum(
        1 for d in data.dependants if Need.STRETCHER in d.needs
    )
    people = 1 + len(data.dependants)
    together = sum(1 for d in data.dependants if d.keep_together)
    return people - stretchers, stretchers, together


def heightened_areas(org: Organisation) -> tuple[bool, set[int]]:
    """(the whole organisation is under heightened alert, the areas that are)."""
    everywhere, areas = False, set()
    for mode in active_heightened(org):
        ids = [a.pk for a in mode.areas.all()]
        everywhere = everywhere or not ids
        areas.update(ids)
    return everywhere, areas


def rescore(request: Request, *, org: Organisation) -> None:
    everywhere, areas = heightened_areas(org)
    heightened = everywhere or request.person.area_id in areas
    priority.score(request, now=clock.now(), heightened=heightened, role_points=role_points(org))


@transaction.atomic
def create_request(
    *,
    person: Person,
    data: RequestInput,
    channel: str,
    by: Membership | None = None,
    inbound_id: int | None = None,
    request: HttpRequest | None = None,
) -> Request:
    """Open a request for `person`. A second open request for the same person is refused."""
    _check(data)
    if data.keep_with is not None and (
        data.keep_with.org_id != person.org_id or data.keep_with.pk == person.pk
    ):
        raise EvacuationError(
            _("Choose another person of your organisation to keep together with.")
        )
    if Request.objects.filter(person=person, outcome="").exists():
        raise EvacuationError(_open_refusal(person))
    seats, stretchers, together = _places(data)
    details = {
        "needs": list(data.needs),
        "note": data.note[:2000],
        "dependants": [d.as_json() for d in data.dependants],
    }
    row = Request(
        org_id=person.org_id,
        person=person,
        reason=data.reason,
        seat_kind=data.seat_kind,
        details=write_details(details),
        dependants=len(data.dependants),
        seats=seats,
        stretchers=stretchers,
        keep_together=together,
        keep_with=data.keep_with,
        channel=channel,
        inbound_id=inbound_id,
        requested_by=by,
    )
    priority.set_medical(row, list(data.needs), [d.as_json() for d in data.dependants])
    rescore(row, org=person.org)
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:  # another open request was written at the same moment
        raise EvacuationError(_open_refusal(person)) from None
    audit.record(
        "evacuation.request",
        org_id=person.org_id,
        actor_id=_actor(by),
        obj=row,
        request=request,
        detail={"person": person.pk, "channel": channel},
    )
    return row


@transaction.atomic
def complete_request(
    *,
    request: Request,
    data: RequestInput,
    by: Membership | None,
    http: HttpRequest | None = None,
) -> Request:
    """Complete a request that came in by text (reason "not stated yet"): the reason, the seat
    kind, the medical needs and the household rows, as the person's lead or a coordinator learnt
    them. The note already written is kept. All or nothing: a refusal writes nothing."""
    row = Request.objects.select_for_update().select_related("person").get(pk=request.pk)
    if row.outcome:
        raise EvacuationError(_("This request is closed already."))
    if row.reason != Reason.NOT_STATED:
        raise EvacuationError(
            _("This request was completed already; a coordinator can change its band.")
        )
    if data.reason == Reason.NOT_STATED:
        raise EvacuationError(_("Choose the reason for this request."))
    _check(data)
    person = row.person
    if data.keep_with is not None and (
        data.keep_with.org_id != person.org_id or data.keep_with.pk == person.pk
    ):
        raise EvacuationError(
            _("Choose another person of your organisation to keep together with.")
        )
    if Seat.objects.filter(request=row, is_active=True).exists():
        raise EvacuationError(
            _(
                "%(codename)s is on a movement's manifest: a coordinator takes them off it "
                "before the household changes."
            )
            % {"codename": person.codename}
        )
    seats, stretchers, together = _places(data)
    old = read_details(str(row.details))
    details = {
        "needs": list(data.needs),
        "note": old["note"],
        "dependants": [d.as_json() for d in data.dependants],
    }
    row.reason, row.seat_kind = data.reason, data.seat_kind
    row.details = write_details(details)
    row.dependants, row.seats, row.stretchers = len(data.dependants), seats, stretchers
    row.keep_together, row.keep_with = together, data.keep_with
    priority.set_medical(row, list(data.needs), [d.as_json() for d in data.dependants])
    rescore(row, org=person.org)
    row.save()
    audit.record(
        "evacuation.complete",
        org_id=row.org_id,
        actor_id=_actor(by),
        obj=row,
        request=http,
        detail={"dependants": row.dependants, "channel": _channel(http)},
    )
    return row


def _open_refusal(person: Person) -> str:
    return _(
        "%(codename)s already has an open request: change that one, or record its outcome "
        "before opening another."
    ) % {"codename": person.codename}


def _actor(by: Membership | None) -> int | None:
    return by.user_id if by is not None else None


def details_of(request: Request) -> dict[str, Any]:
    return read_details(str(request.details))


def approve_request(
    *, request: Request, by: Membership | None, http: HttpRequest | None = None
) -> Request:
    """The organisation decides to evacuate this person: requested → approved."""
    move_journey(request=request, to=JourneyState.APPROVED, channel=_channel(http), by=by)
    audit.record(
        "evacuation.approve", actor_id=_actor(by), org_id=request.org_id, obj=request, request=http
    )
    return request


def _channel(http: HttpRequest | None) -> str:
    if http is None:
        return str(Channel.SYSTEM)
    return str(Channel.API if http.path.startswith("/api/") else Channel.PAGE)


@transaction.atomic
def override_band(
    *, request: Request, band: str, reason: str, by: Membership, http: HttpRequest | None = None
) -> Request:
    """A coordinator sets the band (or, with band "", returns to the rule), with a reason."""
    if band and band not in Band.values:
        raise EvacuationError(_("Choose a band from the list."))
    if band and not reason.strip():
        raise EvacuationError(_("Say why the band is set by hand."))
    row = Request.objects.select_for_update().select_related("person").get(pk=request.pk)
    row.override_band, row.override_reason = band, reason.strip()[:500]
    row.override_by = by if band else None
    rescore(row, org=row.person.org)
    row.save()
    audit.record(
        "evacuation.override",
        actor_id=_actor(by),
        org_id=row.org_id,
        obj=row,
        request=http,
        detail={"band": band},
    )
    return row


@transaction.atomic
def record_outcome(
    *, request: Request, outcome: str, by: Membership | None, http: HttpRequest | None = None
) -> Request:
    """Close a request: withdrew, died while waiting, detained at screening, returned (or
    evacuated, when the journey did not record the arrival). The person leaves any manifest."""
    if outcome not in Outcome.values:
        raise EvacuationError(_("Choose an outcome from the list."))
    row = Request.objects.select_for_update().get(pk=request.pk)
    if row.outcome:
        raise EvacuationError(_("This request is closed already."))
    now = clock.now()
    Seat.objects.filter(request=row, is_active=True).update(is_active=False, removed_at=now)
    if outcome != Outcome.EVACUATED and JourneyState.CANCELLED in _moves(row.journey):
        move_journey(request=row, to=JourneyState.CANCELLED, channel=_channel(http), by=by)
    Request.objects.filter(pk=row.pk).update(outcome=outcome, outcome_at=now)
    request.outcome, request.outcome_at = outcome, now
    audit.record(
        "evacuation.outcome",
        actor_id=_actor(by),
        org_id=row.org_id,
        obj=row,
        request=http,
        detail={"outcome": outcome},
    )
    return request


def _moves(state: str) -> frozenset[str]:
    from salama.evacuation.models import JOURNEY_TRANSITIONS

    return JOURNEY_TRANSITIONS[state]


def refresh_scores(org: Organisation, *, batch: int = 1000) -> int:
    """Recompute the priority of open requests scored more than an hour ago (days waiting and
    heightened areas change). Plain columns only: the encrypted details are never read."""
    from datetime import timedelta

    stale = clock.now() - timedelta(hours=1)
    rows = list(
        Request.objects.for_org(org)
        .filter(outcome="", scored_at__lt=stale)
        .select_related("person")
        .defer("details", "override_reason")[:batch]
    )
    if not rows:
        return 0
    everywhere, areas = heightened_areas(org)
    roles = role_points(org)
    now = clock.now()
    for row in rows:
        heightened = everywhere or row.person.area_id in areas
        priority.score(row, now=now, heightened=heightened, role_points=roles)
    Request.objects.bulk_update(
        rows, ["band", "band_rank", "score", "explanation", "scored_at"], batch_size=500
    )
    return len(rows)
