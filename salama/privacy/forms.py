from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from salama.accounts.models import Organisation
from salama.people.models import ContactPoint
from salama.privacy import policy


class PhoneLostForm(forms.Form):
    """The numbers to compromise. Each is shown by its id, kind and shared flag only, never by
    its value; unshared numbers are ticked by default, shared ones only when chosen."""

    points = forms.MultipleChoiceField(
        label=_("Numbers that were on that phone"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, points: list[ContactPoint], initial_ids: list[int], **kw: Any):
        super().__init__(*args, **kw)
        field = self.fields["points"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(str(p.pk), describe(p)) for p in points]
        field.initial = [str(i) for i in initial_ids]

    def chosen(self) -> list[int]:
        return [int(i) for i in self.cleaned_data["points"]]


def describe(point: ContactPoint) -> str:
    if point.is_shared:
        text = _("Number #%(id)d (shared phone)") % {"id": point.pk}
    else:
        text = _("Number #%(id)d") % {"id": point.pk}
    if point.state == "compromised":
        text += " — " + str(_("already compromised"))
    return str(text)


class PolicyForm(forms.Form):
    def __init__(self, *args: Any, org: Organisation, **kw: Any) -> None:
        super().__init__(*args, **kw)
        for spec in policy.SETTINGS:
            self.fields[spec.key] = forms.IntegerField(
                label=spec.label,
                help_text=spec.help,
                min_value=spec.minimum,
                max_value=spec.maximum,
                initial=policy.value(org, spec.key),
            )


class PurgeForm(forms.Form):
    confirm = forms.CharField(
        label=_("Type the organisation's short name to confirm"), max_length=60, strip=True
    )

    def __init__(self, *args: Any, org: Organisation, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.org = org

    def clean_confirm(self) -> str:
        value = self.cleaned_data["confirm"]
        if value != self.org.slug:
            raise forms.ValidationError(
                _("That is not the organisation's short name. Nothing was purged.")
            )
        return value
