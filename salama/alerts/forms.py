from typing import Any
from zoneinfo import available_timezones

from django import forms
from django.utils.translation import gettext_lazy as _

from salama.accounts.access import COORDINATING
from salama.accounts.models import Membership, Organisation

ZONES = sorted(available_timezones())


def member_label(membership: Membership) -> str:
    return f"{membership.user.get_username()} ({membership.get_role_display()})"


class MemberChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return member_label(obj)


def coordinating(org: Organisation) -> Any:
    return (
        Membership.objects.for_org(org)
        .filter(is_active=True, role__in=COORDINATING)
        .select_related("user")
        .order_by("user__username")
    )


class CloseForm(forms.Form):
    note = forms.CharField(
        label=_("What was done"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Kept encrypted; never sent in a text."),
    )


class ShiftForm(forms.Form):
    membership = MemberChoice(label=_("Coordinator"), queryset=Membership.objects.none())
    starts = forms.DateTimeField(
        label=_("Starts"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    ends = forms.DateTimeField(
        label=_("Ends"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    time_zone = forms.ChoiceField(
        label=_("In the time zone of"),
        choices=[(z, z) for z in ZONES],
        help_text=_("The coordinator's own time zone: the times above are read in it."),
    )

    def __init__(self, *args: Any, org: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["membership"].queryset = coordinating(org)  # type: ignore[attr-defined]


class ProfileForm(forms.Form):
    time_zone = forms.ChoiceField(label=_("My time zone"), choices=[(z, z) for z in ZONES])
    quiet_from = forms.TimeField(
        label=_("Quiet hours from"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}),
    )
    quiet_until = forms.TimeField(
        label=_("until"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )


class SilenceForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        help_text=_("For example: in surgery. Kept encrypted."),
    )
    until = forms.DateTimeField(
        label=_("Until"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )


class HandoverForm(forms.Form):
    """One "hand to" choice per alert not yet closed: every one must be filled."""

    def __init__(self, *args: Any, org: Organisation, alerts: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.alerts = alerts
        people = coordinating(org)
        for alert in alerts:
            self.fields[f"alert_{alert.pk}"] = MemberChoice(
                # Named as the duty page names it: number, kind and the person's codename.
                label=_("Alert %(number)s: %(kind)s, %(codename)s")
                % {
                    "number": alert.number,
                    "kind": alert.get_kind_display(),
                    "codename": alert.person.codename if alert.person_id else "—",
                },
                queryset=people,
                error_messages={"required": _("Hand this alert to someone.")},
            )

    def assignments(self) -> dict[int, Membership]:
        return {a.pk: self.cleaned_data[f"alert_{a.pk}"] for a in self.alerts}
