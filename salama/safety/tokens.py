"""Per-user API tokens: 32 random bytes shown once, only their SHA-256 stored, bound to one
user and one organisation, revocable. `TokenAuth` lets django-ninja accept them as
`Authorization: Bearer <token>`."""

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.db.models import F, FilteredRelation, Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, HttpError
from ninja.security import HttpBearer

from salama.accounts import audit
from salama.accounts.models import ApiToken, Membership, Organisation, User
from salama.lib import clock
from salama.lib.apiaccess import SignedInSession
from salama.safety.prepared import Prepared

LAST_USED_STEP = timedelta(minutes=5)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    *, user: User, org: Organisation, name: str, request: HttpRequest | None = None
) -> str:
    """Returns the token itself: the only time it exists outside the caller's hands."""
    token = secrets.token_urlsafe(32)
    row = ApiToken.objects.create(
        user=user, org=org, name=name.strip()[:60], token_hash=token_hash(token)
    )
    audit.record("api_token_created", org_id=org.pk, actor_id=user.pk, obj=row, request=request)
    return token


def revoke_token(*, token: ApiToken, request: HttpRequest | None = None) -> bool:
    revoked = ApiToken.objects.filter(pk=token.pk, revoked_at=None).update(revoked_at=clock.now())
    if revoked:
        audit.record(
            "api_token_revoked",
            org_id=token.org_id,
            obj=token,
            request=request,
            detail={"token": token.pk},
        )
    return bool(revoked)


def _token_query(digest: str) -> "QuerySet[ApiToken]":
    return (
        ApiToken.objects.annotate(
            member=FilteredRelation(
                "user__memberships",
                condition=Q(user__memberships__org=F("org"), user__memberships__is_active=True),
            )
        )
        .select_related("user", "org", "member")  # type: ignore[misc]
        .defer("org__credentials")  # gateway secrets: never needed here, costly to decrypt
        .filter(token_hash=digest, revoked_at=None)
    )


_token_with_member = Prepared(_token_query, "")


def _bad_token() -> AuthenticationError:
    return AuthenticationError(message=_("This API token is not valid, or it was revoked."))


class TokenAuth(HttpBearer):
    """Bearer token → request.user, request.org, request.membership. A revoked token, or one
    whose user has lost the membership, authenticates nothing."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        # A request that presents a bearer token is a token request: a bad token is 401 at
        # once, never passed on to session authentication (whose answer, "CSRF check failed",
        # tells a program nothing it can act on).
        if not token or len(token) > 200:
            raise _bad_token()
        # One statement, compiled once: the token, its user and organisation, and the user's
        # active membership of that organisation (a check-in is paid for per request).
        row = _token_with_member(token_hash(token))
        if row is None or not row.user.is_active or not row.org.is_active:
            raise _bad_token()
        membership: Membership | None = getattr(row, "member", None)
        if membership is None:
            raise _bad_token()
        membership.org = row.org
        membership.user = row.user
        now = clock.now()
        if row.last_used_at is None or now - row.last_used_at > LAST_USED_STEP:
            ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
        request.user = row.user
        request.org = membership.org  # type: ignore[attr-defined]
        request.membership = membership  # type: ignore[attr-defined]
        request.api_token = row  # type: ignore[attr-defined]
        return row.user


def _gate(request: HttpRequest, result: Any, allowed: tuple[str, ...]) -> Any:
    membership = getattr(request, "membership", None)
    if result and (membership is None or membership.role not in allowed):
        raise HttpError(403, _("Your role does not allow this."))
    return result


class SessionGate(SignedInSession):
    """Session authentication that also refuses a role before the body is parsed (so a denied
    role gets 403, not a validation error about a body it may not send)."""

    def __init__(self, allowed: tuple[str, ...]) -> None:
        super().__init__()
        self.allowed = allowed

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        return _gate(request, super().authenticate(request, key), self.allowed)


class TokenGate(TokenAuth):
    def __init__(self, allowed: tuple[str, ...]) -> None:
        super().__init__()
        self.allowed = allowed

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        return _gate(request, super().authenticate(request, token), self.allowed)


def gated(*allowed: str) -> list[Any]:
    """`auth=` for operations with a request body: token or session, role checked first. The
    token comes first: session authentication checks CSRF before anything else, so a program
    sending only its bearer token would otherwise be refused."""
    return [TokenGate(allowed), SessionGate(allowed)]
