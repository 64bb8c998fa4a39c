"""Roll-call pages: the composer, the live page (HTMX polling), accepting answers of unknown
timing, closing; the field page's answer form; the duress form at enrolment."""

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from salama.accounts.access import (
    ALL_ROLES,
    COORDINATING,
    ORG_ADMIN_ONLY,
    public,
    require_recent_second_factor,
    roles,
)
from salama.accounts.models import Membership, Organisation
from salama.lib import clock
from salama.messaging import texts
from salama.messaging.wire import wire_problems
from salama.people.models import Person
from salama.rollcalls import duress, links, selectors, services
from salama.rollcalls.forms import (
    CONFIRM_WORD,
    AnswerForm,
    ComposerForm,
    DuressFormForm,
    SettingsForm,
)
from salama.rollcalls.models import DuressForm, RollCall, RollCallRecipient


def _org(request: HttpRequest) -> Organisation:
    return request.org  # type: ignore[attr-defined,no-any-return]


def _member(request: HttpRequest) -> Membership:
    return request.membership  # type: ignore[attr-defined,no-any-return]


def _target(data: dict[str, Any]) -> services.Target:
    return services.Target(
        everyone=data["everyone"],
        teams=tuple(t.pk for t in data["teams"]),
        areas=tuple(a.pk for a in data["areas"]),
        facilities=tuple(f.pk for f in data["facilities"]),
        persons=tuple(data["codenames"]),
    )


@roles(*COORDINATING)
def index(request: HttpRequest) -> HttpResponse:
    """The composer. "Preview" shows recipients x segments x sends = cost (and the month's
    budget) before anything is sent; "Launch" opens the roll call."""
    org = _org(request)
    initial = {"question": texts.body_for(org, "rollcall_question", get_language() or "ar")}
    form = ComposerForm(request.POST or None, org=org, initial=initial)
    problems: list[str] = []
    cost: dict[str, Any] | None = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        problems = [
            p
            for text in (data["question"], data["question_ar"], data["question_en"])
            if text
            for p in wire_problems(org, text)
        ]
        confirmed = data["confirm"].strip().upper() == CONFIRM_WORD
        if request.POST.get("action") == "preview":
            try:
                cost = services.preview(
                    org=org,
                    question=data["question"],
                    question_ar=data["question_ar"],
                    question_en=data["question_en"],
                    target=_target(data),
                    is_safety=data["is_safety"],
                    extra_options=data["extra_options"],
                    resend_after_minutes=data["resend_after"],
                    resend_max=data["resend_max"],
                )
            except ValidationError as exc:
                form.add_error(None, " ".join(exc.messages))
        elif problems and not confirmed:
            form.add_error("confirm", _("Type CONFIRM to send a text with these problems."))
        else:
            try:
                roll_call = services.open_roll_call(
                    org=org,
                    question=data["question"],
                    question_ar=data["question_ar"],
                    question_en=data["question_en"],
                    target=_target(data),
                    deadline_at=clock.now() + timedelta(minutes=data["minutes"]),
                    is_safety=data["is_safety"],
                    extra_options=data["extra_options"],
                    resend_after_minutes=data["resend_after"],
                    resend_max=data["resend_max"],
                    opened_by=_member(request),
                    event=data["event"],
                    wire_confirmed=confirmed,
                    request=request,
                )
            except ValidationError as exc:
                form.add_error(None, " ".join(exc.messages))
            else:
                return redirect("rollcalls:live_page", rollcall_number=roll_call.number)
    rows = RollCall.objects.for_org(org).order_by("-opened_at")[:30]
    return render(
        request,
        "rollcalls/index.html",
        {"form": form, "problems": problems, "roll_calls": rows, "cost": cost},
    )


def _roll_call(request: HttpRequest, number: int) -> RollCall:
    return get_object_or_404(
        RollCall.objects.for_org(_org(request)).select_related("org"), number=number
    )


def _live_context(request: HttpRequest, roll_call: RollCall) -> dict[str, object]:
    data = selectors.summary(roll_call, get_language() or "en")
    return {"roll_call": roll_call, **data}


@roles(*COORDINATING)
def live_page(request: HttpRequest, rollcall_number: int) -> HttpResponse:
    roll_call = _roll_call(request, rollcall_number)
    return render(request, "rollcalls/live.html", _live_context(request, roll_call))


@roles(*COORDINATING)
def live(request: HttpRequest, rollcall_number: int) -> HttpResponse:
    roll_call = _roll_call(request, rollcall_number)
    context = _live_context(request, roll_call)
    if request.GET.get("v") == context["version"]:
        return HttpResponse(status=204)  # unchanged: htmx keeps what it shows
    return render(request, "rollcalls/_live.html", context)


@roles(*COORDINATING)
@require_POST
def accept(request: HttpRequest, rollcall_number: int, recipient_id: int) -> HttpResponse:
    roll_call = _roll_call(request, rollcall_number)
    row = get_object_or_404(
        RollCallRecipient.objects.for_org(_org(request)), roll_call=roll_call, pk=recipient_id
    )
    if services.accept_answer(recipient=row, by=_member(request), request=request):
        messages.success(request, _("The answer is accepted."))
    return redirect("rollcalls:live_page", rollcall_number=roll_call.number)


@roles(*COORDINATING)
@require_POST
def accept_all(request: HttpRequest, rollcall_number: int) -> HttpResponse:
    """Accept the answers of unknown timing the page listed (their ids are in the form)."""
    roll_call = _roll_call(request, rollcall_number)
    ids = [int(i) for i in request.POST.getlist("recipient") if i.isdigit()]
    accepted = services.accept_answers(
        roll_call=roll_call, recipient_ids=ids, by=_member(request), request=request
    )
    if accepted:
        messages.success(
            request,
            ngettext("%(n)s answer is accepted.", "%(n)s answers are accepted.", accepted)
            % {"n": accepted},
        )
    return redirect("rollcalls:live_page", rollcall_number=roll_call.number)


@roles(*COORDINATING)
@require_POST
def close(request: HttpRequest, rollcall_number: int) -> HttpResponse:
    roll_call = _roll_call(request, rollcall_number)
    if services.close_roll_call(roll_call=roll_call, by=_member(request), request=request):
        messages.success(request, _("The roll call is closed; the digest is queued."))
    return redirect("rollcalls:live_page", rollcall_number=roll_call.number)


def _choices(roll_call: RollCall) -> list[tuple[int, str]]:
    language = get_language() or "en"
    return [
        (
            int(o["number"]),
            f"{o['number']} · "
            + (o["label"] or texts.status_word(o["effect"], language, roll_call.org)),
        )
        for o in roll_call.options
    ]


@roles(*ALL_ROLES)
def answer(request: HttpRequest) -> HttpResponse:
    """The field page's answer form: the signed-in person's open roll call."""
    person = Person.objects.for_org(_org(request)).filter(membership=_member(request)).first()
    recipient = services.open_for(person) if person is not None else None
    form = None
    if recipient is not None:
        form = AnswerForm(request.POST or None, choices=_choices(recipient.roll_call))
        if request.method == "POST" and form.is_valid():
            services.credit_answer(
                recipient=recipient, option=form.cleaned_data["option"], via="field_page",
                timed=True,
            )  # fmt: skip
            messages.success(request, _("Your answer is recorded."))
            return redirect("rollcalls:answer")
    return render(request, "rollcalls/answer.html", {"recipient": recipient, "form": form})


@roles(*COORDINATING)
@require_recent_second_factor
def duress_form(request: HttpRequest, person_id: int) -> HttpResponse:
    """Set or change a person's duress word: coordinators only, with a recent second factor
    (a change disarms the word the person agreed). Says whether one is agreed and since when,
    never the word."""
    org = _org(request)
    person = get_object_or_404(Person.objects.for_org(org), pk=person_id)
    agreed_at = (
        DuressForm.objects.for_org(org)
        .filter(person=person)
        .values_list("agreed_at", flat=True)
        .first()
    )
    form = DuressFormForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            duress.agree_duress(
                person=person,
                word=form.cleaned_data["word"],
                plan=form.cleaned_data["plan"],
                by=_member(request),
                request=request,
            )
        except ValidationError as exc:
            form.add_error("word", " ".join(exc.messages))
        else:
            messages.success(request, _("The duress form is agreed. It will not be shown again."))
            return redirect("rollcalls:duress_form", person_id=person.pk)
    return render(
        request, "rollcalls/duress.html", {"person": person, "form": form, "agreed_at": agreed_at}
    )


@roles(*ORG_ADMIN_ONLY)
def settings_page(request: HttpRequest) -> HttpResponse:
    org = _org(request)
    initial = {
        "focal_points": duress.focal_points(org),
        "drill_mode": bool(org.setting("drill_mode", False)),
        "answer_links": bool(org.setting("answer_links", False)),
        "monthly_budget": org.setting("monthly_budget", 0) or 0,
    }
    form = SettingsForm(request.POST or None, org=org, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            duress.save_settings(
                org=org,
                focal_points=list(data["focal_points"]),
                drill_mode=data["drill_mode"],
                answer_links=data["answer_links"],
                monthly_budget=float(data["monthly_budget"]),
                by=_member(request),
                request=request,
            )
        except ValidationError as exc:
            form.add_error(None, " ".join(exc.messages))
        else:
            messages.success(request, _("The settings are saved."))
            return redirect("rollcalls:settings")
    return render(request, "rollcalls/settings.html", {"form": form})


@public
def link_answer(request: HttpRequest, link_token: str) -> HttpResponse:
    """A signed answer link: GET shows the options and nothing else; POST records the answer."""
    recipient = links.recipient_for(link_token)
    if recipient is None:
        return render(request, "rollcalls/link.html", {"expired": True}, status=404)
    choices = _choices(recipient.roll_call)
    if request.method == "POST":
        option = request.POST.get("option", "")
        if option.isdigit() and int(option) in dict(choices):
            services.credit_answer(recipient=recipient, option=int(option), via="link", timed=True)
            return render(request, "rollcalls/link.html", {"done": True})
    return render(request, "rollcalls/link.html", {"choices": choices})
