"""Per-user API tokens: 32 random bytes shown once, only their SHA-256 stored, bound to one
user and one organisation, revocable. `TokenAuth` lets django-ninja accept them as
`Authorization: Bearer <token>`."""

import copy
import hashlib
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

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
T = TypeVar("T")


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


def _valid() -> "QuerySet[ApiToken]":
    """Tokens that authenticate: not revoked, their user and organisation active (and, below,
    the user's membership of that organisation active). The one rule, for both statements."""
    return ApiToken.objects.filter(revoked_at=None, user__is_active=True, org__is_active=True)


def _token_query(digest: str) -> "QuerySet[ApiToken]":
    return (
        _valid()
        .annotate(
            member=FilteredRelation(
                "user__memberships",
                condition=Q(user__memberships__org=F("org"), user__memberships__is_active=True),
            )
        )
        .select_related("user", "org", "member")  # type: ignore[misc]
        .defer("org__credentials")  # gateway secrets: never needed here, costly to decrypt
        .filter(token_hash=digest)
    )


_token_with_member = Prepared(_token_query, "")


def still_valid(token_id: Any, membership_id: Any, role: Any) -> "QuerySet[ApiToken]":
    """The token `token_id` if it still authenticates as membership `membership_id` with
    `role` (values or expressions): for an EXISTS in the statement that locks the caller's
    person (salama.safety.checkins.lock_own_person), which checks a token taken from this
    process's memory (`TokenGate(seen=True)`) in the same statement, at the same moment, as
    it locks the person."""
    return _valid().filter(
        pk=token_id,
        user__memberships__pk=membership_id,
        user__memberships__org=F("org"),
        user__memberships__is_active=True,
        user__memberships__role=role,
    )


# Tokens this process has authenticated, by hash, with their user, organisation and membership:
# a hint for `TokenGate(seen=True)`, never trusted alone (each use is checked in the statement
# that locks the caller's person, so a revocation in any process counts at once).
_SEEN: dict[str, ApiToken] = {}
SEEN_MAX = 4096


def _bad_token() -> AuthenticationError:
    return AuthenticationError(message=_("This API token is not valid, or it was revoked."))


class Unconfirmed(Exception):  # noqa: N818 - a signal, not an error
    """A token taken from this process's memory did not hold when it was checked in the
    database (revoked, its user, organisation or membership ended, the role changed): nothing
    was written; authenticate it again (`authenticate_again`) and answer from there."""


def _identify(request: HttpRequest, row: ApiToken, seen: bool) -> Any:
    # Copies: a remembered token's objects are never shared between requests.
    membership = copy.copy(row.member)  # type: ignore[attr-defined]
    user = copy.copy(row.user)
    membership.org, membership.user = copy.copy(row.org), user
    now = clock.now()
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_STEP:
        # Only while it still authenticates: a revoked token's refused use is not its last use.
        _valid().filter(pk=row.pk).update(last_used_at=now)
        row.last_used_at = now
    request.user = user
    request.org = membership.org  # type: ignore[attr-defined]
    request.membership = membership  # type: ignore[attr-defined]
    request.api_token = row  # type: ignore[attr-defined]
    request.api_token_seen = seen  # type: ignore[attr-defined]
    return user


def _look_up(digest: str) -> ApiToken:
    # One statement, compiled once: the token, its user and organisation, and the user's
    # active membership of that organisation (a check-in is paid for per request).
    row = _token_with_member(digest)
    if row is None or getattr(row, "member", None) is None:
        _SEEN.pop(digest, None)
        raise _bad_token()
    if len(_SEEN) >= SEEN_MAX:
        _SEEN.clear()
    _SEEN[digest] = row
    return row


class TokenAuth(HttpBearer):
    """Bearer token → request.user, request.org, request.membership. A revoked token, or one
    whose user has lost the membership, authenticates nothing.

    `seen=True` (POST /api/checkins only): a token this process authenticated before is taken
    from memory without a statement, and `request.api_token_seen` is set; the operation must
    then check it in its first statement (`still_valid`), before it reads or writes anything,
    and raise `Unconfirmed` if it does not hold."""

    def __init__(self, seen: bool = False) -> None:
        super().__init__()
        self.seen = seen

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        # A request that presents a bearer token is a token request: a bad token is 401 at
        # once, never passed on to session authentication (whose answer, "CSRF check failed",
        # tells a program nothing it can act on).
        if not token or len(token) > 200:
            raise _bad_token()
        digest = token_hash(token)
        if self.seen:
            row = _SEEN.get(digest)
            if row is not None and self.allows(row.member):  # type: ignore[attr-defined]
                return _identify(request, row, seen=True)
        return _identify(request, _look_up(digest), seen=False)

    def allows(self, membership: Membership) -> bool:
        """Whether a token remembered with this membership may be taken from memory: a refusal
        is never decided from memory (the role may have changed since)."""
        return True


def authenticate_again(request: HttpRequest, allowed: tuple[str, ...]) -> None:
    """After `Unconfirmed`: the token looked up in the database (401 if it no longer
    authenticates; 403 if its role no longer may do this), as if the request had just come."""
    row = request.api_token  # type: ignore[attr-defined]
    _SEEN.pop(row.token_hash, None)
    _identify(request, _look_up(row.token_hash), seen=False)
    _gate(request, True, allowed)


def confirmed(request: HttpRequest, allowed: tuple[str, ...], answer: Callable[[], T]) -> T:
    """`answer()`; if it finds the request's token no longer holds (`Unconfirmed`: nothing was
    written), the token is looked up again (401, 403) and `answer()` runs once more, with the
    token as the database has it now. A token that fails even then is refused (401)."""
    try:
        return answer()
    except Unconfirmed:
        authenticate_again(request, allowed)
    try:
        return answer()
    except Unconfirmed:
        raise _bad_token() from None


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
    def __init__(self, allowed: tuple[str, ...], seen: bool = False) -> None:
        super().__init__(seen=seen)
        self.allowed = allowed

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        return _gate(request, super().authenticate(request, token), self.allowed)

    def allows(self, membership: Membership) -> bool:
        return membership.role in self.allowed


def gated(*allowed: str, seen: bool = False) -> list[Any]:
    """`auth=` for operations with a request body: token or session, role checked first. The
    token comes first: session authentication checks CSRF before anything else, so a program
    sending only its bearer token would otherwise be refused. `seen`: see TokenAuth."""
    return [TokenGate(allowed, seen=seen), SessionGate(allowed)]
