from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from salama.accounts import lockout, ratelimit
from salama.accounts.audit import client_address
from salama.accounts.models import Role, User


class LoginForm(AuthenticationForm):
    """Django's login form behind database limits (salama.accounts.lockout): a fixed window per
    address, and an expiring exponential back-off per account name as typed, whether or not the
    account exists, so the answer never tells an attacker which accounts exist. A browser that
    completed a login to the account before (a signed known-device cookie naming it) is held
    back by neither: behind a shared address (a proxy, a carrier's NAT) a flood from elsewhere
    must not lock out the people who use the account every day."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "rate_limited": _("Too many attempts. Wait a few minutes and try again."),
    }

    def __init__(self, request: HttpRequest | None = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(request, *args, **kwargs)
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "dir": "ltr"})

    def _is_known_device(self, name: str) -> bool:
        known = lockout.known_user_ids(self.request) if self.request else set()
        if not known:
            return False
        user = User.objects.filter(username=name).only("pk").first()
        return user is not None and user.pk in known

    def clean(self) -> dict[str, Any]:
        name = (self.data.get("username") or "").strip()[:150]
        account = lockout.account_key(name)
        address = client_address(self.request) or "unknown"
        window = settings.LOGIN_RATE_WINDOW
        known = self._is_known_device(name)
        limited = not known and (
            ratelimit.is_exceeded(
                f"login:addr:{address}", limit=settings.LOGIN_RATE_PER_ADDRESS, window=window
            )
            or lockout.is_locked(account)
        )
        if limited:
            raise forms.ValidationError(self.error_messages["rate_limited"], code="rate_limited")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            ratelimit.hit(
                f"login:addr:{address}", limit=settings.LOGIN_RATE_PER_ADDRESS, window=window
            )
            lockout.record_failure(account)
            raise
        lockout.reset(account)
        return cleaned


class CodeForm(forms.Form):
    """A code from an authenticator app, or a recovery code."""

    code = forms.CharField(label=_("Code"), max_length=20)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].widget.attrs.update(
            {"autocomplete": "one-time-code", "dir": "ltr", "inputmode": "text"}
        )


class LanguageForm(forms.Form):
    language = forms.ChoiceField(choices=[("ar", "العربية"), ("en", "English")])
    next = forms.CharField(required=False)


class MemberForm(forms.Form):
    """A new member: a login name (no real name needed) and a role."""

    username = forms.CharField(label=_("Username"), max_length=150)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update({"autocomplete": "off", "dir": "ltr"})


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
