from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils import translation
from django.utils.translation import gettext

from salama.accounts.models import Membership
from salama.lib import clock

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


SESSION_STARTED = "_salama_started"
FIELD_SESSION = "_salama_field_login"
FIELD_SESSION_SECONDS = 14 * 86400
SESSION_SEEN = "_salama_seen"
SEEN_EVERY = 60  # seconds between writes of "last seen", so a busy page does not write each time
# Pages a signed-in user may reach before passing their second factor.
BEFORE_SECOND_FACTOR = {
    "accounts:second_factor",
    "accounts:fallback",
    "accounts:key_begin",
    "accounts:key_complete",
    "accounts:auth_begin",
    "accounts:auth_complete",
    "accounts:jsi18n",
    "accounts:logout",
    "accounts:set_language",
    # Among one's own organisations: to pass the factor in one that approved one's app.
    "accounts:switch_org",
    "healthz",
}


def session_guard(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable:
    """Ends sessions past the idle or absolute timeout, and keeps users who need a second factor
    (salama.accounts.factors.requires_second_factor) on the second-factor pages until they
    pass it. Pages answer with a redirect there; the API with 403."""

    def middleware(request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            if _timed_out(request):
                from django.contrib.auth import logout

                logout(request)
                return _to_login(request)
            allowed = _url_name(request) in BEFORE_SECOND_FACTOR
            if not allowed and not _second_factor_passed(request):
                if request.path_info.startswith("/api/"):
                    message = gettext("Pass your second factor on the website first.")
                    return JsonResponse({"detail": message}, status=403)
                target = reverse("accounts:second_factor")
                return redirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
        return get_response(request)

    return middleware


def _timed_out(request: HttpRequest) -> bool:
    now = int(clock.now().timestamp())
    session = request.session
    started = session.get(SESSION_STARTED)
    seen = session.get(SESSION_SEEN)
    if started is None or seen is None:
        # A session made without the login page (tests' force_login, the API's own login).
        session[SESSION_STARTED] = started if started is not None else now
        session[SESSION_SEEN] = now
        return False
    # A field login by text (O1) lasts longer: the field page's PIN lock guards it.
    field = session.get(FIELD_SESSION) is True
    if now - started > (FIELD_SESSION_SECONDS if field else settings.SESSION_ABSOLUTE_TIMEOUT):
        return True
    if now - seen > (FIELD_SESSION_SECONDS if field else settings.SESSION_IDLE_TIMEOUT):
        return True
    # A page left open polls by itself (HTMX GETs): that is not someone at the keyboard.
    polling = request.method == "GET" and request.headers.get("HX-Request") == "true"
    if now - seen >= SEEN_EVERY and not polling:
        session[SESSION_SEEN] = now
    return False


def _second_factor_passed(request: HttpRequest) -> bool:
    from salama.accounts import factors

    return factors.is_verified(request) or not factors.requires_second_factor(request.user)


def _url_name(request: HttpRequest) -> str:
    try:
        return resolve(request.path_info).view_name
    except Resolver404:
        return ""


def _to_login(request: HttpRequest) -> HttpResponse:
    if request.path_info.startswith("/api/"):
        return JsonResponse({"detail": gettext("Your session has ended.")}, status=401)
    if request.headers.get("HX-Request") == "true":
        # HTMX would swap the login page into a fragment: send the whole tab there instead.
        response = HttpResponse(status=204)
        response["HX-Redirect"] = redirect_to_login(request.get_full_path())["Location"]
        return response
    return redirect_to_login(request.get_full_path())
