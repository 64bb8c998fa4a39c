from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from salama.messaging import texts


class TextForm(forms.Form):
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, key: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.key = key

    def clean_body(self) -> str:
        body = self.cleaned_data["body"].strip()
        texts.validate_body(self.key, body)
        return body
