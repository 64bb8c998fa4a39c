"""The negotiations forms: a party, an interaction, a new package, a version's content, a named
person, a consent, what the party did with the notice."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from salama.accounts.models import Organisation
from salama.evacuation.models import Movement, MovementStatus, Request, VehicleKind
from salama.evacuation.models import Party as ClearingParty
from salama.lib.bidi import isolate
from salama.negotiations.base import PERSONAL_FIELDS
from salama.negotiations.models import (
    Channel,
    ConsentDecision,
    ConsentHow,
    InteractionOutcome,
    Party,
    PartyKind,
)
from salama.people.models import Person

WHEN = {"type": "datetime-local"}
WHEN_FORMAT = "%Y-%m-%dT%H:%M"
FIELD_LABELS = {
    "name": _("Name"),
    "role": _("Role"),
    "specialty": _("Specialty"),
    "photo": _("Photo"),
    "id_number": _("ID number"),
    "medical": _("Medical detail"),
}


def _when(label: Any, required: bool = True) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=required,
        widget=forms.DateTimeInput(attrs=WHEN, format=WHEN_FORMAT),
    )


class PartyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80)
    name_ar = forms.CharField(label=_("Arabic name"), max_length=80, required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=PartyKind.choices)
    contacts = forms.CharField(
        label=_("Contacts"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    screens_evacuees = forms.BooleanField(label=_("Known to screen evacuees"), required=False)
    clearing_party = forms.ModelChoiceField(
        label=_("The same party in evacuation clearance"),
        queryset=ClearingParty.objects.none(),
        required=False,
        help_text=_("If this party also clears evacuees (evacuation's clearing parties)."),
    )

    def __init__(self, *args: Any, org: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["clearing_party"]
        field.queryset = ClearingParty.objects.for_org(org).order_by("name")  # type: ignore[attr-defined]
        arabic = (translation.get_language() or "").startswith("ar")
        field.label_from_instance = lambda p: p.name_ar if arabic and p.name_ar else p.name  # type: ignore[attr-defined]


def _text(label: Any) -> forms.CharField:
    return forms.CharField(label=label, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class InteractionForm(forms.Form):
    party = forms.ModelChoiceField(label=_("Party"), queryset=Party.objects.none())
    at = _when(_("Date"))
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    participants = _text(_("Who took part"))
    asked = _text(_("What was asked"))
    promised = _text(_("What was promised (in their words)"))
    next_step = _text(_("Next step"))
    next_due = forms.DateField(
        label=_("Next step due"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    outcome = forms.ChoiceField(label=_("Outcome"), choices=InteractionOutcome.choices)
    outcome_note = _text(_("Outcome note"))
    movements = forms.ModelMultipleChoiceField(
        label=_("Movements"), queryset=Movement.objects.none(), required=False
    )
    requests = forms.ModelMultipleChoiceField(
        label=_("Evacuation requests"),
        queryset=Request.objects.none(),
        required=False,
        help_text=_("Shown by number, priority and date: never a name."),
    )

    def __init__(self, *args: Any, org: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["party"].queryset = Party.objects.for_org(org).order_by("name")  # type: ignore[attr-defined]
        field = self.fields["movements"]
        field.queryset = Movement.objects.for_org(org).order_by("-window_start")  # type: ignore[attr-defined]
        field.label_from_instance = lambda m: m.code  # type: ignore[attr-defined]
        field = self.fields["requests"]
        field.queryset = Request.objects.for_org(org).order_by("-requested_at", "-pk")  # type: ignore[attr-defined]
        field.label_from_instance = request_label  # type: ignore[attr-defined]


def request_label(row: Request) -> str:
    """A request as an option: its number, band and date, isolated (an option holds no markup);
    never the person's name or codename."""
    when = timezone.localdate(row.requested_at).isoformat()
    return f"{isolate(f'#{row.pk}')} · {row.get_band_display()} · {isolate(when)}"


class PackageForm(forms.Form):
    movement = forms.ModelChoiceField(label=_("Movement"), queryset=Movement.objects.none())
    party = forms.ModelChoiceField(label=_("Recipient party"), queryset=Party.objects.none())
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    emergency = forms.BooleanField(label=_("Emergency (24 hours' lead time)"), required=False)

    def __init__(self, *args: Any, org: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["movement"]
        field.queryset = (  # type: ignore[attr-defined]
            Movement.objects.for_org(org)
            .exclude(status__in=[MovementStatus.CANCELLED, MovementStatus.COMPLETED])
            .order_by("window_start")
        )
        field.label_from_instance = lambda m: m.code  # type: ignore[attr-defined]
        self.fields["party"].queryset = Party.objects.for_org(org).order_by("name")  # type: ignore[attr-defined]


class ContentForm(forms.Form):
    """A version's content; saving it makes the next version."""

    window_start = _when(_("Window opens"))
    window_end = _when(_("Window closes"))
    route = forms.CharField(
        label=_("Route (one waypoint a line)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    assembly_point = forms.CharField(label=_("Assembly point"), required=False, max_length=500)
    destination = forms.CharField(label=_("Destination"), required=False, max_length=200)
    vehicle_kind = forms.ChoiceField(label=_("Vehicle kind"), choices=VehicleKind.choices)
    vehicle_count = forms.IntegerField(label=_("Vehicles"), min_value=1, max_value=100)
    marking = forms.CharField(label=_("Marking"), required=False, max_length=40)
    plates = forms.CharField(
        label=_("Plates (only if the party needs them; one a line)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    people = forms.IntegerField(label=_("Number of people"), min_value=0, max_value=5000)
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)


class NamedForm(forms.Form):
    person = forms.ModelChoiceField(label=_("Person"), queryset=Person.objects.none())
    fields_shared = forms.MultipleChoiceField(
        label=_("Details on the notice"),
        choices=[(c, FIELD_LABELS[c]) for c in PERSONAL_FIELDS],
        widget=forms.CheckboxSelectMultiple,
    )
    id_number = forms.CharField(label=_("ID number"), required=False, max_length=40)
    medical = forms.CharField(label=_("Medical detail"), required=False, max_length=200)

    def __init__(self, *args: Any, org: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["person"]
        field.queryset = Person.objects.for_org(org).filter(is_active=True).order_by("codename")  # type: ignore[attr-defined]
        field.label_from_instance = lambda p: p.codename  # type: ignore[attr-defined]


class ConsentForm(forms.Form):
    person = forms.ModelChoiceField(label=_("Person"), queryset=Person.objects.none())
    decision = forms.ChoiceField(label=_("Decision"), choices=ConsentDecision.choices)
    how = forms.ChoiceField(label=_("How it was recorded"), choices=ConsentHow.choices)
    told = forms.CharField(
        label=_("What they were told (terms, destination, process)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, people: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["person"]
        field.queryset = people  # type: ignore[attr-defined]
        field.label_from_instance = lambda p: p.codename  # type: ignore[attr-defined]


class SubmissionForm(forms.Form):
    submitted_at = _when(_("Submitted at"), required=False)
    acknowledged = forms.TypedChoiceField(
        label=_("Acknowledged"),
        choices=[("", "—"), ("yes", _("Yes")), ("no", _("No"))],
        required=False,
        coerce=lambda v: {"yes": True, "no": False}.get(v),
        empty_value=None,
    )
    acknowledged_by = forms.CharField(label=_("Acknowledged by"), required=False, max_length=120)
    acknowledged_at = _when(_("Acknowledged at"), required=False)
    acknowledged_how = forms.ChoiceField(
        label=_("Acknowledged how"), choices=[("", "—"), *Channel.choices], required=False
    )
    response = _text(_("The party's response"))
    withdrawn = forms.BooleanField(label=_("Withdrawn"), required=False)
