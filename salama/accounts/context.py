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
    }
