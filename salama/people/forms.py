import json
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from salama.accounts.models import Organisation
from salama.people.models import (
    Area,
    ContactKind,
    ContactState,
    Facility,
    FacilityKind,
    Functionality,
    Person,
    PersonRole,
    RiskLevel,
    Status,
    Team,
)

ENROLMENT_FILTERS = [
    ("", _("Any")),
    ("enrolled", _("Enrolled")),
    ("not_enrolled", _("Not enrolled")),
    ("never_reached", _("Enrolled, never reached")),
]


def _scoped(field: forms.Field, queryset: Any) -> None:
    field.queryset = queryset  # type: ignore[attr-defined]


class RosterFilterForm(forms.Form):
    q = forms.CharField(label=_("Codename"), required=False, max_length=20)
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.none(), required=False)
    area = forms.ModelChoiceField(label=_("Area"), queryset=Area.objects.none(), required=False)
    facility = forms.ModelChoiceField(
        label=_("Facility"), queryset=Facility.objects.none(), required=False
    )
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[("", _("Any")), *Status.choices, ("none", _("Never reached"))],
    )
    enrolment = forms.ChoiceField(label=_("Enrolment"), required=False, choices=ENROLMENT_FILTERS)

    def __init__(self, *args: Any, org: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _scoped(self.fields["team"], Team.objects.for_org(org))
        _scoped(self.fields["area"], Area.objects.for_org(org))
        _scoped(self.fields["facility"], Facility.objects.for_org(org))


class PersonForm(forms.Form):
    SECRET = ("real_name", "specialty")

    codename = forms.CharField(label=_("Codename"), max_length=20)
    role = forms.ChoiceField(label=_("Role"), choices=PersonRole.choices)
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.none(), required=False)
    home_facility = forms.ModelChoiceField(
        label=_("Home facility"), queryset=Facility.objects.none(), required=False
    )
    area = forms.ModelChoiceField(
        label=_("Current area"), queryset=Area.objects.none(), required=False
    )
    language = forms.ChoiceField(
        label=_("Language"), choices=[("ar", "العربية"), ("en", "English")]
    )
    dependants = forms.IntegerField(label=_("Dependants"), min_value=0, max_value=99, initial=0)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    real_name = forms.CharField(
        label=_("Real name (optional, encrypted)"), required=False, max_length=120
    )
    specialty = forms.CharField(
        label=_("Specialty (optional, encrypted)"), required=False, max_length=120
    )

    def __init__(self, *args: Any, org: Organisation, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.editing = editing
        if editing:
            # The form never shows what is recorded: empty keeps it, "forget" erases it.
            for name in self.SECRET:
                self.fields[name].help_text = _("Leave empty to keep what is recorded.")
                self.fields[f"forget_{name}"] = forms.BooleanField(
                    label=_("Forget the recorded %(field)s") % {"field": self.fields[name].label},
                    required=False,
                )
        _scoped(self.fields["team"], Team.objects.for_org(org))
        _scoped(self.fields["home_facility"], Facility.objects.for_org(org))
        _scoped(self.fields["area"], Area.objects.for_org(org))
        if org.setting("collect_exact_location", False):
            self.fields["exact_location"] = forms.CharField(
                label=_("Exact location (latitude,longitude; encrypted)"),
                required=False,
                max_length=60,
            )

    def person_fields(self) -> dict[str, Any]:
        """The Person fields to write: on an edit, an empty secret field keeps its value."""
        data = dict(self.cleaned_data)
        names = [*self.SECRET, *(["exact_location"] if "exact_location" in data else [])]
        for name in names:
            forget = data.pop(f"forget_{name}", False)
            if self.editing and not data.get(name) and not forget:
                data.pop(name, None)
        return data


class ContactForm(forms.Form):
    """A new number or address for a person."""

    kind = forms.ChoiceField(label=_("Kind"), choices=ContactKind.choices, initial="sms")
    value = forms.CharField(label=_("Number or address"), required=False, max_length=120)
    label = forms.CharField(label=_("Label"), required=False, max_length=60)
    is_shared = forms.BooleanField(label=_("Shared phone"), required=False)
    operator = forms.CharField(label=_("Operator"), required=False, max_length=40)


ContactFormSet = forms.formset_factory(ContactForm, extra=2, max_num=10)


class ExistingContactForm(forms.Form):
    """Settings of a contact point the person already has; its value is never shown."""

    id = forms.IntegerField(widget=forms.HiddenInput)
    label = forms.CharField(label=_("Label"), required=False, max_length=60)
    state = forms.ChoiceField(label=_("State"), choices=ContactState.choices)
    is_shared = forms.BooleanField(label=_("Shared phone"), required=False)
    operator = forms.CharField(label=_("Operator"), required=False, max_length=40)
    remove = forms.BooleanField(label=_("Remove from this person"), required=False)


ExistingContactFormSet = forms.formset_factory(ExistingContactForm, extra=0)


class EnrolmentForm(forms.Form):
    how = forms.ChoiceField(
        label=_("Verified"),
        choices=[("in_person", _("in person")), ("voice", _("by voice"))],
        widget=forms.RadioSelect,
    )
    test_message = forms.BooleanField(
        label=_("A test message went both ways (we sent one and received the reply)"),
        required=True,
    )


class TeamForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80)
    name_ar = forms.CharField(label=_("Name in Arabic"), max_length=80, required=False)
    leads = forms.ModelMultipleChoiceField(
        label=_("Leads"), queryset=Person.objects.none(), required=False
    )
    deputies = forms.ModelMultipleChoiceField(
        label=_("Deputies"), queryset=Person.objects.none(), required=False
    )

    def __init__(self, *args: Any, org: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people = Person.objects.for_org(org).filter(is_active=True)
        _scoped(self.fields["leads"], people)
        _scoped(self.fields["deputies"], people)


class AreaForm(forms.Form):
    name_en = forms.CharField(label=_("English name"), max_length=80)
    name_ar = forms.CharField(label=_("Arabic name"), max_length=80)
    aliases = forms.CharField(
        label=_("Other spellings, one per line (both scripts)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    latitude = forms.FloatField(label=_("Latitude"), required=False, min_value=-90, max_value=90)
    longitude = forms.FloatField(
        label=_("Longitude"), required=False, min_value=-180, max_value=180
    )
    polygon = forms.CharField(
        label=_("Outline (GeoJSON Polygon, optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    risk = forms.ChoiceField(label=_("Risk level"), choices=RiskLevel.choices)

    def clean_polygon(self) -> Any:
        text = self.cleaned_data["polygon"].strip()
        if not text:
            return None
        try:
            return json.loads(text)
        except ValueError:
            raise forms.ValidationError(_("This is not valid GeoJSON.")) from None


class FacilityForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    name_ar = forms.CharField(label=_("Arabic name"), max_length=120, required=False)
    aliases = forms.CharField(
        label=_("Other spellings, one per line"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=FacilityKind.choices)
    area = forms.ModelChoiceField(label=_("Area"), queryset=Area.objects.none())
    latitude = forms.FloatField(label=_("Latitude"), required=False, min_value=-90, max_value=90)
    longitude = forms.FloatField(
        label=_("Longitude"), required=False, min_value=-180, max_value=180
    )
    functionality = forms.ChoiceField(label=_("Functionality"), choices=Functionality.choices)

    def __init__(self, *args: Any, org: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _scoped(self.fields["area"], Area.objects.for_org(org))


class ImportForm(forms.Form):
    file = forms.FileField(label=_("CSV file (UTF-8)"))


class ResponderForm(forms.Form):
    """A local responder for an area: a person on the roster (by codename) or a phone number."""

    area = forms.ModelChoiceField(label=_("Area"), queryset=Area.objects.none())
    codename = forms.CharField(
        label=_("Codename of a person on the roster"), required=False, max_length=20
    )
    number = forms.CharField(
        label=_("Or a phone number (an ambulance point's phone)"),
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "dir": "ltr", "inputmode": "tel"}),
    )
    label = forms.CharField(
        label=_("Label"),
        required=False,
        max_length=60,
        help_text=_("What the place is, never a name: e.g. Ambulance point 3."),
    )

    def __init__(self, *args: Any, org: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.org = org
        _scoped(self.fields["area"], Area.objects.for_org(org))

    def clean_codename(self) -> Person | None:
        text = self.cleaned_data["codename"].strip()
        if not text:
            return None
        person = Person.objects.for_org(self.org).filter(codename__iexact=text).first()
        if person is None:
            raise forms.ValidationError(_("No person on the roster has this codename."))
        return person

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors and (data.get("codename") is None) == (not data.get("number")):
            raise forms.ValidationError(
                _("Give either a person on the roster or a phone number, not both.")
            )
        return data


class PersonalCodeForm(forms.Form):
    """A new personal code for ``NEW <codename> <code>``. Never filled in from what is stored
    (only its hash is) nor rendered back after a mistake."""

    code = forms.CharField(
        label=_("New personal code"),
        help_text=_("Six to twelve digits, or two or three words with no status or help word."),
        max_length=40,
        strip=True,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "dir": "ltr"}),
    )
    again = forms.CharField(
        label=_("The same code again"),
        max_length=40,
        strip=True,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "dir": "ltr"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("code") and data.get("again") and data["code"] != data["again"]:
            self.add_error("again", _("The two codes differ."))
        return data
