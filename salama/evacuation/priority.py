"""The priority rule (docs/evacuation.md): a band and a score from stated, visible factors.

score = medical urgency + dependants' needs + area under heightened alert + days waiting
        (+ the person's role, only where the organisation turned role criticality on)

- medical urgency dominates: the reason (injury 40, own medical condition 30, a dependant's 20)
  plus the heaviest of the person's own needs (dependent ventilator 60 ... wheelchair 10);
- dependants' needs: 10 for each dependant with a medical need, at most 30;
- the person's area under heightened alert (salama.safety's heightened mode): 20;
- waiting: 1 a day, at most 30;
- threat and risk of detention: 20 (not medical, but they move a request up a band).
Band: urgent when medical urgency reaches 50; priority when it reaches 20, or the score reaches
40; routine otherwise. A coordinator's override sets the band, with a reason (audited).
The queue is sorted by band, then score (higher first), then waiting time (longer first).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from salama.evacuation.models import BAND_RANK, Band, Need, Reason, Request

REASON_POINTS = {
    Reason.INJURY: 40,
    Reason.MEDICAL_SELF: 30,
    Reason.MEDICAL_DEPENDANT: 20,
    Reason.THREAT: 20,
    Reason.DETENTION_RISK: 20,
    Reason.END_OF_MISSION: 0,
    Reason.NOT_STATED: 0,
}
MEDICAL_REASONS = frozenset({Reason.INJURY, Reason.MEDICAL_SELF, Reason.MEDICAL_DEPENDANT})
NEED_POINTS = {
    Need.VENTILATOR_DEPENDENT: 60,
    Need.DIALYSIS: 50,
    Need.OXYGEN: 50,
    Need.CARDIAC_DEVICE: 40,
    Need.VENTILATOR_INTERMITTENT: 40,
    Need.VITAL_MEDICATION: 35,
    Need.STRETCHER: 30,
    Need.PREGNANCY: 25,
    Need.MOBILITY: 10,
    Need.WHEELCHAIR: 10,
}
DEPENDANT_POINTS, DEPENDANT_CAP = 10, 30
AREA_POINTS = 20
WAITING_CAP = 30
URGENT_AT, PRIORITY_AT, PRIORITY_SCORE_AT = 50, 20, 40

Factor = list[Any]  # [code, points, n]


def medical(reason: str, needs: Iterable[str]) -> tuple[int, list[Factor]]:
    factors: list[Factor] = []
    points = 0
    if REASON_POINTS.get(Reason(reason), 0) and reason in MEDICAL_REASONS:
        points += REASON_POINTS[Reason(reason)]
        factors.append([reason, REASON_POINTS[Reason(reason)], None])
    heaviest = max(needs, key=lambda n: NEED_POINTS.get(Need(n), 0), default=None)
    if heaviest:
        points += NEED_POINTS[Need(heaviest)]
        factors.append([heaviest, NEED_POINTS[Need(heaviest)], None])
    return points, factors


def dependants_points(dependants: Iterable[dict[str, Any]]) -> int:
    with_needs = sum(1 for d in dependants if d.get("needs"))
    return min(with_needs * DEPENDANT_POINTS, DEPENDANT_CAP)


def score(
    request: Request, *, now: datetime, heightened: bool, role_points: dict[str, int]
) -> None:
    """Set band, score and explanation on `request` (not saved). `heightened`: the person's
    area is under heightened alert now."""
    factors: list[Factor] = [list(f) for f in medical_factors(request)]
    total = request.medical_points
    other = 0 if request.reason in MEDICAL_REASONS else REASON_POINTS[Reason(request.reason)]
    if other:
        factors.append([request.reason, other, None])
        total += other
    if request.dependant_points:
        factors.append(["dependants", request.dependant_points, None])
        total += request.dependant_points
    if heightened:
        factors.append(["area", AREA_POINTS, None])
        total += AREA_POINTS
    days = max(0, (now - request.requested_at).days)
    if days:
        waiting = min(days, WAITING_CAP)
        factors.append(["waiting", waiting, days])
        total += waiting
    role = role_points.get(request.person.role, 0) if role_points else 0
    if role:
        factors.append(["role", role, None])
        total += role
    if request.medical_points >= URGENT_AT:
        band = Band.URGENT
    elif request.medical_points >= PRIORITY_AT or total >= PRIORITY_SCORE_AT or other:
        band = Band.PRIORITY
    else:
        band = Band.ROUTINE
    if request.override_band:
        band = Band(request.override_band)
        factors.append(["override", 0, None])
    request.band, request.band_rank, request.score = band, BAND_RANK[band], total
    request.explanation, request.scored_at = factors, now


MEDICAL_CODES = frozenset(MEDICAL_REASONS) | frozenset(Need.values)


def medical_factors(request: Request) -> list[Factor]:
    """The medical lines, fixed when the request was written (set_medical) and kept in the
    explanation, so a refresh never decrypts the details."""
    fresh = getattr(request, "_medical_factors", None)
    if fresh is not None:
        return list(fresh)
    return [f for f in request.explanation if f[0] in MEDICAL_CODES]


def set_medical(request: Request, needs: list[str], dependants: list[dict[str, Any]]) -> None:
    points, factors = medical(request.reason, needs)
    request.medical_points = points
    request._medical_factors = factors  # type: ignore[attr-defined]
    request.dependant_points = dependants_points(dependants)


def explain(factors: Iterable[Factor]) -> list[str]:
    """The explanation in the active language: ["injured +40", "waiting 12 days +12", ...]."""
    words = {
        "injury": _("injured"),
        "medical_self": _("medical condition"),
        "medical_dependant": _("a dependant's medical condition"),
        "threat": _("threat"),
        "detention_risk": _("risk of detention"),
        "dependants": _("dependants' needs"),
        "area": _("area under heightened alert"),
        "role": _("role"),
    }
    needs = dict(Need.choices)
    out = []
    for code, points, n in factors:
        if code == "override":
            out.append(_("band set by a coordinator"))
        elif code == "waiting":
            out.append(
                ngettext("waiting %(n)d day +%(p)d", "waiting %(n)d days +%(p)d", n)
                % {"n": n, "p": points}
            )
        else:
            label = words.get(code) or str(needs.get(code, code)).lower()
            out.append(f"{label} +{points}")
    return out
