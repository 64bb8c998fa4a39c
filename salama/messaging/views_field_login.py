"""Field login by text (O1, salama.messaging.field_login): ask for a link, open it, press the
button. Neutral pages: they never say whether a number is registered."""

from __future__ import annotations

from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from salama.accounts import audit, middleware
from salama.accounts.access import public
from salama.accounts.middleware import SESSION_ORG, SESSION_SEEN, SESSION_STARTED
from salama.lib import clock
from salama.messaging import field_login

FIELD_SESSION = middleware.FIELD_SESSION


@public
@never_cache
def request_link(request: HttpRequest) -> HttpResponse:
    sent = False
    if request.method == "POST":
        field_login.request_link(
            number=request.POST.get("number", "")[:40],
            base_url=request.build_absolute_uri("/"),
            request=request,
        )
        sent = True  # the same answer whether or not the number is known
    return render(request, "messaging/login_link.html", {"sent": sent})


@public
@never_cache
def open_link(request: HttpRequest, token: str) -> HttpResponse:
    """GET: a button only (a preview fetching the link uses nothing). POST: use it once."""
    if request.method != "POST":
        return render(request, "messaging/login_link_open.html", {"token": token})
    member = field_login.use_link(token[:64])
    if member is None:
        return render(request, "messaging/login_link_open.html", {"token": "", "failed": True})
    login(request, member.user, backend="django.contrib.auth.backends.ModelBackend")
    now = int(clock.now().timestamp())
    session = request.session
    session.set_expiry(middleware.FIELD_SESSION_SECONDS)
    session[SESSION_ORG] = member.org_id
    session[SESSION_STARTED] = now
    session[SESSION_SEEN] = now
    session[FIELD_SESSION] = True
    session["_salama_addr"] = audit.client_address(request)
    session["_salama_ua"] = request.META.get("HTTP_USER_AGENT", "")[:200]
    audit.record("login", actor_id=member.user_id, org_id=member.org_id, request=request,
                 detail={"by": "text_link"})  # fmt: skip
    return redirect("safety:field_pin")
