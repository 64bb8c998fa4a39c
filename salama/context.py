"""Context for every page that needs apps of every floor (this module stands above them all).

The life-safety banner: coordinators and org admins see, on every page, how many life-safety
alerts are open and how many nobody has acknowledged, with a link to the duty page. The board
draws it inside its live part (so it redraws with the board's poll), every other page under the
top bar (base.html)."""

from typing import Any

from django.http import HttpRequest

from salama.accounts.access import COORDINATING
from salama.safety import hooks

BANNER_TEMPLATE = "_alert_banner.html"


def alert_banner(request: HttpRequest) -> dict[str, Any]:
    membership = getattr(request, "membership", None)
    org = getattr(request, "org", None)
    if membership is None or org is None or membership.role not in COORDINATING:
        return {}
    counts = hooks.alert_counts(org_id=org.pk)
    if not counts.open:
        return {}
    return {"alert_banner": {"template": BANNER_TEMPLATE, "counts": counts}}
