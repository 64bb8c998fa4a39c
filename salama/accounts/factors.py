"""Second factors: who must use one, marking a session verified, the TOTP fallback that an org
admin approves, and the reset of a user's factors.

A session is "verified" in django-otp's sense (the device id in the session, checked on every
request by django_otp's middleware, so a deleted or unconfirmed device un-verifies every session
at once). `mark_verified` also records when, for `require_recent_second_factor`.
"""

import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django_otp import devices_for_user
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from salama.accounts import audit
from salama.accounts.models import (
    FallbackApproval,
    FallbackFactor,
    Membership,
    Role,
    User,
    UserSession,
)
from salama.lib import clock

VERIFIED_AT = "_salama_2fa_at"
RECOVERY_CODES = 10


def required_roles() -> tuple[str, ...]:
    return tuple(settings.SECOND_FACTOR_ROLES)


def has_confirmed_factor(user: Any) -> bool:
    return any(devices_for_user(user, confirmed=True))


def requires_second_factor(user: Any) -> bool:
    """Org admins, coordinators and liaisons (in any active organisation), deployment
    superusers, and anyone who has enrolled a factor of their own."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    if Membership.objects.filter(
        user=user, is_active=True, org__is_active=True, role__in=required_roles()
    ).exists():
        return True
    return has_confirmed_factor(user)


def is_verified(request: HttpRequest) -> bool:
    """The session passed a second factor that counts in its current organisation: a security
    key anywhere; an authenticator app (or its recovery codes) for a privileged role only where
    that organisation approved it (`fallback_counts`)."""
    verified = getattr(request.user, "is_verified", None)
    if not (verified and verified()):
        return False
    device = getattr(request.user, "otp_device", None)
    if not isinstance(device, TOTPDevice | StaticDevice):
        return True
    fallback = fallback_of(request.user)
    return fallback is not None and fallback_counts(fallback, getattr(request, "membership", None))


def fallback_counts(fallback: FallbackFactor, membership: Membership | None) -> bool:
    """Whether an approved app is a second factor for `membership`: always for a role that
    does not need one, else only if the membership's organisation approved it."""
    if fallback.is_pending:
        return False
    if membership is None or membership.role not in required_roles():
        return True
    return approved_in(fallback, membership.org_id)


def approved_in(fallback: FallbackFactor, org_id: int) -> bool:
    return FallbackApproval.objects.for_org(org_id).filter(fallback=fallback).exists()


def mark_verified(request: HttpRequest, device: Any) -> None:
    """The session passed `device` just now."""
    otp_login(request, device)
    request.session[VERIFIED_AT] = int(clock.now().timestamp())
    audit.record("second_factor", request=request, detail={"kind": kind_of(device)})


def verified_at(request: HttpRequest) -> int | None:
    if not is_verified(request):
        return None
    value = request.session.get(VERIFIED_AT)
    return int(value) if value is not None else None


def has_recent_second_factor(request: HttpRequest, within: int | None = None) -> bool:
    stamp = verified_at(request)
    window = settings.REAUTH_WINDOW if within is None else within
    return stamp is not None and clock.now().timestamp() - stamp <= window


def kind_of(device: Any) -> str:
    if isinstance(device, WebAuthnCredential):
        return "security_key"
    if isinstance(device, TOTPDevice):
        return "totp"
    if isinstance(device, StaticDevice):
        return "recovery_code"
    return "other"


def security_keys(user: Any) -> list[WebAuthnCredential]:
    return list(WebAuthnCredential.objects.filter(user=user).order_by("created_at", "pk"))


def fallback_of(user: Any) -> FallbackFactor | None:
    return FallbackFactor.objects.filter(user=user).select_related("totp", "recovery").first()


def verify_code(*, request: HttpRequest, code: str) -> bool:
    """A code from an approved TOTP fallback or one of its recovery codes (used up once
    accepted). Marks the session verified on success."""
    user = request.user
    code = "".join(code.split())
    fallback = fallback_of(user)
    if not code or fallback is None:
        return False
    if not fallback_counts(fallback, getattr(request, "membership", None)):
        return False
    for device in (fallback.totp, fallback.recovery):
        if device.confirmed and device.verify_token(code):
            mark_verified(request, device)
            return True
    return False


@transaction.atomic
def start_fallback(*, user: User) -> FallbackFactor:
    """A new TOTP secret and recovery codes, unusable until proven and approved. Replaces a
    pending request; an approved fallback must be reset by an org admin first."""
    current = fallback_of(user)
    if current is not None and not current.is_pending:
        raise ValidationError(_("You already have an approved authenticator app."))
    if current is not None:
        _delete_fallback(current)
    totp = TOTPDevice.objects.create(user=user, name="fallback", confirmed=False)
    recovery = StaticDevice.objects.create(user=user, name="recovery", confirmed=False)
    for _n in range(RECOVERY_CODES):
        StaticToken.objects.create(device=recovery, token=_recovery_code())
    return FallbackFactor.objects.create(user=user, totp=totp, recovery=recovery)


def _recovery_code() -> str:
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "".join(secrets.choice(alphabet) for _n in range(10))


def recovery_codes(fallback: FallbackFactor) -> list[str]:
    return list(fallback.recovery.token_set.order_by("pk").values_list("token", flat=True))


def prove_fallback(*, request: HttpRequest, code: str) -> bool:
    """The user typed a current code of their pending TOTP: it now waits for an org admin."""
    fallback = fallback_of(request.user)
    if fallback is None or fallback.proven_at is not None:
        return False
    if not fallback.totp.verify_token("".join(code.split())):
        return False
    fallback.proven_at = clock.now()
    fallback.save(update_fields=["proven_at"])
    audit.record("fallback_requested", request=request, obj=fallback)
    return True


def admin_can_manage(admin: Any, target: Any, org_id: int) -> bool:
    """An org admin may approve or reset the factors of a member of their own organisation,
    never their own (another admin, or the operator's `salama reset-factors`, does that)."""
    if admin.pk == target.pk:
        return False
    is_admin = Membership.objects.filter(
        user=admin, org_id=org_id, role=Role.ORG_ADMIN, is_active=True
    ).exists()
    return is_admin and Membership.objects.filter(user=target, org_id=org_id).exists()


@transaction.atomic
def approve_fallback(*, target: User, request: HttpRequest) -> None:
    """The acting organisation's approval of `target`'s proven app. It counts there only
    (`fallback_counts`); the first approval anywhere also makes the app usable at all, for
    roles that need no approval. Audited in every organisation the user belongs to."""
    org_id = request.org.pk  # type: ignore[attr-defined]
    if not admin_can_manage(request.user, target, org_id):
        raise PermissionDenied
    fallback = FallbackFactor.objects.select_for_update().filter(user=target).first()
    if fallback is None or fallback.proven_at is None or approved_in(fallback, org_id):
        raise ValidationError(_("There is no authenticator app waiting for approval."))
    now = clock.now()
    if fallback.is_pending:
        TOTPDevice.objects.filter(pk=fallback.totp_id).update(confirmed=True)
        StaticDevice.objects.filter(pk=fallback.recovery_id).update(confirmed=True)
        fallback.approved_by = request.user  # type: ignore[assignment]
        fallback.approved_at = now
        fallback.save(update_fields=["approved_by", "approved_at"])
    FallbackApproval.objects.create(
        org_id=org_id, fallback=fallback, approved_by_id=request.user.pk, approved_at=now
    )
    audit.record("fallback_approved", request=request, obj=target)
    for other in _other_orgs(target, org_id):
        audit.record(
            "fallback_approved_elsewhere",
            org_id=other,
            actor_id=request.user.pk,
            obj=target,
            request=None,
            detail={"approved_in": org_id, "counts_here": approved_in(fallback, other)},
        )


def _other_orgs(user: User, org_id: int) -> list[int]:
    """The user's other organisations (their own memberships: not one organisation's data)."""
    return list(
        Membership.objects.filter(user=user, is_active=True)
        .exclude(org_id=org_id)
        .values_list("org_id", flat=True)
    )


@transaction.atomic
def reset_factors(*, target: User, request: HttpRequest | None = None) -> int:
    """Remove every second factor of `target` and end all their sessions; they enrol again at
    their next login. `request` is the approving org admin's (None from the operator's
    command). Returns how many factors were removed."""
    org = getattr(request, "org", None)
    if request is not None and (org is None or not admin_can_manage(request.user, target, org.pk)):
        raise PermissionDenied
    removed = (
        WebAuthnCredential.objects.filter(user=target)
        .delete()[1]
        .get(WebAuthnCredential._meta.label, 0)
    )
    fallback = fallback_of(target)
    if fallback is not None:
        removed += 1
        _delete_fallback(fallback)
    for model in (TOTPDevice, StaticDevice):
        removed += model.objects.filter(user=target).delete()[1].get(model._meta.label, 0)
    UserSession.objects.filter(user=target).delete()
    audit.record(
        "factors_reset",
        request=request,
        obj=target,
        detail={"removed": removed, "by": "org_admin" if request is not None else "operator"},
    )
    return removed


def _delete_fallback(fallback: FallbackFactor) -> None:
    totp_id, recovery_id = fallback.totp_id, fallback.recovery_id
    fallback.delete()
    TOTPDevice.objects.filter(pk=totp_id).delete()
    StaticDevice.objects.filter(pk=recovery_id).delete()


def remove_security_key(*, request: HttpRequest, key_id: int) -> None:
    deleted, _rows = WebAuthnCredential.objects.filter(user=request.user, pk=key_id).delete()
    if not deleted:
        raise ValidationError(_("That security key was not found."))
    audit.record("security_key_removed", request=request, detail={"key": key_id})


def verification_age(request: HttpRequest) -> timedelta | None:
    stamp = verified_at(request)
    if stamp is None:
        return None
    return timedelta(seconds=clock.now().timestamp() - stamp)
