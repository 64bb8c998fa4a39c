"""Outbox pages for coordinators and org admins: failed and dead deliveries (retry), suppressed
messages (release, one at a time), and the organisation's wording of every outbound text. No page
shows a number or an address: recipients appear as codenames or a contact point's number id."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from salama.accounts import audit
from salama.accounts.access import COORDINATING, roles
from salama.accounts.models import Organisation
from salama.messaging import outbox, selectors, texts, wire
from salama.messaging.forms import ConfirmedTextForm
from salama.messaging.models import Delivery, MessageTemplate, Suppression
from salama.people.models import DecisionKind


def org_of(request: HttpRequest) -> Organisation:
    return request.org  # type: ignore[attr-defined,no-any-return]


@roles(*COORDINATING)
def deliveries(request: HttpRequest) -> HttpResponse:
    org = org_of(request)
    context = {
        "deliveries": selectors.problem_deliveries(org),
        "sent": selectors.sent_deliveries(org),
    }
    return render(request, "messaging/deliveries.html", context)


@roles(*COORDINATING)
@require_POST
def delivery_retry(request: HttpRequest, delivery_id: int) -> HttpResponse:
    delivery = get_object_or_404(
        Delivery.objects.for_org(org_of(request)).select_related("message__contact_point"),
        pk=delivery_id,
    )
    try:
        outbox.retry_dead(delivery, actor=request.membership, request=request)  # type: ignore[attr-defined]
    except outbox.OutboxError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The delivery is queued again."))
    return redirect("messaging:deliveries")


@roles(*COORDINATING)
def suppressions(request: HttpRequest) -> HttpResponse:
    org = org_of(request)
    pending = list(selectors.suppressions(org))
    words = dict(DecisionKind.choices)
    for item in pending:  # a decision is shown by its name, never its raw value
        item.decision_label = words.get(item.decision, item.decision)  # type: ignore[attr-defined]
    return render(
        request,
        "messaging/suppressions.html",
        {"open": pending, "released": selectors.suppressions(org, released=True)[:50]},
    )


@roles(*COORDINATING)
@require_POST
def suppression_release(request: HttpRequest, suppression_id: int) -> HttpResponse:
    suppression = get_object_or_404(
        Suppression.objects.for_org(org_of(request)).select_related("message__contact_point"),
        pk=suppression_id,
    )
    try:
        outbox.release_suppression(
            suppression,
            actor=request.membership,  # type: ignore[attr-defined]
            request=request,
        )
    except outbox.OutboxError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The message is released and queued."))
    return redirect("messaging:suppressions")


@roles(*COORDINATING)
def text_list(request: HttpRequest) -> HttpResponse:
    return render(request, "messaging/texts.html", {"rows": selectors.text_rows(org_of(request))})


def confirmed(form: ConfirmedTextForm) -> bool:
    """The typed confirmation: CONFIRM, or its translation, in any case."""
    typed = str(form.cleaned_data.get("confirm", "")).strip().casefold()
    return typed in {"confirm", _("CONFIRM").casefold()}


@roles(*COORDINATING)
def text_edit(request: HttpRequest) -> HttpResponse:
    org = org_of(request)
    key = request.GET.get("key", "")
    language = request.GET.get("language", "")
    if not key and not language:
        return redirect("messaging:texts")
    if key not in texts.TEXTS or language not in texts.LANGUAGES:
        raise Http404
    if request.method == "POST" and request.POST.get("reset"):
        texts.reset_wording(
            org=org, key=key, language=language, actor_id=request.user.pk, request=request
        )
        messages.success(request, _("The default wording is back."))
        return redirect("messaging:texts")
    current = MessageTemplate.objects.for_org(org).filter(key=key, language=language).first()
    initial = {"body": current.body if current else texts.default_body(key, language)}
    form = ConfirmedTextForm(request.POST or None, initial=initial, key=key)
    body = str(form.data.get("body", "") if form.is_bound else initial["body"])
    problems = wire.wire_problems(org, body)
    if request.method == "POST" and form.is_valid() and problems and not confirmed(form):
        form.add_error(
            "confirm", _("This wording may give away too much: type CONFIRM to save it anyway.")
        )
    if request.method == "POST" and form.is_valid():
        try:
            texts.save_wording(
                org=org,
                key=key,
                language=language,
                body=form.cleaned_data["body"],
                actor_id=request.user.pk,
                request=request,
            )
        except ValidationError as exc:
            form.add_error("body", exc)
        else:
            if problems:
                audit.record(
                    "messaging.text_confirmed",
                    request=request,
                    detail={"key": key, "language": language, "problems": len(problems)},
                )
            messages.success(request, _("The wording is saved."))
            return redirect("messaging:texts")
    try:
        row = selectors.text_row(org, key, language, {(key, language): body} if body else {})
    except (ValueError, KeyError, IndexError):
        row = None  # not a usable template: the form says why
    return render(
        request,
        "messaging/text_edit.html",
        {
            "form": form,
            "key": key,
            "language": language,
            "spec": texts.TEXTS[key],
            "row": row,
            "is_custom": current is not None,
            "default": texts.default_body(key, language),
            "problems": problems,
        },
    )
