from typing import Any

from django.conf import settings
from django.http import HttpRequest

from salama.accounts.models import Membership


def organisation(request: HttpRequest) -> dict[str, Any]:
    membership = getattr(request, "membership", None)
    others = []
    if membership is not None:
        others = list(
            Membership.objects.filter(user_id=request.user.pk or 0, is_active=True)
            .exclude(pk=membership.pk)
            .select_related("org")
        )
    return {
        "org": getattr(request, "org", None),
        "membership": membership,
        "role": membership.role if membership else None,
        "other_memberships": others,
        "demo_mode": settings.DEMO,
        "show_nav": _passed_second_factor(request),
    }


def _passed_second_factor(request: HttpRequest) -> bool:
    """The main navigation only once the second factor is passed (or none is needed): before
    that every link would only lead back to the second-factor page."""
    from salama.accounts import factors

    user = request.user
    if not user.is_authenticated:
        return False
    return factors.is_verified(request) or not factors.requires_second_factor(user)
