"""The facility forms: the quick update (one screen on a phone: functionality, beds and days of
stock first; services, utilities and the rest folded below) and the status card."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from salama.facilities.services import StockInput
from salama.facilities.vocabulary import (
    MAX_CAUSES,
    Accessibility,
    Affiliation,
    Availability,
    Barrier,
    Cause,
    Condition,
    FacilityType,
    Functionality,
    Reason,
    Service,
    Stock,
    Utility,
)

UNCHANGED = [("", _("(unchanged)"))]


def _number(label: Any) -> forms.FloatField:
    return forms.FloatField(
        label=label, required=False, min_value=0, widget=forms.NumberInput(attrs={"step": "any"})
    )


class UpdateForm(forms.Form):
    functionality = forms.ChoiceField(
        label=_("Functionality"),
        choices=UNCHANGED + list(Functionality.choices),
        required=False,
        widget=forms.RadioSelect,
    )
    beds_occupied = forms.IntegerField(label=_("Beds occupied"), required=False, min_value=0)
    beds_total = forms.IntegerField(label=_("Beds in all"), required=False, min_value=0)
    condition = forms.ChoiceField(
        label=_("Condition"), choices=UNCHANGED + list(Condition.choices), required=False
    )
    accessibility = forms.ChoiceField(
        label=_("Accessibility"), choices=UNCHANGED + list(Accessibility.choices), required=False
    )
    barriers = forms.MultipleChoiceField(
        label=_("Barriers"), choices=Barrier.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    reasons = forms.MultipleChoiceField(
        label=_("Reasons for not functioning"), choices=Reason.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    observed_at = forms.DateTimeField(
        label=_("Seen at (empty: now)"), required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )  # fmt: skip
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for stock in Stock:
            self.fields[f"days_{stock}"] = _number(stock.label)
            self.fields[f"on_hand_{stock}"] = _number(_("on hand"))
            self.fields[f"daily_use_{stock}"] = _number(_("daily use"))
        for service in Service:
            self.fields[f"service_{service}"] = forms.ChoiceField(
                label=service.label, choices=UNCHANGED + list(Availability.choices), required=False
            )
            for rank in range(1, MAX_CAUSES + 1):
                self.fields[f"cause{rank}_{service}"] = forms.ChoiceField(
                    label=_("Cause %(rank)s") % {"rank": rank},
                    choices=[("", "—"), *Cause.choices], required=False,
                )  # fmt: skip
        for utility in Utility:
            self.fields[f"utility_{utility}"] = forms.ChoiceField(
                label=utility.label, choices=UNCHANGED + list(Availability.choices), required=False
            )

    def stock_rows(self) -> list[tuple[Any, Any, Any]]:
        return [(self[f"days_{s}"], self[f"on_hand_{s}"], self[f"daily_use_{s}"]) for s in Stock]

    def service_rows(self) -> list[tuple[Any, list[Any]]]:
        return [
            (self[f"service_{s}"], [self[f"cause{r}_{s}"] for r in range(1, MAX_CAUSES + 1)])
            for s in Service
        ]

    def utility_fields(self) -> list[Any]:
        return [self[f"utility_{u}"] for u in Utility]

    def update_fields(self) -> dict[str, Any]:
        """The cleaned form as keyword arguments of services.record_update."""
        data = self.cleaned_data
        out: dict[str, Any] = {
            name: data.get(name) or None for name in ("functionality", "condition", "accessibility")
        }
        out["beds_total"], out["beds_occupied"] = data.get("beds_total"), data.get("beds_occupied")
        out["barriers"] = data.get("barriers") or None
        out["reasons"] = data.get("reasons") or None
        stocks = {}
        for stock in Stock:
            days, on_hand, use = (
                data.get(f"{p}_{stock}") for p in ("days", "on_hand", "daily_use")
            )
            if on_hand is not None or use is not None:
                stocks[str(stock)] = StockInput(on_hand=on_hand, daily_use=use)
            elif days is not None:
                stocks[str(stock)] = StockInput(days=days)
        out["stocks"] = stocks
        out["services"] = {
            str(s): {
                "level": data[f"service_{s}"],
                "causes": [c for r in range(1, MAX_CAUSES + 1) if (c := data.get(f"cause{r}_{s}"))],
            }
            for s in Service
            if data.get(f"service_{s}")
        }
        out["utilities"] = {
            str(u): data[f"utility_{u}"] for u in Utility if data.get(f"utility_{u}")
        }
        return out


class CardForm(forms.Form):
    code = forms.CharField(label=_("Code (short, meaningless on the wire)"), max_length=8)
    facility_type = forms.ChoiceField(label=_("Type"), choices=FacilityType.choices)
    affiliation = forms.ChoiceField(label=_("Affiliation"), choices=Affiliation.choices)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for stock in Stock:
            self.fields[f"threshold_{stock}"] = forms.FloatField(
                label=_("%(stock)s: alert under (days)") % {"stock": stock.label},
                required=False, min_value=0, max_value=365,
            )  # fmt: skip

    def thresholds(self) -> dict[str, float]:
        return {
            str(s): self.cleaned_data[f"threshold_{s}"]
            for s in Stock
            if self.cleaned_data.get(f"threshold_{s}") is not None
        }


class KeywordsForm(forms.Form):
    add = forms.CharField(
        label=_("Added words, one per line: word = meaning"), required=False,
        widget=forms.Textarea(attrs={"rows": 4, "dir": "auto"}),
    )  # fmt: skip
    rename = forms.CharField(
        label=_("Renamed words, one per line: old = new"), required=False,
        widget=forms.Textarea(attrs={"rows": 4, "dir": "auto"}),
    )  # fmt: skip
    remove = forms.CharField(
        label=_("Removed words, one per line"), required=False,
        widget=forms.Textarea(attrs={"rows": 4, "dir": "auto"}),
    )  # fmt: skip
