from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from salama.people.models import Area, Facility, Person, Team
from salama.rollcalls.models import Effect
from salama.safety.forms import AreaChoices
from salama.safety.models import Event

CONFIRM_WORD = "CONFIRM"


class ComposerForm(forms.Form):
    question = forms.CharField(label=_("Question"), max_length=160)
    # The same question in each language (U1 item 5): each recipient is asked in their own
    # language where it is written, else the question above as it is.
    question_ar = forms.CharField(
        label=_("The question in Arabic"),
        help_text=_("For those who read Arabic; empty: they get the question above."),
        required=False,
        max_length=160,
    )
    question_en = forms.CharField(
        label=_("The question in English"),
        help_text=_("For those who read English; empty: they get the question above."),
        required=False,
        max_length=160,
    )
    is_safety = forms.BooleanField(
        label=_("Safety roll call (options 1 safe, 2 help, 3 injured)"),
        required=False,
        initial=True,
    )
    extra_options = forms.CharField(
        label=_("Other options, one a line"),
        help_text=_("label = SAFE, NEED_HELP, INJURED or nothing"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    everyone = forms.BooleanField(label=_("Everyone"), required=False)
    teams = forms.ModelMultipleChoiceField(
        label=_("Teams"), queryset=Team.objects.none(), required=False
    )
    areas = AreaChoices(label=_("Areas"), queryset=Area.objects.none(), required=False)
    facilities = forms.ModelMultipleChoiceField(
        label=_("Facilities"), queryset=Facility.objects.none(), required=False
    )
    codenames = forms.CharField(label=_("Codenames"), required=False, max_length=2000)
    # A roll call belongs to the event it is launched under, or to none: it never opens one.
    event = forms.ModelChoiceField(
        label=_("Under the event"),
        queryset=Event.objects.none(),
        required=False,
        empty_label=_("none"),
    )
    minutes = forms.IntegerField(label=_("Deadline, in minutes"), min_value=5, initial=60)
    resend_after = forms.IntegerField(
        label=_("Re-send to the silent after (minutes, 0: never)"), min_value=0, initial=20
    )
    resend_max = forms.IntegerField(label=_("Re-sends at most"), min_value=0, initial=1)
    confirm = forms.CharField(
        label=_("Type CONFIRM to send this text anyway"), required=False, max_length=20
    )

    def __init__(self, *args: Any, org: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.org = org
        self.fields["teams"].queryset = Team.objects.for_org(org).order_by("name")  # type: ignore[attr-defined]
        self.fields["areas"].queryset = Area.objects.for_org(org).order_by("name_en")  # type: ignore[attr-defined]
        self.fields["facilities"].queryset = Facility.objects.for_org(org).order_by("name")  # type: ignore[attr-defined]
        self.fields["event"].queryset = Event.objects.for_org(org).filter(closed_at=None)  # type: ignore[attr-defined]

    def clean_extra_options(self) -> list[tuple[str, str]]:
        out = []
        for line in str(self.cleaned_data.get("extra_options") or "").splitlines():
            if not line.strip():
                continue
            label, _sep, effect = line.partition("=")
            effect = effect.strip().upper()
            if effect not in Effect.values:
                raise forms.ValidationError(_("Unknown welfare effect: %(e)s") % {"e": effect})
            out.append((label.strip(), effect))
        return out

    def clean_codenames(self) -> list[int]:
        codes = [c.strip().upper() for c in str(self.cleaned_data["codenames"]).split() if c]
        found = dict(
            Person.objects.for_org(self.org)
            .filter(codename__in=codes)
            .values_list("codename", "pk")
        )
        unknown = [c for c in codes if c not in found]
        if unknown:
            raise forms.ValidationError(_("Unknown codename: %(c)s") % {"c": unknown[0]})
        return list(found.values())


class AnswerForm(forms.Form):
    option = forms.TypedChoiceField(label=_("Your answer"), coerce=int, choices=())

    def __init__(self, *args: Any, choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["option"].choices = choices  # type: ignore[attr-defined]


class DuressFormForm(forms.Form):
    # Never rendered back, not even after a mistake: the page must not show a duress word.
    word = forms.CharField(
        label=_("Duress word (never shown again)"),
        max_length=40,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )
    plan = forms.CharField(
        label=_("Response plan"), widget=forms.Textarea(attrs={"rows": 4}), max_length=2000
    )


class SettingsForm(forms.Form):
    focal_points: forms.ModelMultipleChoiceField = forms.ModelMultipleChoiceField(  # type: ignore[type-arg]
        label=_("Security focal points (told of every duress alert)"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    drill_mode = forms.BooleanField(
        label=_("Drill mode: duress alerts are marked TEST"), required=False
    )
    answer_links = forms.BooleanField(
        label=_("Add a signed answer link to roll-call texts (a page that asks before it records)"),
        required=False,
    )
    monthly_budget = forms.DecimalField(
        label=_("Monthly text budget (0: none)"), min_value=0, decimal_places=2, initial=0
    )

    def __init__(self, *args: Any, org: Any, **kwargs: Any) -> None:
        from salama.accounts.models import Membership

        super().__init__(*args, **kwargs)
        members = Membership.objects.for_org(org).filter(is_active=True).select_related("user")
        self.fields["focal_points"].queryset = members.order_by("user__username")  # type: ignore[attr-defined]
        self.fields["focal_points"].label_from_instance = (  # type: ignore[attr-defined]
            lambda m: f"{m.user.get_username()} ({m.get_role_display()})"
        )
