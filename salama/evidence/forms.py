from django import forms
from django.utils.translation import gettext_lazy as _


class WitnessForm(forms.Form):
    vkey = forms.CharField(
        label=_("Witness verifier key"),
        max_length=300,
        help_text=_("name+key id+key, as the partner gives it (a cosignature key)."),
    )


class CosignatureForm(forms.Form):
    checkpoint = forms.IntegerField(label=_("Checkpoint"), min_value=1)
    line = forms.CharField(label=_("Cosignature line"), max_length=400)
