"""Security keys and passkeys through django-otp-webauthn, used as a second factor after the
password (never password-less). The package's JSON views are wrapped here so that they carry our
access decorators, record audit rows and stamp the time of verification; its pages and template
tags are not used: our templates feed its static JavaScript (no inline script, strict CSP)."""

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest, HttpResponse
from django.middleware import csrf
from django.urls import reverse
from django.views.i18n import JavaScriptCatalog
from django_otp_webauthn.helpers import WebAuthnHelper
from django_otp_webauthn.views import (
    BeginCredentialAuthenticationView,
    BeginCredentialRegistrationView,
    CompleteCredentialAuthenticationView,
    CompleteCredentialRegistrationView,
)

from salama.accounts import audit, factors, lockout
from salama.accounts.access import login_only, public
from salama.lib import clock


class Helper(WebAuthnHelper):
    def get_credential_display_name(self, user: AbstractBaseUser) -> str:
        # The authenticator shows and may sync this: the login name only, never a real name.
        return user.get_username()

    def get_credential_name(self, user: AbstractBaseUser) -> str:
        return user.get_username()


def configuration(request: HttpRequest) -> dict[str, Any]:
    """What the package's JavaScript reads from the `otp_webauthn_config` JSON block."""
    return {
        "autocompleteLoginFieldSelector": None,
        "nextFieldSelector": "input[name='next']",
        "csrfToken": csrf.get_token(request),
        "beginAuthenticationUrl": reverse("accounts:auth_begin"),
        "completeAuthenticationUrl": reverse("accounts:auth_complete"),
        "beginRegistrationUrl": reverse("accounts:key_begin"),
        "completeRegistrationUrl": reverse("accounts:key_complete"),
    }


class _KeyComplete(CompleteCredentialRegistrationView):
    def post(self, *args: Any, **kwargs: Any) -> HttpResponse:
        request = self.request
        was_verified = factors.is_verified(request)
        response = super().post(*args, **kwargs)
        audit.record("security_key_enrolled", request=request)
        if not was_verified and factors.is_verified(request):
            # The first key of a user who had no factor: enrolling it is this session's check.
            request.session[factors.VERIFIED_AT] = int(clock.now().timestamp())
            lockout.remember_device(request, response, request.user.pk)
        return response


class _AuthComplete(CompleteCredentialAuthenticationView):
    def complete_auth(self, device: Any) -> None:  # type: ignore[override]
        factors.mark_verified(self.request, device)
        lockout.reset(lockout.account_key(self.request.user.get_username()))

    def post(self, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().post(*args, **kwargs)
        lockout.remember_device(self.request, response, self.request.user.pk)
        return response


key_begin = login_only(BeginCredentialRegistrationView.as_view())
key_complete = login_only(_KeyComplete.as_view())
auth_begin = login_only(BeginCredentialAuthenticationView.as_view())
auth_complete = login_only(_AuthComplete.as_view())
# The package's JavaScript catalogue, with our Arabic (salama.accounts comes last and wins).
jsi18n = public(
    JavaScriptCatalog.as_view(packages=["django_otp_webauthn", "salama.accounts"])  # type: ignore[arg-type]
)
