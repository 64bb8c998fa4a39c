from django import forms
from django.utils.translation import gettext_lazy as _

from salama.reports.models import Edition


class GenerateForm(forms.Form):
    edition = forms.ChoiceField(label=_("Edition"), choices=Edition.choices)

    def __init__(self, *args: object, allowed: tuple[str, ...] = (), **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["edition"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(c, label) for c, label in Edition.choices if c in allowed]


class OptionsForm(forms.Form):
    sitrep_hour = forms.IntegerField(
        label=_("Hour of the daily report (local time; -1: none)"), min_value=-1, max_value=23
    )
    retention_days = forms.IntegerField(
        label=_("Keep generated reports (days)"), min_value=7, max_value=365
    )
    area_detail = forms.ChoiceField(
        label=_("Partners see places down to"),
        choices=[("org", _("the whole organisation only")), ("area", _("each area"))],
    )
    facility_names = forms.BooleanField(label=_("Name facilities to partners"), required=False)


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Partner"), max_length=60)
