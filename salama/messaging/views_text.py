"""Pages of the text channel: the unmatched list (attach a number, dismiss), the simulator, the
organisation's keywords and sensitive words, and its SMS gateways. No page shows a number: an
unknown sender appears as the first characters of its keyed hash."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from salama.accounts.access import COORDINATING, ORG_ADMIN_ONLY, roles
from salama.accounts.models import Membership, Organisation
from salama.messaging import inbound, services, wire
from salama.messaging import keywords as vocab
from salama.messaging.channels.gateways import credentials_of
from salama.messaging.forms import (
    AttachForm,
    GatewayForm,
    KeywordsForm,
    SensitiveWordsForm,
    SimulatorForm,
)
from salama.messaging.models import (
    Gateway,
    GatewayKind,
    InboundMessage,
    InboundState,
    RejectedWebhook,
)
from salama.messaging.simulator import SimulatorError, simulate
from salama.people.models import Person


def _org(request: HttpRequest) -> Organisation:
    return request.org  # type: ignore[attr-defined,no-any-return]


def _member(request: HttpRequest) -> Membership:
    return request.membership  # type: ignore[attr-defined,no-any-return]


# --- Unmatched texts --------------------------------------------------------------------------


@roles(*COORDINATING)
def unmatched(request: HttpRequest) -> HttpResponse:
    rows = (
        InboundMessage.objects.for_org(_org(request))
        .filter(state__in=[InboundState.UNMATCHED, InboundState.FAILED])
        .order_by("-has_danger_word", "-received_at", "-id")[:200]
    )
    return render(request, "messaging/unmatched.html", {"rows": rows, "form": AttachForm()})


@roles(*COORDINATING)
@require_POST
def unmatched_attach(request: HttpRequest, inbound_id: int) -> HttpResponse:
    org = _org(request)
    row = get_object_or_404(
        InboundMessage.objects.for_org(org).select_related("org"), pk=inbound_id
    )
    form = AttachForm(request.POST)
    person = None
    if form.is_valid():
        code = form.cleaned_data["codename"].strip()
        person = Person.objects.for_org(org).filter(codename__iexact=code).first()
    if person is None:
        messages.error(request, _("No person has this codename."))
    elif row.state != InboundState.UNMATCHED:
        messages.error(request, _("This text is no longer waiting."))
    else:
        done = inbound.attach_and_replay(
            inbound=row, person=person, by=_member(request), request=request
        )
        messages.success(
            request,
            _("The number is attached to %(codename)s; %(count)d texts were replayed.")
            % {"codename": person.codename, "count": len(done)},
        )
    return redirect("messaging:unmatched")


@roles(*COORDINATING)
@require_POST
def unmatched_dismiss(request: HttpRequest, inbound_id: int) -> HttpResponse:
    row = get_object_or_404(InboundMessage.objects.for_org(_org(request)), pk=inbound_id)
    if services.dismiss_unmatched(inbound=row, by=_member(request), request=request):
        messages.success(request, _("The text is set aside."))
    return redirect("messaging:unmatched")


# --- Simulator --------------------------------------------------------------------------------


@roles(*COORDINATING)
def simulator(request: HttpRequest) -> HttpResponse:
    form = SimulatorForm(request.POST or None)
    result = None
    if request.method == "POST" and form.is_valid():
        try:
            result = simulate(
                org=_org(request),
                text=form.cleaned_data["text"],
                sender=form.cleaned_data["sender"],
                codename=form.cleaned_data["codename"],
                dry_run=form.cleaned_data["dry_run"],
            )
        except SimulatorError as exc:
            form.add_error(None, str(exc))
    return render(request, "messaging/simulator.html", {"form": form, "result": result})


# --- Keywords and sensitive words -------------------------------------------------------------


def _lines(pairs: dict[str, str]) -> str:
    return "\n".join(f"{k} = {v}" for k, v in pairs.items())


@roles(*COORDINATING)
def keywords(request: HttpRequest) -> HttpResponse:
    org = _org(request)
    changes = vocab.changes_of(org)
    keywords_initial = {
        "add": _lines(changes["add"]),
        "remove": "\n".join(changes["remove"]),
        "rename": _lines(changes["rename"]),
    }
    posted = request.POST if request.method == "POST" else None
    which = request.POST.get("form", "")
    form = KeywordsForm(posted if which == "keywords" else None, initial=keywords_initial)
    words = SensitiveWordsForm(
        posted if which == "sensitive" else None,
        initial={"words": "\n".join(wire.sensitive_words(org))},
    )
    if which == "keywords" and form.is_valid():
        try:
            vocab.save_keywords(
                org=org,
                add=form.cleaned_data["add"],
                remove=form.cleaned_data["remove"],
                rename=form.cleaned_data["rename"],
                actor_id=request.user.pk,
                request=request,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The keywords are saved; they apply to the next text."))
            return redirect("messaging:keywords")
    if which == "sensitive" and words.is_valid():
        wire.save_sensitive_words(
            org=org,
            words=words.cleaned_data["words"].splitlines(),
            actor_id=request.user.pk,
            request=request,
        )
        messages.success(request, _("The sensitive words are saved."))
        return redirect("messaging:keywords")
    current = vocab.vocabulary_for(org).by_intent()
    return render(
        request,
        "messaging/keywords.html",
        {"form": form, "words": words, "current": sorted(current.items())},
    )


# --- Gateways ---------------------------------------------------------------------------------


@roles(*ORG_ADMIN_ONLY)
def gateways(request: HttpRequest) -> HttpResponse:
    org = _org(request)
    rows = {g.kind: g for g in Gateway.objects.for_org(org)}
    kinds = [(kind, label, rows.get(kind)) for kind, label in GatewayKind.choices]
    rejected = RejectedWebhook.objects.filter(org_id=org.pk).order_by("-at", "-id")[:50]
    return render(
        request,
        "messaging/gateways.html",
        {"kinds": kinds, "rejected": rejected, "sms_channel": org.setting("sms_channel", "")},
    )


@roles(*ORG_ADMIN_ONLY)
def gateway_edit(request: HttpRequest, kind: str) -> HttpResponse:
    org = _org(request)
    if kind not in services.CREDENTIAL_FIELDS:
        raise Http404
    gateway = Gateway.objects.for_org(org).filter(kind=kind).first()
    initial = {"is_active": True, "use_for_sms": org.setting("sms_channel") == kind}
    if gateway is not None:
        initial |= {
            "base_url": gateway.base_url,
            "public_url": gateway.public_url,
            "is_active": gateway.is_active,
        }
    fields = services.CREDENTIAL_FIELDS[GatewayKind(kind)]
    form = GatewayForm(request.POST or None, initial=initial, fields=fields)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.save_gateway(
            org=org,
            kind=kind,
            base_url=data["base_url"],
            public_url=data["public_url"] or "",
            credentials={name: data.get(name) or "" for name in fields},
            is_active=data["is_active"],
            use_for_sms=data["use_for_sms"],
            by=_member(request),
            request=request,
        )
        messages.success(request, _("The gateway is saved."))
        return redirect("messaging:gateways")
    stored = sorted(k for k, v in credentials_of(gateway).items() if v) if gateway else []
    hooks = {}
    if gateway is not None:
        for hook in ("hook_inbound", "hook_status"):
            path = reverse(f"messaging:{hook}", kwargs={"gateway_key": gateway.key})
            base = gateway.public_url.rstrip("/")
            hooks[hook] = f"{base}{path}" if base else request.build_absolute_uri(path)
    return render(
        request,
        "messaging/gateway_edit.html",
        {
            "form": form,
            "kind": kind,
            "label": GatewayKind(kind).label,
            "stored_names": stored,
            "hooks": hooks,
        },
    )
