"""The report form (the same fields for a coordinator's edit): codes from the SSA vocabulary,
labels from the table of the current SSA version. The form only reads input; the services
check it (salama.incidents.validation) and give the translated reasons."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from salama.accounts.models import Organisation
from salama.facilities.vocabulary import Affiliation, FacilityType
from salama.incidents import vocabulary as v
from salama.incidents.models import VICTIM_FIELDS
from salama.incidents.validation import ReportData
from salama.people.models import Area, Facility

VICTIM_LABELS = {
    "killed": _("Deaths"),
    "injured": _("Injuries"),
}


class ReportForm(forms.Form):
    occurred_on = forms.DateField(label=_("Date"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}))  # fmt: skip
    occurred_time = forms.TimeField(label=_("Time (if known)"), required=False,
                                    widget=forms.TimeInput(attrs={"type": "time"}))  # fmt: skip
    area = forms.ModelChoiceField(label=_("Area"), queryset=Area.objects.none(), required=False)
    location = forms.CharField(label=_("Exact location (kept encrypted)"), required=False)
    attack_types = forms.MultipleChoiceField(
        label=_("Attack types"), required=False, widget=forms.CheckboxSelectMultiple
    )
    facility = forms.ModelChoiceField(
        label=_("Facility"), queryset=Facility.objects.none(), required=False
    )
    facility_type = forms.ChoiceField(label=_("Facility type"), required=False)
    affiliation = forms.ChoiceField(label=_("Affiliation"), required=False)
    damage = forms.ChoiceField(label=_("Damage"))
    functionality = forms.ChoiceField(label=_("Functionality after"))
    targeted = forms.ChoiceField(label=_("Targeted"))
    impact_kind = forms.ChoiceField(label=_("Impact"))
    narrative = forms.CharField(label=_("What happened (no names)"), required=False,
                                widget=forms.Textarea(attrs={"rows": 3}))  # fmt: skip
    impact_text = forms.CharField(label=_("Immediate impact"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 2}))  # fmt: skip
    follow_up = forms.CharField(label=_("Follow-up actions"), required=False,
                                widget=forms.Textarea(attrs={"rows": 2}))  # fmt: skip
    perpetrator = forms.CharField(label=_("Perpetrator as reported (optional)"), required=False)
    raw_text = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, org: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: dict[str, Any] = self.fields
        fields["area"].queryset = Area.objects.for_org(org).order_by("name_en")
        fields["facility"].queryset = Facility.objects.for_org(org).order_by("name")
        fields["attack_types"].choices = v.choices("attack_type")
        fields["facility_type"].choices = [("", "—"), *FacilityType.choices]
        fields["affiliation"].choices = [("", "—"), *Affiliation.choices]
        fields["damage"].choices = v.choices("damage")
        fields["functionality"].choices = v.choices("functionality")
        fields["targeted"].choices = v.choices("tri")
        fields["impact_kind"].choices = v.choices("impact")
        for field in ("damage", "functionality", "targeted", "impact_kind"):
            fields[field].initial = "unknown"
        for code in v.RESOURCES:
            fields[f"resource_{code}"] = forms.ChoiceField(
                label=v.label("resource", code), choices=v.choices("tri"), initial="unknown"
            )
        for name in VICTIM_FIELDS:
            fields[name] = forms.IntegerField(
                label=victim_label(name), required=False, min_value=0, max_value=100_000
            )

    def data_for_service(self) -> ReportData:
        c = self.cleaned_data
        return ReportData(
            occurred_on=c["occurred_on"], occurred_time=c["occurred_time"], area=c["area"],
            location=c["location"], attack_types=list(c["attack_types"]),
            resources={code: c[f"resource_{code}"] for code in v.RESOURCES},
            facility=c["facility"], facility_type=c["facility_type"],
            affiliation=c["affiliation"], damage=c["damage"], functionality=c["functionality"],
            victims={name: c[name] for name in VICTIM_FIELDS}, targeted=c["targeted"],
            impact_kind=c["impact_kind"], narrative=c["narrative"],
            impact_text=c["impact_text"], follow_up=c["follow_up"],
            perpetrator=c["perpetrator"],
        )  # fmt: skip


def victim_label(name: str) -> str:
    if name == "detained_health_workers":
        return str(_("Health workers abducted, arrested or detained"))
    if name == "detained_patients":
        return str(_("Patients abducted, arrested or detained"))
    what, group = name.split("_", 1)
    head = str(VICTIM_LABELS[what])
    part = str(_("Total")) if group == "total" else v.label("victim_group", group)
    return f"{head}: {part}"


class DraftForm(forms.Form):
    text = forms.CharField(label=_("Paste a field message or a news report"), required=False,
                           widget=forms.Textarea(attrs={"rows": 6}))  # fmt: skip
    file = forms.FileField(label=_("or a text file"), required=False)
