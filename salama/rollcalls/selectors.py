"""What the live roll-call page shows: counts by answer, delivery and area."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.db.models import Max, Min

from salama.messaging import texts
from salama.messaging.models import Delivery, DeliveryState
from salama.people.models import RiskLevel
from salama.rollcalls.models import RollCall, RollCallRecipient, Timing
from salama.rollcalls.services import last_send_at, safety_options

RISK_ORDER = {RiskLevel.EXTREME: -1, RiskLevel.HIGH: 0, RiskLevel.MEDIUM: 1, RiskLevel.LOW: 2}


def summary(roll_call: RollCall, language: str = "en") -> dict[str, Any]:
    rows = list(
        RollCallRecipient.objects.filter(roll_call=roll_call).select_related("person__area")
    )
    message_ids = [r.message_id for r in rows if r.message_id]
    deliveries = {
        d["message_id"]: d
        for d in Delivery.objects.filter(message_id__in=message_ids)
        .values("message_id")
        .annotate(handed=Min("handed_off_at"), dead=Max("state"))
    }
    dead_ids = set(
        Delivery.objects.filter(message_id__in=message_ids, state=DeliveryState.DEAD).values_list(
            "message_id", flat=True
        )
    )
    counts: Counter[str] = Counter()
    per_option: Counter[int] = Counter()
    areas: dict[str, dict[str, Any]] = {}
    unknown = []
    for row in rows:
        area = row.person.area
        key = area.name_en if area else "—"
        bucket = areas.setdefault(
            key,
            {
                "area": area,
                "risk": RISK_ORDER.get(area.risk, 1) if area else 3,
                "silent": 0,
                "heard": 0,
                "total": 0,
            },
        )
        bucket["total"] += 1
        counts["total"] += 1
        if row.withheld:
            counts["withheld"] += 1
            continue
        if row.superseded_at is not None and row.option is None:
            counts["superseded"] += 1
            continue
        if row.message_id in dead_ids:
            counts["failed"] += 1
        elif deliveries.get(row.message_id, {}).get("handed"):
            counts["handed"] += 1
        else:
            counts["queued"] += 1
        if row.timing in (Timing.COUNTED, Timing.ACCEPTED):
            counts["heard"] += 1
            bucket["heard"] += 1
            per_option[int(row.option or 0)] += 1
        elif row.timing == Timing.UNKNOWN:
            counts["unknown"] += 1
            unknown.append(row)
        elif row.timing == Timing.LATE:
            counts["late"] += 1
        else:
            counts["silent"] += 1
            bucket["silent"] += 1
    options = []
    # 2 and 3 always mean help and injured: a roll call of other options counts them too.
    danger = [] if roll_call.is_safety else safety_options()[1:]
    for option in danger + roll_call.options:
        label = option["label"] or texts.status_word(option["effect"], language, roll_call.org)
        options.append({"number": option["number"], "label": label,
                        "count": per_option.get(int(option["number"]), 0)})  # fmt: skip
    ordered = sorted(areas.values(), key=lambda a: (a["risk"], -a["silent"]))
    return {
        "counts": counts,
        "options": options,
        "areas": ordered,
        "unknown": unknown,
        "last_send_at": last_send_at(roll_call),
        "version": f"{sum(counts.values())}-{roll_call.state}-{len(unknown)}-"
        + "-".join(str(o["count"]) for o in options),
    }
