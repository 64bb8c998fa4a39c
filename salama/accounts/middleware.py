from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import translation

from salama.accounts.models import Membership

SESSION_ORG = "_salama_org"


def current_organisation(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable:
    """Sets request.org and request.membership from the session's chosen organisation (or the
    user's first active membership), and activates the user's language."""

    def middleware(request: HttpRequest) -> HttpResponse:
        request.org = None  # type: ignore[attr-defined]
        request.membership = None  # type: ignore[attr-defined]
        user = request.user
        if user.is_authenticated:
            memberships = Membership.objects.filter(user=user, is_active=True, org__is_active=True)
            wanted = request.session.get(SESSION_ORG)
            membership = (
                memberships.select_related("org").filter(org_id=wanted).first() if wanted else None
            ) or memberships.select_related("org").order_by("org_id").first()
            if membership:
                request.org = membership.org  # type: ignore[attr-defined]
                request.membership = membership  # type: ignore[attr-defined]
            if user.language:
                translation.activate(user.language)
                request.LANGUAGE_CODE = user.language
        return get_response(request)

    return middleware
