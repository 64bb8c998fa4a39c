from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from salama.accounts.models import Organisation
from salama.lib.names import local_name
from salama.people.models import Area, Certainty, DecisionKind, Status

NOTE_MAX = 500


def area_label(area: Area) -> str:
    """An area's name in the page's language (its Arabic name on Arabic pages when it has one)."""
    return local_name(area)


class AreaChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return area_label(obj)


class AreaChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return area_label(obj)


class FieldCheckInForm(forms.Form):
    status = forms.ChoiceField(choices=Status.choices)
    # No length limit: a call for help is never refused for its note (kept whole, encrypted).
    note = forms.CharField(
        label=_("Note (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    area = AreaChoice(
        label=_("Where are you now? (optional)"), queryset=Area.objects.none(), required=False
    )

    def __init__(self, *args: Any, org: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        area = cast(forms.ModelChoiceField, self.fields["area"])
        area.queryset = Area.objects.for_org(org)
        area.empty_label = _("— unchanged —")


class RelayedForm(forms.Form):
    text = forms.CharField(
        label=_("One line per report"),
        max_length=4000,
        widget=forms.Textarea(
            attrs={"rows": 4, "autofocus": True, "placeholder": "K12 K14 K27 safe, call, 03:20"}
        ),
    )
    note = forms.CharField(label=_("Note (optional)"), required=False, max_length=NOTE_MAX)


class DecisionForm(forms.Form):
    kind = forms.ChoiceField(label=_("Decision"), choices=DecisionKind.choices)
    certainty = forms.ChoiceField(label=_("Certainty"), choices=Certainty.choices)
    source = forms.CharField(
        label=_("Source"),
        max_length=200,
        help_text=_("Who or what says so: a colleague's call, a family member, a news report."),
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=NOTE_MAX, widget=forms.Textarea({"rows": 2})
    )


class EventForm(forms.Form):
    label = forms.CharField(label=_("Short label"), max_length=80)
    started_at = forms.DateTimeField(
        label=_("Started at (organisation time)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        help_text=_("Empty: now."),
    )
    areas = AreaChoices(
        label=_("Areas"),
        queryset=Area.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, org: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelMultipleChoiceField, self.fields["areas"]).queryset = Area.objects.for_org(
            org
        )


class HeightenedForm(forms.Form):
    areas = AreaChoices(
        label=_("Areas (none: the whole organisation)"),
        queryset=Area.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, org: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelMultipleChoiceField, self.fields["areas"]).queryset = Area.objects.for_org(
            org
        )


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Name of the client"), max_length=60)


class FieldSettingsForm(forms.Form):
    """The field page's settings (salama.safety.offline.save_settings checks them)."""

    app_name = forms.CharField(
        label=_("Name on the phone (empty: “Notes”)"),
        required=False,
        max_length=200,
        help_text=_(
            "The field page's title and the installed app's name. Choose a plain word that "
            "names neither the organisation nor its work."
        ),
    )
    app_icon = forms.ChoiceField(label=_("Icon"))
    sms_number = forms.CharField(
        label=_("Number for texts (empty: the phone asks)"),
        required=False,
        max_length=40,
        help_text=_("The number the page's ready-made text goes to: the organisation's gateway."),
    )
    sms_after_minutes = forms.IntegerField(
        label=_("Offer the text after (minutes unsent)"), min_value=1, max_value=1440
    )
    lock_minutes = forms.IntegerField(
        label=_("Lock after (minutes in the background)"), min_value=1, max_value=60
    )

    def __init__(self, *args: Any, icons: tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = {"notes": _("Notes"), "leaf": _("Leaf"), "sun": _("Sun")}
        cast(forms.ChoiceField, self.fields["app_icon"]).choices = [
            (icon, labels.get(icon, icon)) for icon in icons
        ]
