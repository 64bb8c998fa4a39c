"""The field page's lock (O1): a PIN chosen on the device, kept only as a hash in the session.

Locking (the page's lock button, or the page after a few minutes in the background) marks the
session locked on the server, so that neither the page, nor its queue key, nor a check-in goes
to whoever holds the phone until the PIN is typed again. The page itself drops the key from its
memory at once, online or not. Without a PIN chosen, the account's password unlocks. Five
wrong tries end the session (audited); tries are also limited per address.
"""

from __future__ import annotations

from django.contrib.auth import logout
from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _

from salama.accounts import audit, ratelimit

LOCKED = "_salama_field_locked"
PIN = "_salama_field_pin"
FAILS = "_salama_field_pin_fails"
MAX_FAILS = 5
PER_ADDRESS = 30  # tries per address per window
WINDOW = 900


def is_locked(request: HttpRequest) -> bool:
    return bool(request.session.get(LOCKED))


def has_pin(request: HttpRequest) -> bool:
    return bool(request.session.get(PIN))


def lock(request: HttpRequest) -> None:
    if not is_locked(request):
        request.session[LOCKED] = True
        audit.record("field.lock", request=request)


def set_pin(request: HttpRequest, pin: str) -> None:
    pin = pin.strip()
    if not (pin.isascii() and pin.isdigit() and 4 <= len(pin) <= 8):
        raise ValidationError(_("The PIN must be 4 to 8 digits."))
    request.session[PIN] = make_password(pin)
    request.session[FAILS] = 0
    audit.record("field.pin_set", request=request)


def unlock(request: HttpRequest, secret: str) -> bool:
    """True if `secret` is the PIN (or, with none chosen, the password). A wrong one counts;
    the fifth ends the session."""
    address = audit.client_address(request) or "-"
    if not ratelimit.hit(f"field-unlock:{address}", limit=PER_ADDRESS, window=WINDOW):
        audit.record("field.unlock_limited", request=request)
        return False
    hashed = request.session.get(PIN)
    user = request.user
    ok = check_password(secret, hashed) if hashed else user.check_password(secret)  # type: ignore[union-attr]
    if ok:
        request.session[LOCKED] = False
        request.session[FAILS] = 0
        audit.record("field.unlock", request=request)
        return True
    fails = int(request.session.get(FAILS, 0)) + 1
    request.session[FAILS] = fails
    audit.record("field.unlock_failed", request=request, detail={"tries": fails})
    if fails >= MAX_FAILS:
        audit.record("field.unlock_ended", request=request)
        logout(request)
    return False
