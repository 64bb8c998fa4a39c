"""Pages for second factors, sessions and API tokens: passing a second factor, enrolling a
security key, the TOTP fallback, one's own sessions and tokens, and an org admin's view of the
members' factors (approve a fallback, reset)."""

import hashlib
from datetime import timedelta
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth import logout as auth_logout
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from salama.accounts import audit, factors, lockout
from salama.accounts import members as member_services
from salama.accounts.access import (
    ORG_ADMIN_ONLY,
    login_only,
    require_recent_second_factor,
    roles,
)
from salama.accounts.forms import CodeForm, MemberForm, RoleForm
from salama.accounts.models import AuditEvent, Membership, Role, User
from salama.accounts.webauthn import configuration
from salama.lib import clock


def _me(request: HttpRequest) -> User:
    """The signed-in user (every view here is behind login_only or roles)."""
    return cast(User, request.user)


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return "/"


@login_only
def second_factor(request: HttpRequest) -> HttpResponse:
    """Pass a second factor (after the password, or again before a sensitive action), or, for
    a user who has none yet, enrol a first security key."""
    next_url = _next_url(request)
    reauth = request.GET.get("reauth") == "1" or request.POST.get("reauth") == "1"
    if factors.is_verified(request) and not reauth:
        return redirect(next_url)
    user = _me(request)
    keys = factors.security_keys(user)
    fallback = factors.fallback_of(user)
    membership = getattr(request, "membership", None)
    has_code = fallback is not None and factors.fallback_counts(fallback, membership)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if factors.verify_code(request=request, code=form.cleaned_data["code"]):
            response = redirect(next_url)
            lockout.reset(lockout.account_key(user.get_username()))
            lockout.remember_device(request, response, user.pk)
            return response
        form.add_error("code", _("That code is not valid. Try the current one."))
    context = {
        "keys": keys,
        "has_code": has_code,
        "fallback": fallback,
        "enrol": not keys and not has_code,
        "form": form,
        "next": next_url,
        "reauth": reauth,
        "webauthn": configuration(request),
    }
    return render(request, "accounts/second_factor.html", context)


@login_only
def fallback(request: HttpRequest) -> HttpResponse:
    """Ask for an authenticator app (TOTP) with recovery codes, for someone without a security
    key. Usable only after the user proves a code and an org admin approves it."""
    current = factors.fallback_of(_me(request))
    form = CodeForm(request.POST if request.POST.get("action") == "prove" else None)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "start":
            try:
                factors.start_fallback(user=_me(request))
            except ValidationError as error:
                messages.error(request, error.messages[0])
            return redirect("accounts:fallback")
        if action == "prove" and form.is_valid():
            if factors.prove_fallback(request=request, code=form.cleaned_data["code"]):
                messages.success(
                    request, _("Code accepted. An organisation admin must approve it.")
                )
                return redirect("accounts:fallback")
            form.add_error("code", _("That code is not valid. Try the current one."))
    context: dict[str, Any] = {"fallback": current, "form": form}
    if current is not None and current.proven_at is None:
        context["secret"] = _base32(current.totp.bin_key)
        context["uri"] = current.totp.config_url
        context["codes"] = factors.recovery_codes(current)
    return render(request, "accounts/fallback.html", context)


def _base32(key: bytes) -> str:
    from base64 import b32encode

    text = b32encode(key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def session_id(session_key: str) -> str:
    """An opaque id for a session on the page: never the session key itself."""
    return hashlib.sha256(session_key.encode()).hexdigest()[:20]


@login_only
def security(request: HttpRequest) -> HttpResponse:
    now = clock.now()
    current_key = request.session.session_key or ""
    sessions = [
        {
            "id": session_id(row.session_key),
            "created_at": row.created_at,
            "last_seen_at": row.last_seen_at,
            "address": row.address,
            "user_agent": row.user_agent,
            "is_current": row.session_key == current_key,
        }
        for row in _me(request).sessions.filter(expire_date__gt=now).order_by("-last_seen_at")
    ]
    tokens = _me(request).api_tokens.order_by("revoked_at", "-created_at")
    context = {
        "keys": factors.security_keys(_me(request)),
        "fallback": factors.fallback_of(_me(request)),
        "sessions": sessions,
        "tokens": tokens,
        "webauthn": configuration(request),
        "verified": factors.is_verified(request),
    }
    return render(request, "accounts/security.html", context)


@login_only
@require_POST
def end_session(request: HttpRequest) -> HttpResponse:
    wanted = request.POST.get("session", "")
    everyone_else = wanted == "others"
    current_key = request.session.session_key or ""
    ended = 0
    for row in _me(request).sessions.all():
        is_current = row.session_key == current_key
        if (everyone_else and not is_current) or session_id(row.session_key) == wanted:
            row.delete()
            ended += 1
            if is_current:
                audit.record("session_ended", request=request, detail={"own": True})
                auth_logout(request)
                return redirect("accounts:login")
    if ended:
        audit.record("session_ended", request=request, detail={"count": ended})
        messages.success(request, _("Sessions ended: %(count)d.") % {"count": ended})
    else:
        messages.error(request, _("That session has already ended."))
    return redirect("accounts:security")


@login_only
@require_POST
def revoke_token(request: HttpRequest) -> HttpResponse:
    token_id = request.POST.get("token", "")
    revoked = 0
    if token_id.isdigit():
        revoked = (
            _me(request)
            .api_tokens.filter(pk=int(token_id), revoked_at=None)
            .update(revoked_at=clock.now())
        )
    if revoked:
        audit.record("api_token_revoked", request=request, detail={"token": int(token_id)})
        messages.success(request, _("The API token was revoked."))
    else:
        messages.error(request, _("That API token was not found or is already revoked."))
    return redirect("accounts:security")


@login_only
@require_POST
@require_recent_second_factor
def remove_key(request: HttpRequest) -> HttpResponse:
    key_id = request.POST.get("key", "")
    try:
        if not key_id.isdigit():
            raise ValidationError(_("That security key was not found."))
        factors.remove_security_key(request=request, key_id=int(key_id))
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("The security key was removed."))
    return redirect("accounts:security")


@roles(*ORG_ADMIN_ONLY)
def members(request: HttpRequest) -> HttpResponse:
    return _members_page(request)


def _members_page(request: HttpRequest, form: MemberForm | None = None) -> HttpResponse:
    """An org admin's view: the members and their roles, who has which factor, fallbacks
    waiting for approval; adding, changing and removing members (salama.accounts.members)."""
    rows = []
    memberships = (
        Membership.objects.for_org(request.org)  # type: ignore[attr-defined]
        .filter(is_active=True)
        .select_related("user")
        .order_by("user__username")
    )
    required = factors.required_roles()
    for membership in memberships:
        user = membership.user
        fallback = factors.fallback_of(user)
        rows.append(
            {
                "membership": membership,
                "keys": len(factors.security_keys(user)),
                "fallback": fallback,
                # Proven, and not yet approved by this organisation (another's does not count).
                "waiting": fallback is not None
                and fallback.proven_at is not None
                and not factors.approved_in(fallback, membership.org_id),
                "required": membership.role in required,
                "is_self": user.pk == request.user.pk,
            }
        )
    context = {
        "rows": rows,
        "lost_elsewhere": lost_elsewhere(request.org),  # type: ignore[attr-defined]
        "form": form or MemberForm(),
        "roles": Role.choices,
    }
    return render(request, "accounts/members.html", context, status=400 if form else 200)


LOST_NOTICE_DAYS = 30


def lost_elsewhere(org: Any) -> list[dict[str, Any]]:
    """Members whose phone another organisation reported lost or seized in the last 30 days
    (salama.privacy.services.report_phone_lost audits it here as "phone.lost_elsewhere")."""
    since = clock.now() - timedelta(days=LOST_NOTICE_DAYS)
    events = AuditEvent.objects.filter(org_id=org.pk, action="phone.lost_elsewhere", at__gte=since)
    members = (
        Membership.objects.for_org(org)
        .select_related("user")
        .in_bulk([int(e.object_id) for e in events if e.object_id.isdigit()])
    )
    return [
        {"at": e.at, "membership": members[int(e.object_id)], **e.detail}
        for e in events.order_by("-at")
        if e.object_id.isdigit() and int(e.object_id) in members
    ]


def _member(request: HttpRequest, member_id: int) -> Membership:
    return get_object_or_404(
        Membership.objects.for_org(request.org),  # type: ignore[attr-defined]
        pk=member_id,
    )


@roles(*ORG_ADMIN_ONLY)
@require_POST
@require_recent_second_factor
def approve_fallback(request: HttpRequest, member_id: int) -> HttpResponse:
    membership = _member(request, member_id)
    try:
        factors.approve_fallback(target=membership.user, request=request)
    except PermissionDenied:
        messages.error(request, _("Another organisation admin must do this for your account."))
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("The authenticator app was approved."))
    return redirect("accounts:members")


@roles(*ORG_ADMIN_ONLY)
@require_POST
@require_recent_second_factor
def reset_factors(request: HttpRequest, member_id: int) -> HttpResponse:
    membership = _member(request, member_id)
    try:
        removed = factors.reset_factors(target=membership.user, request=request)
    except PermissionDenied:
        messages.error(request, _("Another organisation admin must do this for your account."))
    else:
        messages.success(
            request,
            _("Second factors removed: %(count)d. The member's sessions were ended.")
            % {"count": removed},
        )
    return redirect("accounts:members")


def _acting(request: HttpRequest) -> Membership:
    return cast(Membership, request.membership)  # type: ignore[attr-defined]


def _one_time(request: HttpRequest, membership: Membership, password: str) -> HttpResponse:
    context = {"membership": membership, "password": password}
    return render(request, "accounts/member_password.html", context)


@roles(*ORG_ADMIN_ONLY)
@require_POST
@require_recent_second_factor
def add_member(request: HttpRequest) -> HttpResponse:
    form = MemberForm(request.POST)
    if not form.is_valid():
        return _members_page(request, form)
    try:
        membership, password = member_services.add_member(
            org=request.org,  # type: ignore[attr-defined]
            username=form.cleaned_data["username"],
            role=form.cleaned_data["role"],
            by=_acting(request),
            request=request,
        )
    except ValidationError as error:
        form.add_error("username", error.messages[0])
        return _members_page(request, form)
    return _one_time(request, membership, password)


@roles(*ORG_ADMIN_ONLY)
@require_POST
@require_recent_second_factor
def set_role(request: HttpRequest, member_id: int) -> HttpResponse:
    membership = _member(request, member_id)
    form = RoleForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Choose a role."))
        member_services.set_role(
            membership=membership,
            role=form.cleaned_data["role"],
            by=_acting(request),
            request=request,
        )
    except (PermissionDenied, ValidationError) as error:
        messages.error(request, _message(error))
    else:
        messages.success(request, _("The role was changed."))
    return redirect("accounts:members")


@roles(*ORG_ADMIN_ONLY)
@require_POST
@require_recent_second_factor
def remove_member(request: HttpRequest, member_id: int) -> HttpResponse:
    membership = _member(request, member_id)
    try:
        member_services.remove_member(membership=membership, by=_acting(request), request=request)
    except PermissionDenied as error:
        messages.error(request, _message(error))
    else:
        messages.success(request, _("The member was removed; their sessions here ended."))
    return redirect("accounts:members")


@roles(*ORG_ADMIN_ONLY)
@require_POST
@require_recent_second_factor
def set_password(request: HttpRequest, member_id: int) -> HttpResponse:
    membership = _member(request, member_id)
    try:
        password = member_services.set_password(
            membership=membership, by=_acting(request), request=request
        )
    except (PermissionDenied, ValidationError) as error:
        messages.error(request, _message(error))
        return redirect("accounts:members")
    return _one_time(request, membership, password)


def _message(error: PermissionDenied | ValidationError) -> str:
    if isinstance(error, ValidationError):
        return error.messages[0]
    return str(error) or _("Another organisation admin must do this for your account.")
