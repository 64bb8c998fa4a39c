from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from salama.messaging import texts


class TextForm(forms.Form):
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, key: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.key = key

    def clean_body(self) -> str:
        body = self.cleaned_data["body"].strip()
        texts.validate_body(self.key, body)
        return body


class ConfirmedTextForm(TextForm):
    """A wording that names a place, the organisation or a sensitive word is saved only with a
    typed confirmation (DESIGN §3)."""

    confirm = forms.CharField(
        label=_("Type CONFIRM to send this wording anyway"), required=False, max_length=20
    )


class GatewayForm(forms.Form):
    base_url = forms.URLField(label=_("Address to send to"), max_length=300, assume_scheme="https")
    public_url = forms.URLField(
        assume_scheme="https",
        label=_("Public address of this server (as the gateway sees it)"),
        max_length=300,
        required=False,
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    use_for_sms = forms.BooleanField(label=_("Send the organisation's SMS through it"),
                                     required=False)  # fmt: skip

    def __init__(self, *args: Any, fields: tuple[str, ...], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = {
            "send_token": _("Sending token"),
            "webhook_secret": _("Webhook secret"),
            "sender": _("Sending number or name"),
            "account_sid": _("Account id"),
            "auth_token": _("Auth token"),
            "messaging_service_sid": _("Messaging service id (instead of a number)"),
        }
        for name in fields:
            self.fields[name] = forms.CharField(
                label=labels[name],
                required=False,
                max_length=200,
                widget=forms.PasswordInput(render_value=False),
                help_text=_("Leave empty to keep the stored value."),
            )


class KeywordsForm(forms.Form):
    add = forms.CharField(
        label=_("Added keywords"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One a line: the word, =, and its meaning (SAFE, NEED_HELP, INJURED, STATUS, "
                    "AT, ACK, NEW, ALL, EXCEPT). Example: zaytoon = SAFE"),
    )  # fmt: skip
    remove = forms.CharField(
        label=_("Disabled keywords"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One a line."),
    )
    rename = forms.CharField(
        label=_("Renamed keywords"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One a line: the old word, =, the new word. Example: safe = zaytoon"),
    )

    @staticmethod
    def pairs(text: str) -> dict[str, str]:
        out: dict[str, str] = {}
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            left, sep, right = line.partition("=")
            if not sep or not left.strip() or not right.strip():
                raise forms.ValidationError(
                    _("Line %(n)d: write the word, =, and the other side."), params={"n": number}
                )
            out[left.strip()] = right.strip()
        return out

    def clean_add(self) -> dict[str, str]:
        pairs = self.pairs(self.cleaned_data["add"])
        return {word: intent.upper() for word, intent in pairs.items()}

    def clean_rename(self) -> dict[str, str]:
        return self.pairs(self.cleaned_data["rename"])

    def clean_remove(self) -> list[str]:
        return [w.strip() for w in self.cleaned_data["remove"].splitlines() if w.strip()]


class SensitiveWordsForm(forms.Form):
    words = forms.CharField(
        label=_("Sensitive words"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("One a line. A text with one of them needs a typed confirmation."),
    )


class SimulatorForm(forms.Form):
    sender = forms.CharField(label=_("From number"), required=False, max_length=40)
    codename = forms.CharField(label=_("Or as codename"), required=False, max_length=20)
    text = forms.CharField(label=_("Message"), max_length=480)
    dry_run = forms.BooleanField(
        label=_("Try only: keep nothing, send nothing"), required=False, initial=True
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("sender") and not data.get("codename"):
            raise forms.ValidationError(_("Give a number or a codename."))
        return data


class AttachForm(forms.Form):
    codename = forms.CharField(label=_("Codename"), max_length=20)
