from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from salama.accounts import ratelimit
from salama.accounts.audit import client_address


class LoginForm(AuthenticationForm):
    """Django's login form behind database rate limits, per address and per account name. The
    account counter is keyed by the name typed, whether or not it exists, so the answer never
    tells an attacker which accounts exist."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "rate_limited": _("Too many attempts. Wait a few minutes and try again."),
    }

    def __init__(self, request: HttpRequest | None = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(request, *args, **kwargs)
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "dir": "ltr"})

    def clean(self) -> dict[str, Any]:
        name = (self.data.get("username") or "").strip().lower()[:150]
        address = client_address(self.request) or "unknown"
        window = settings.LOGIN_RATE_WINDOW
        limited = ratelimit.is_exceeded(
            f"login:addr:{address}", limit=settings.LOGIN_RATE_PER_ADDRESS, window=window
        ) or ratelimit.is_exceeded(
            f"login:acct:{name}", limit=settings.LOGIN_RATE_PER_ACCOUNT, window=window
        )
        if limited:
            raise forms.ValidationError(self.error_messages["rate_limited"], code="rate_limited")
        try:
            return super().clean()
        except forms.ValidationError:
            ratelimit.hit(
                f"login:addr:{address}", limit=settings.LOGIN_RATE_PER_ADDRESS, window=window
            )
            ratelimit.hit(
                f"login:acct:{name}", limit=settings.LOGIN_RATE_PER_ACCOUNT, window=window
            )
            raise


class LanguageForm(forms.Form):
    language = forms.ChoiceField(choices=[("ar", "العربية"), ("en", "English")])
    next = forms.CharField(required=False)
