"""The evacuation forms: a request (with up to six dependants on one screen), a clearance step,
an override, an outcome, a movement's plan, a vehicle, a manifest line."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from salama.accounts.models import Organisation
from salama.evacuation.models import (
    AgeBand,
    Band,
    ClearanceState,
    MovementKind,
    Need,
    Outcome,
    Party,
    Reason,
    Relation,
    SeatKind,
    VehicleKind,
)
from salama.people.models import Area, Facility, Person

DEPENDANT_ROWS = 6
NONE = [("", "—")]
_MEMBER = ("relation", "age", "needs", "together")


def _add_household(
    form: forms.Form,
    prefix: str,
    count: int,
    known: list[dict[str, Any]],
    *,
    needs_widget: Any,
    default_age: str,
) -> None:
    """One group of fields per household member (``<prefix><i>_relation`` …), prefilled from
    ``known`` (what a text already said) where there is a row for it."""
    for i in range(count):
        row = known[i] if i < len(known) else {}
        form.fields[f"{prefix}{i}_relation"] = forms.ChoiceField(
            label=_("Relation"),
            choices=NONE + list(Relation.choices),
            required=False,
            initial=row.get("relation", ""),
        )
        form.fields[f"{prefix}{i}_age"] = forms.ChoiceField(
            label=_("Age"),
            choices=list(AgeBand.choices),
            required=False,
            initial=row.get("age_band", default_age),
        )
        form.fields[f"{prefix}{i}_needs"] = forms.MultipleChoiceField(
            label=_("Needs"),
            choices=Need.choices,
            required=False,
            initial=row.get("needs", []),
            widget=needs_widget,
        )
        form.fields[f"{prefix}{i}_together"] = forms.BooleanField(
            label=_("Keep together"), required=False, initial=row.get("keep_together", True)
        )


def _bound_rows(form: forms.Form, prefix: str, count: int) -> list[list[Any]]:
    return [[form[f"{prefix}{i}_{n}"] for n in _MEMBER] for i in range(count)]


def _household_data(data: dict[str, Any], prefix: str, count: int) -> list[dict[str, Any]]:
    """The members a form names (a row without a relation is an empty row)."""
    return [
        {
            "relation": data[f"{prefix}{i}_relation"],
            "age_band": data[f"{prefix}{i}_age"] or AgeBand.UNKNOWN,
            "needs": data[f"{prefix}{i}_needs"],
            "keep_together": data[f"{prefix}{i}_together"],
        }
        for i in range(count)
        if data.get(f"{prefix}{i}_relation")
    ]


def _keep_with(org: Organisation, code: str) -> Person | None:
    code = code.strip().upper()
    if not code:
        return None
    person = Person.objects.for_org(org).filter(codename__iexact=code).first()
    if person is None:
        raise forms.ValidationError(_("Unknown codename: %(code)s.") % {"code": code})
    return person


class RequestForm(forms.Form):
    person = forms.ModelChoiceField(label=_("Person"), queryset=Person.objects.none())
    reason = forms.ChoiceField(label=_("Reason"), choices=Reason.choices)
    seat_kind = forms.ChoiceField(label=_("Seat kind"), choices=SeatKind.choices)
    needs = forms.MultipleChoiceField(
        label=_("Medical needs"),
        choices=Need.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    keep_with = forms.CharField(
        label=_("Keep together with (codename)"), required=False, max_length=20
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, people: Any, org: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.org = org
        field = self.fields["person"]
        field.queryset = people  # type: ignore[attr-defined]
        field.label_from_instance = lambda p: p.codename  # type: ignore[attr-defined]
        _add_household(
            self,
            "d",
            DEPENDANT_ROWS,
            [],
            needs_widget=forms.SelectMultiple(attrs={"size": 3}),
            default_age=AgeBand.ADULT,
        )

    def rows(self) -> list[list[Any]]:
        return _bound_rows(self, "d", DEPENDANT_ROWS)

    def clean_keep_with(self) -> Person | None:
        return _keep_with(self.org, self.cleaned_data["keep_with"])

    def dependants(self) -> list[dict[str, Any]]:
        return _household_data(self.cleaned_data, "d", DEPENDANT_ROWS)


class FieldRequestForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), choices=Reason.choices)
    dependants = forms.IntegerField(label=_("Dependants"), min_value=0, max_value=30, initial=0)
    needs = forms.MultipleChoiceField(
        label=_("Medical needs"),
        choices=Need.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class ClearanceForm(forms.Form):
    party = forms.ModelChoiceField(label=_("Party"), queryset=Party.objects.none())
    state = forms.ChoiceField(label=_("State"), choices=ClearanceState.choices[1:])
    at = forms.DateTimeField(
        label=_("Date"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)

    def __init__(self, *args: Any, org: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["party"].queryset = Party.objects.for_org(org).filter(is_active=True)  # type: ignore[attr-defined]


class PartyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80)
    name_ar = forms.CharField(label=_("Arabic name"), max_length=80, required=False)


class OverrideForm(forms.Form):
    band = forms.ChoiceField(
        label=_("Band"), choices=[("", _("(by the rule)"))] + list(Band.choices), required=False
    )
    reason = forms.CharField(label=_("Why"), required=False, max_length=500)


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Outcome.choices)


class MovementForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=MovementKind.choices)
    window_start = forms.DateTimeField(
        label=_("Window opens"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    window_end = forms.DateTimeField(
        label=_("Window closes"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    expected_arrival_at = forms.DateTimeField(
        label=_("Expected arrival"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    margin_minutes = forms.IntegerField(
        label=_("Margin (minutes)"), min_value=0, max_value=1440, initial=60
    )
    assembly_area = forms.ModelChoiceField(
        label=_("Assembly area"), queryset=Area.objects.none(), required=False
    )
    assembly_point = forms.CharField(label=_("Assembly point"), required=False, max_length=500)
    destination_area = forms.ModelChoiceField(
        label=_("Destination area"), queryset=Area.objects.none(), required=False
    )
    destination_facility = forms.ModelChoiceField(
        label=_("Destination facility"), queryset=Facility.objects.none(), required=False
    )
    route = forms.CharField(
        label=_("Route (one area or waypoint a line)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    focal_point = forms.CharField(label=_("Focal point (codename)"), required=False, max_length=20)

    def __init__(self, *args: Any, org: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.org = org
        areas = Area.objects.for_org(org).order_by("name_en")
        self.fields["assembly_area"].queryset = areas  # type: ignore[attr-defined]
        self.fields["destination_area"].queryset = areas  # type: ignore[attr-defined]
        facilities = Facility.objects.for_org(org).order_by("name")
        self.fields["destination_facility"].queryset = facilities  # type: ignore[attr-defined]

    def clean_focal_point(self) -> Person | None:
        code = self.cleaned_data["focal_point"].strip().upper()
        if not code:
            return None
        person = Person.objects.for_org(self.org).filter(codename__iexact=code).first()
        if person is None:
            raise forms.ValidationError(_("Unknown codename: %(code)s.") % {"code": code})
        return person


class VehicleForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=VehicleKind.choices)
    seats = forms.IntegerField(label=_("Seats"), min_value=0, max_value=200)
    stretchers = forms.IntegerField(
        label=_("Stretcher places"), min_value=0, max_value=50, initial=0
    )
    marking = forms.CharField(label=_("Marking"), required=False, max_length=40)
    driver = forms.CharField(label=_("Driver (codename)"), required=False, max_length=20)
    has_radio = forms.BooleanField(label=_("Radio"), required=False)


class CompleteForm(forms.Form):
    """Complete a texted request (reason "not stated yet"): the reason, the seat kind, the
    medical needs and one block of fields per household member — as many blocks as the text
    named, prefilled "other relative, age not known yet", and two empty ones to add people.
    Blocks, not a table: they stack on a 360 px phone."""

    reason = forms.ChoiceField(
        label=_("Reason"),
        choices=[(v, label) for v, label in Reason.choices if v != Reason.NOT_STATED],
    )
    seat_kind = forms.ChoiceField(label=_("Seat kind"), choices=SeatKind.choices)
    needs = forms.MultipleChoiceField(
        label=_("Medical needs"),
        choices=Need.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    keep_with = forms.CharField(
        label=_("Keep together with (codename)"), required=False, max_length=20
    )

    def __init__(
        self, *args: Any, org: Organisation, household: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.org = org
        self.count = min(MAX_HOUSEHOLD, len(household) + 2)
        _add_household(
            self,
            "h",
            self.count,
            household,
            needs_widget=forms.CheckboxSelectMultiple,
            default_age=AgeBand.UNKNOWN,
        )

    def household_rows(self) -> list[list[Any]]:
        return _bound_rows(self, "h", self.count)

    def clean_keep_with(self) -> Person | None:
        return _keep_with(self.org, self.cleaned_data["keep_with"])

    def household(self) -> list[dict[str, Any]]:
        return _household_data(self.cleaned_data, "h", self.count)


MAX_HOUSEHOLD = 32  # the most a request holds (30) and room to notice one too many
