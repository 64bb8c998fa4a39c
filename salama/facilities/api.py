"""Facility status over JSON: the current status of every facility (filters as on the board),
one facility with its recent history, and POST an update (the same service as the page and the
text command). Codes and named HeRAMS codes only; no staff names."""

from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja import Status as Answer
from ninja.errors import HttpError

from salama.accounts.access import COORDINATING
from salama.accounts.models import Membership, Organisation, Role
from salama.facilities import selectors, services
from salama.facilities.models import Channel, FacilityStatus, StatusUpdate
from salama.facilities.vocabulary import Stock
from salama.lib.apiaccess import api_roles, located, pages
from salama.lib.problems import errors
from salama.safety.tokens import gated

router = Router(tags=["facilities"])
READERS = (*COORDINATING, Role.FIELD_LEAD)


def _org(request: HttpRequest) -> Organisation:
    return request.org  # type: ignore[attr-defined,no-any-return]


def _member(request: HttpRequest) -> Membership:
    return request.membership  # type: ignore[attr-defined,no-any-return]


class StockIn(Schema):
    days: float | None = None
    on_hand: float | None = None
    daily_use: float | None = None


class ServiceIn(Schema):
    level: str
    causes: list[str] = []


class UpdateIn(Schema):
    observed_at: datetime | None = None
    functionality: str | None = None
    condition: str | None = None
    accessibility: str | None = None
    barriers: list[str] | None = None
    reasons: list[str] | None = None
    beds_total: int | None = None
    beds_occupied: int | None = None
    services: dict[str, ServiceIn] = {}
    utilities: dict[str, str] = {}
    stocks: dict[str, StockIn] = {}
    note: str = ""


class StatusOut(Schema):
    facility_id: int
    code: str
    name: str
    area_id: int
    facility_type: str
    affiliation: str
    functionality: str
    condition: str
    accessibility: str
    observed_at: datetime | None
    beds_total: int | None
    beds_occupied: int | None
    services: dict[str, Any]
    utilities: dict[str, Any]
    stocks: dict[str, Any]
    low_stocks: list[str]


class UpdateOut(Schema):
    id: int
    facility_id: int
    observed_at: datetime
    received_at: datetime
    channel: str
    is_late: bool
    functionality: str
    beds_total: int | None
    beds_occupied: int | None
    stocks: dict[str, Any]


class CreatedOut(Schema):
    update: UpdateOut
    is_current: bool
    alert: int | None
    detail: str


class FacilityOut(Schema):
    status: StatusOut
    history: list[UpdateOut]


class BoardQuery(Schema):
    area: int | None = Field(None, ge=1, le=2**63 - 1)
    type: str = ""
    service: str = ""
    functionality: str = ""
    offset: int = Field(0, ge=0, le=1_000_000)  # bounded: SQLite refuses an OFFSET past 2**63
    limit: int = Field(500, ge=1, le=2000)


def _status_out(row: FacilityStatus) -> dict[str, Any]:
    facility = row.facility
    return {
        "facility_id": facility.pk, "code": row.code, "name": facility.name,
        "area_id": facility.area_id, "facility_type": row.facility_type,
        "affiliation": row.affiliation, "functionality": row.functionality,
        "condition": row.condition, "accessibility": row.accessibility,
        "observed_at": row.observed_at, "beds_total": row.beds_total,
        "beds_occupied": row.beds_occupied, "services": row.services,
        "utilities": row.utilities, "stocks": row.stocks, "low_stocks": row.low_stocks,
    }  # fmt: skip


def _update_out(u: StatusUpdate) -> dict[str, Any]:
    return {
        "id": u.pk, "facility_id": u.facility_id, "observed_at": u.observed_at,
        "received_at": u.received_at, "channel": u.channel, "is_late": u.is_late,
        "functionality": u.functionality, "beds_total": u.beds_total,
        "beds_occupied": u.beds_occupied, "stocks": u.stocks,
    }  # fmt: skip


@router.get("/facilities", response=list[StatusOut])
@api_roles(*READERS)
def list_facilities(request: HttpRequest, query: Query[BoardQuery]) -> list[dict[str, Any]]:
    """The facilities' current status by name, ``limit`` (at most 2,000) from ``offset``;
    filters as on the board (service: fully or partially available now)."""
    services.ensure_cards(_org(request).pk)
    filters = selectors.BoardFilters.from_query(query.model_dump())
    rows = selectors.board(_org(request), filters)[query.offset : query.offset + query.limit]
    return [_status_out(row) for row in rows]


@router.get("/facilities/{facility_id}", response=FacilityOut)
@api_roles(*READERS)
def get_facility(request: HttpRequest, facility_id: int) -> dict[str, Any]:
    facility = selectors.facility_of(_org(request), facility_id)
    if facility is None:
        raise HttpError(404, _("Unknown facility."))
    status = services.ensure_status(facility)
    status.facility = facility
    history = selectors.history(facility)
    return {"status": _status_out(status), "history": [_update_out(u) for u in history]}


@router.post(
    "/facilities/{facility_id}/updates",
    response={201: CreatedOut},
    auth=gated(*READERS),
    openapi_extra=pages("facilities:update", created=True),
)
@api_roles(*READERS)
def create_update(
    request: HttpRequest, response: HttpResponse, facility_id: int, payload: UpdateIn
) -> Answer:
    """Record a status update. An update observed before the current one is kept as history
    (``is_current`` false) and changes nothing; bad input is 422 with a translated reason."""
    facility = selectors.facility_of(_org(request), facility_id)
    if facility is None:
        raise HttpError(404, _("Unknown facility."))
    try:
        result = services.record_update(
            facility=facility, channel=Channel.API, by=_member(request),
            observed_at=payload.observed_at, note=payload.note, request=request,
            functionality=payload.functionality, condition=payload.condition,
            accessibility=payload.accessibility, barriers=payload.barriers,
            reasons=payload.reasons, beds_total=payload.beds_total,
            beds_occupied=payload.beds_occupied,
            services={k: v.model_dump() for k, v in payload.services.items()},
            utilities=payload.utilities,
            stocks={k: services.StockInput(**v.model_dump()) for k, v in payload.stocks.items()},
        )  # fmt: skip
    except services.FacilityError as error:
        raise HttpError(422, " ".join(error.messages)) from error
    located(response, f"/facilities/{facility.pk}")
    detail = (
        _("The status was updated.")
        if result.is_current
        else _("Kept as history: a newer status was already recorded.")
    )
    return Answer(
        201,
        {
            "update": _update_out(result.update),
            "is_current": result.is_current,
            "alert": result.alert.number if result.alert else None,
            "detail": detail,
        },
    )


class FacilityCardIn(Schema):
    code: str = Field(..., max_length=8)
    facility_type: str
    affiliation: str
    thresholds: dict[str, float] = {}


class FacilityCardOut(Schema):
    facility_id: int
    code: str
    facility_type: str
    affiliation: str
    thresholds: dict[str, float]


@router.put(
    "/facilities/{facility_id}/card",
    response={200: FacilityCardOut, **errors(404)},
    auth=gated(*COORDINATING),
    openapi_extra=pages("facilities:card"),
)
@api_roles(*COORDINATING)
def save_card(request: HttpRequest, facility_id: int, payload: FacilityCardIn) -> dict[str, Any]:
    """The facility's status card: its code, HeRAMS type, affiliation and stock thresholds (days
    under which a stock alerts; a stock not named keeps the default). As the card page."""
    facility = selectors.facility_of(_org(request), facility_id)
    if facility is None:
        raise HttpError(404, _("Unknown facility."))
    try:
        status = services.save_card(
            facility=facility, code=payload.code, facility_type=payload.facility_type,
            affiliation=payload.affiliation, thresholds=payload.thresholds,
            by=_member(request), request=request,
        )  # fmt: skip
    except services.FacilityError as error:
        raise HttpError(422, " ".join(error.messages)) from error
    return {
        "facility_id": facility.pk, "code": status.code, "facility_type": status.facility_type,
        "affiliation": status.affiliation,
        "thresholds": {str(s): services.threshold_of(status, s) for s in Stock},
    }  # fmt: skip
