"""Writes to facility status (the only writers): status cards, updates, threshold alerts.

``record_update`` is the one door for the page, the API, the text command and the demo:

1. Check everything first (codes, numbers, stocks: a negative amount or a daily use of zero is
   refused with a translated FacilityError); nothing is written on bad input.
2. Lock the facility's status row. The update is *current* when its observation time is after
   the current one's (ties: the new row wins, as the greater id). Otherwise it is *late*: kept as
   history, flagged, and the current status is left alone (the check-ins' out-of-order rule).
3. What an update does not say is carried from the update before it in time (for a current one,
   the current status), so every row is a whole picture.
4. A current update is copied onto the status row, and onto ``people.Facility.functionality``
   (the board's map reads it), in the same transaction.
5. A drop in functionality, or a stock falling under its threshold while it was not under it,
   raises one routine alert to the coordinators; a stock already under stays quiet until it has
   been back above (once per crossing, not per update).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from salama.accounts import audit
from salama.accounts.models import Membership
from salama.alerts.models import Alert, AlertKind
from salama.alerts.services import raise_routine
from salama.facilities.models import (
    AlertCause,
    Channel,
    FacilityAlert,
    FacilityStatus,
    StatusUpdate,
)
from salama.facilities.vocabulary import (
    DEFAULT_THRESHOLD_DAYS,
    FUNCTIONALITY_RANK,
    MAX_CAUSES,
    Accessibility,
    Affiliation,
    Availability,
    Barrier,
    Cause,
    Condition,
    FacilityType,
    Functionality,
    Reason,
    Service,
    Stock,
    Utility,
)
from salama.lib import clock
from salama.people.models import Facility, Person

FUTURE_SLACK = timedelta(minutes=10)
CODE_LETTERS = "ACDEFHJKMNPRTUVWXY"
CODE_DIGITS = "34679"
MAX_STOCK = 1_000_000.0
AVAILABLE = (Availability.FULL, Availability.PARTIAL)


class FacilityError(ValidationError):
    """Bad input, with a translated message: nothing was written."""


@dataclass(frozen=True)
class StockInput:
    """Days of stock given directly (``days``, e.g. "fuel 2d"), or the amount on hand and the
    daily use, from which the days follow."""

    days: float | None = None
    on_hand: float | None = None
    daily_use: float | None = None


@dataclass
class UpdateResult:
    update: StatusUpdate
    is_current: bool
    alert: Alert | None = None
    causes: list[str] = field(default_factory=list)  # "functionality", "low_stock:fuel", ...


# --- Status cards ------------------------------------------------------------------------------


def new_code(org_id: int) -> str:
    """A short random code, meaningless on the wire (letter, digit, letter), unused in the org."""
    taken = set(FacilityStatus.objects.filter(org_id=org_id).values_list("code", flat=True))
    while True:
        code = (
            secrets.choice(CODE_LETTERS)
            + secrets.choice(CODE_DIGITS)
            + secrets.choice(CODE_LETTERS)
        )
        if code not in taken:
            return code


def ensure_status(facility: Facility) -> FacilityStatus:
    """The facility's status card, made (with a fresh code) on first use."""
    found = FacilityStatus.objects.filter(facility=facility).first()
    if found is not None:
        return found
    with transaction.atomic():
        status, _created = FacilityStatus.objects.get_or_create(
            facility=facility,
            defaults={"org_id": facility.org_id, "code": new_code(facility.org_id)},
        )
    return status


def ensure_cards(org_id: int) -> int:
    """Status cards for the organisation's facilities that have none yet (new facilities)."""
    missing = list(Facility.objects.filter(org_id=org_id, status__isnull=True))
    for facility in missing:
        ensure_status(facility)
    return len(missing)


def save_card(
    *,
    facility: Facility,
    code: str,
    facility_type: str,
    affiliation: str,
    thresholds: Mapping[str, float] | None = None,
    by: Membership | None = None,
    request: HttpRequest | None = None,
) -> FacilityStatus:
    """Change a facility's code, HeRAMS type, affiliation and stock thresholds (days)."""
    status = ensure_status(facility)
    code = code.strip().upper()
    if not code.isalnum() or not 2 <= len(code) <= 8:
        raise FacilityError(_("A code is 2 to 8 letters and digits."))
    clash = FacilityStatus.objects.for_org(facility.org_id).filter(code=code)
    if clash.exclude(pk=status.pk).exists():
        raise FacilityError(_("Another facility already has this code."))
    _check(facility_type, FacilityType, _("type"))
    _check(affiliation, Affiliation, _("affiliation"))
    clean: dict[str, float] = {}
    for stock, days in (thresholds or {}).items():
        _check(stock, Stock, _("stock"))
        if days is None:
            continue
        if not 0 <= float(days) <= 365:
            raise FacilityError(_("A threshold is between 0 and 365 days."))
        clean[stock] = float(days)
    status.code, status.facility_type, status.affiliation = code, facility_type, affiliation
    status.thresholds = clean
    status.save(update_fields=["code", "facility_type", "affiliation", "thresholds"])
    audit.record(
        "facility.card", org_id=facility.org_id, actor_id=by.user_id if by else None,
        obj=status, request=request, detail={"facility": facility.pk},
    )  # fmt: skip
    return status


def threshold_of(status: FacilityStatus, stock: str) -> float:
    return float(status.thresholds.get(stock, DEFAULT_THRESHOLD_DAYS[Stock(stock)]))


# --- Checks ------------------------------------------------------------------------------------


def _check(value: str, choices: Any, what: object) -> None:
    if value not in choices.values:
        raise FacilityError(
            _("Unknown %(what)s: %(value)s"), params={"what": what, "value": value[:24]}
        )


def _check_all(values: Iterable[str], choices: Any, what: object) -> list[str]:
    out = list(dict.fromkeys(values))
    for value in out:
        _check(value, choices, what)
    return out


def _stock_days(stock: str, given: StockInput) -> dict[str, float | None]:
    _check(stock, Stock, _("stock"))
    on_hand, daily_use, days = given.on_hand, given.daily_use, given.days
    for number in (on_hand, daily_use, days):
        if number is not None and number < 0:
            raise FacilityError(_("A stock cannot be negative."))
        if number is not None and number > MAX_STOCK:
            raise FacilityError(_("This stock is too large."))
    if on_hand is not None or daily_use is not None:
        if on_hand is None or daily_use is None:
            raise FacilityError(_("Give both the amount on hand and the daily use."))
        if daily_use == 0:
            raise FacilityError(_("The daily use cannot be zero."))
        days = on_hand / daily_use
    if days is None:
        raise FacilityError(_("Give the days of stock, or the amount on hand and the daily use."))
    return {"days": round(days, 2), "on_hand": on_hand, "daily_use": daily_use}


def _services(given: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    out = {}
    for code, value in given.items():
        _check(code, Service, _("service"))
        level = value.get("level") if isinstance(value, Mapping) else value
        causes = list(value.get("causes") or []) if isinstance(value, Mapping) else []
        _check(str(level), Availability, _("availability"))
        causes = _check_all(causes, Cause, _("cause"))
        if len(causes) > MAX_CAUSES:
            raise FacilityError(_("At most three causes per service."))
        out[code] = {"level": level, "causes": causes if level not in AVAILABLE[:1] else []}
    return out


# --- Updates -----------------------------------------------------------------------------------

_FIELDS: tuple[str, ...] = ("functionality", "condition", "accessibility", "barriers")
_FIELDS += ("reasons", "beds_total", "beds_occupied")


def _base(status: FacilityStatus, observed_at: datetime, is_current: bool) -> dict[str, Any]:
    """What an update carries from before it: the current status, or for a late update the
    update observed last before it."""
    source: Any = status
    if not is_current:
        source = (
            StatusUpdate.objects.filter(
                facility_id=status.facility_id, observed_at__lte=observed_at
            )
            .order_by("-observed_at", "-id")
            .first()
        )
    if source is None or (is_current and status.update_id is None):
        return {"services": {}, "utilities": {}, "stocks": {}}
    base = {name: getattr(source, name) for name in _FIELDS}
    base |= {"services": dict(source.services), "utilities": dict(source.utilities)}
    return base | {"stocks": dict(source.stocks)}


def _checked(fields: Mapping[str, Any]) -> dict[str, Any]:
    given: dict[str, Any] = {}
    for name, choices, what in (
        ("functionality", Functionality, _("functionality")),
        ("condition", Condition, _("condition")),
        ("accessibility", Accessibility, _("accessibility")),
    ):
        if fields.get(name):
            _check(fields[name], choices, what)
            given[name] = fields[name]
    if fields.get("barriers") is not None:
        given["barriers"] = _check_all(fields["barriers"], Barrier, _("barrier"))
    if fields.get("reasons") is not None:
        given["reasons"] = _check_all(fields["reasons"], Reason, _("reason"))
    for name in ("beds_total", "beds_occupied"):
        if fields.get(name) is not None:
            if int(fields[name]) < 0 or int(fields[name]) > 100_000:
                raise FacilityError(_("A number of beds cannot be negative."))
            given[name] = int(fields[name])
    if fields.get("services"):
        given["services"] = _services(fields["services"])
    if fields.get("utilities"):
        utilities = dict(fields["utilities"])
        _check_all(utilities, Utility, _("utility"))
        _check_all(utilities.values(), Availability, _("availability"))
        given["utilities"] = utilities
    if fields.get("stocks"):
        given["stocks"] = {k: _stock_days(k, v) for k, v in fields["stocks"].items()}
    return given


def record_update(
    *,
    facility: Facility,
    channel: str,
    observed_at: datetime | None = None,
    by: Membership | None = None,
    by_person: Person | None = None,
    inbound_id: int | None = None,
    note: str = "",
    request: HttpRequest | None = None,
    **fields: Any,
) -> UpdateResult:
    """Store one update (see the module docstring). ``fields``: functionality, condition,
    accessibility, barriers, reasons, beds_total, beds_occupied, services ({code: {"level",
    "causes"}}), utilities ({code: level}), stocks ({code: StockInput}). Raises FacilityError."""
    unknown = set(fields) - {*_FIELDS, "services", "utilities", "stocks"}
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    _check(channel, Channel, _("channel"))
    now = clock.now()
    observed_at = observed_at or now
    if observed_at > now + FUTURE_SLACK:
        raise FacilityError(_("The time of observation is in the future."))
    given = _checked(fields)
    ensure_status(facility)
    with transaction.atomic():
        status = FacilityStatus.objects.select_for_update().get(facility=facility)
        is_current = status.observed_at is None or observed_at >= status.observed_at
        merged = _base(status, observed_at, is_current)
        for name in ("services", "utilities", "stocks"):
            merged[name] = {**merged.get(name, {}), **given.pop(name, {})}
        merged |= given
        update = StatusUpdate.objects.create(
            org_id=facility.org_id, facility=facility, observed_at=observed_at,
            received_at=now, channel=channel, by=by, by_person=by_person,
            inbound_id=inbound_id, is_late=not is_current, note=note[:2000], **merged,
        )  # fmt: skip
        result = UpdateResult(update, is_current)
        if is_current:
            _make_current(status, update, result)
        audit.record(
            "facility.update", org_id=facility.org_id, actor_id=by.user_id if by else None,
            obj=update, request=request,
            detail={"facility": facility.pk, "channel": channel, "late": not is_current},
        )  # fmt: skip
    return result


def _make_current(status: FacilityStatus, update: StatusUpdate, result: UpdateResult) -> None:
    before_rank = FUNCTIONALITY_RANK.get(Functionality(status.functionality))
    after_rank = FUNCTIONALITY_RANK.get(Functionality(update.functionality))
    if before_rank and after_rank and after_rank < before_rank and status.update_id:
        result.causes.append(AlertCause.FUNCTIONALITY)
    low = []
    for stock, entry in update.stocks.items():
        if entry.get("days") is not None and entry["days"] < threshold_of(status, stock):
            low.append(stock)
            if stock not in status.low_stocks:
                result.causes.append(f"{AlertCause.LOW_STOCK}:{stock}")
    for name in (*_FIELDS, "services", "utilities", "stocks"):
        setattr(status, name, getattr(update, name))
    status.observed_at, status.update_id, status.low_stocks = update.observed_at, update.pk, low
    trauma = (update.services.get(Service.TRAUMA) or {}).get("level")
    status.takes_trauma = trauma in AVAILABLE and update.functionality != Functionality.NONE
    days = [e["days"] for e in update.stocks.values() if e.get("days") is not None]
    status.min_days = min(days) if days else None
    status.save()
    Facility.objects.filter(pk=status.facility_id).update(
        functionality=update.functionality, functionality_at=update.observed_at
    )
    if result.causes:
        result.alert = _raise(status, update, result.causes)


def _raise(status: FacilityStatus, update: StatusUpdate, causes: list[str]) -> Alert:
    alert = raise_routine(org=status.org, kind=AlertKind.FACILITY, template="facility_alert")
    area_id = (
        Facility.objects.filter(pk=status.facility_id).values_list("area_id", flat=True).first()
    )
    Alert.objects.filter(pk=alert.pk).update(area_id=area_id)
    alert.area_id = area_id
    FacilityAlert.objects.bulk_create(
        FacilityAlert(
            org_id=status.org_id,
            facility_id=status.facility_id,
            update=update,
            alert=alert,
            cause=cause.split(":")[0],
            stock=cause.partition(":")[2],
        )  # fmt: skip
        for cause in causes
    )
    return alert
