"""The monthly SMS budget of an organisation.

- Prices: each channel has a price per segment (``settings.CHANNEL_PRICES``; the organisation
  overrides it with its setting ``channel_prices``). Free channels (console, e-mail) cost 0.
- Spent: every handed-off delivery is charged once (a Charge row: segments of its text x price
  x hand-offs) by the worker job ``charge_deliveries``; the month's spend (in the organisation's
  time zone) is their sum.
- The budget is the organisation's setting ``monthly_budget`` (0 or unset: no budget). At 80%
  a routine alert warns the coordinators, once a month; at 100% another one says that bulk and
  normal texts are held, and they are: the outbox claim (``held_org_ids``, called by
  ``salama.messaging.dispatch.dispatch_batch`` and the Android poll) leaves them queued on every
  channel that costs money. Life-safety texts are never held. Raising the budget (or a new
  month) lets the held texts go.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Sum

from salama.accounts.models import Organisation
from salama.lib import clock
from salama.lib.fields import Sealed
from salama.lib.sms import segments
from salama.messaging import hooks
from salama.messaging.models import BudgetNotice, Charge, Delivery, Priority

WARN_AT = 80
CAP_AT = 100
BATCH = 500


def price_per_segment(org: Organisation, channel: str) -> float:
    prices = org.setting("channel_prices") or {}
    default = settings.CHANNEL_PRICES.get(channel.split(":")[0], 0.0)
    try:
        return float(prices.get(channel, default))
    except (TypeError, ValueError, AttributeError):
        return float(default)


def monthly_budget(org: Organisation) -> float:
    try:
        return max(0.0, float(org.setting("monthly_budget") or 0))
    except (TypeError, ValueError):
        return 0.0


def month_start(org: Organisation, now: datetime | None = None) -> datetime:
    local = (now or clock.now()).astimezone(ZoneInfo(str(org.time_zone or "UTC")))
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def month_key(org: Organisation, now: datetime | None = None) -> str:
    return month_start(org, now).strftime("%Y-%m")


def spent(org: Organisation, now: datetime | None = None) -> float:
    total = (
        Charge.objects.for_org(org)
        .filter(at__gte=month_start(org, now))
        .aggregate(s=Sum("amount"))["s"]
    )
    return float(total or 0)


def share_spent(org: Organisation) -> float | None:
    """Percent of this month's budget spent; None without a budget."""
    budget = monthly_budget(org)
    return None if budget <= 0 else 100.0 * spent(org) / budget


def held_org_ids(channel: str) -> set[int]:
    """Organisations whose bulk and normal texts on `channel` are held: this month's budget is
    spent, and the channel costs them money. (The outbox claim's hook.)"""
    held = set()
    for notice in BudgetNotice.objects.filter(level=CAP_AT).select_related("org"):
        org = notice.org
        if notice.month != month_key(org) or price_per_segment(org, channel) <= 0:
            continue
        share = share_spent(org)
        if share is not None and share >= CAP_AT:
            held.add(org.pk)
    return held


def _charge(delivery: Delivery) -> Charge | None:
    body = delivery.message.body
    count = segments(body)[1] if isinstance(body, str) and not isinstance(body, Sealed) else 1
    price = Decimal(str(price_per_segment(delivery.org, delivery.channel)))
    amount = price * count * max(1, delivery.handoffs)
    try:
        with transaction.atomic():
            return Charge.objects.create(
                org_id=delivery.org_id,
                delivery=delivery,
                channel=delivery.channel,
                segments=count,
                amount=amount,
                at=delivery.handed_off_at or clock.now(),
            )
    except IntegrityError:
        return None  # charged by another worker


def charge_deliveries() -> bool:
    """Worker job: charge handed-off deliveries not charged yet; then check the budgets."""
    charged = Charge.objects.filter(delivery=OuterRef("pk"))
    due = list(
        Delivery.objects.filter(handed_off_at__isnull=False)
        .filter(~Exists(charged))
        .select_related("message", "org")
        .order_by("id")[:BATCH]
    )
    orgs = {}
    for delivery in due:
        if _charge(delivery) is not None:
            orgs[delivery.org_id] = delivery.org
    for org in orgs.values():
        check_budget(org)
    return bool(due)


def check_budget(org: Organisation) -> int | None:
    """Raise the month's 80% or 100% notice if it is due and not raised yet; returns the
    level raised, if any."""
    share = share_spent(org)
    if share is None:
        return None
    raised = None

    # The cap notice goes in the life-safety lane: the cap it announces holds normal texts.
    levels = (
        (WARN_AT, "budget_warning", Priority.NORMAL),
        (CAP_AT, "budget_cap", Priority.LIFE_SAFETY),
    )
    for level, template, priority in levels:
        if share < level:
            continue
        try:
            with transaction.atomic():
                notice = BudgetNotice.objects.create(org=org, month=month_key(org), level=level)
                alert_id = hooks.gateway_warning(
                    org=org, template=template, avoid_channels=(), priority=priority
                )
                BudgetNotice.objects.filter(pk=notice.pk).update(alert_id=alert_id)
        except IntegrityError:
            continue  # raised already this month
        raised = level
    return raised
