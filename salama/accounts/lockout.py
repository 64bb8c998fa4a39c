"""Login protection that an attacker cannot turn into a lasting lock-out.

- Per address: a fixed-window limit (salama.accounts.ratelimit), which holds back one attacker.
- Per account name as typed (existing or not, so the answer tells nothing): exponential back-off
  stored in LoginBackoff. Past the free failures each one doubles the wait, up to a cap; the
  count is forgotten after a quiet period and reset by a success.
- A browser that completed a login to the account before carries a signed "known device"
  cookie; the account back-off does not apply to it. A flood of wrong passwords from elsewhere
  therefore slows down strangers but never locks the coordinator out of their own laptop.
"""

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.http import HttpRequest, HttpResponse

from salama.accounts.models import LoginBackoff
from salama.lib import clock

KNOWN_COOKIE = "salama_known"
KNOWN_SALT = "salama.accounts.known-device"
KNOWN_MAX_AGE = 180 * 86400
KNOWN_MAX_USERS = 5


def account_key(name: str) -> str:
    return f"acct:{name.strip().lower()[:150]}"


def is_locked(key: str) -> bool:
    row = LoginBackoff.objects.filter(key=key).first()
    return bool(row and row.locked_until and row.locked_until > clock.now())


def record_failure(key: str) -> None:
    now = clock.now()
    free = settings.LOGIN_RATE_PER_ACCOUNT
    with transaction.atomic():
        row, _created = LoginBackoff.objects.select_for_update().get_or_create(
            key=key, defaults={"last_failure_at": now}
        )
        if now - row.last_failure_at > timedelta(seconds=settings.LOGIN_BACKOFF_DECAY):
            row.failures = 0
        row.failures += 1
        row.last_failure_at = now
        if row.failures >= free:
            doublings = min(row.failures - free, 20)
            wait = min(settings.LOGIN_BACKOFF_BASE * 2**doublings, settings.LOGIN_BACKOFF_MAX)
            row.locked_until = now + timedelta(seconds=wait)
        row.save()


def reset(key: str) -> None:
    LoginBackoff.objects.filter(key=key).delete()


def known_user_ids(request: HttpRequest) -> set[int]:
    raw = request.COOKIES.get(KNOWN_COOKIE)
    if not raw:
        return set()
    try:
        ids = signing.loads(raw, salt=KNOWN_SALT, max_age=KNOWN_MAX_AGE)
    except signing.BadSignature:
        return set()
    return {int(i) for i in ids if isinstance(i, int)}


def remember_device(request: HttpRequest, response: HttpResponse, user_id: int) -> None:
    """Mark this browser as one that completed a login to `user_id`."""
    ids = [user_id, *[i for i in known_user_ids(request) if i != user_id]][:KNOWN_MAX_USERS]
    response.set_cookie(
        KNOWN_COOKIE,
        signing.dumps(ids, salt=KNOWN_SALT),
        max_age=KNOWN_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
