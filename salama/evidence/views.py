"""Ledger pages: the ledger (key, checkpoints, cosignatures, witnesses), a record's entries with
their inclusion proofs, and plain endpoints for witnesses (the latest checkpoint, a consistency
proof). They show hashes and signatures only, never a field's value."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from salama.accounts.access import COORDINATING, roles
from salama.accounts.models import Organisation, Role
from salama.evidence import selectors, services, tree
from salama.evidence.checkpoints import log_vkey, next_slot, origin
from salama.evidence.forms import CosignatureForm, WitnessForm
from salama.evidence.models import Checkpoint, Witness
from salama.lib import clock

READERS = (*COORDINATING, Role.LIAISON, Role.OBSERVER)


def _org(request: HttpRequest) -> Organisation:
    return request.org  # type: ignore[attr-defined,no-any-return]


def _role(request: HttpRequest) -> str:
    return str(request.membership.role)  # type: ignore[attr-defined]


@roles(*READERS)
def ledger(request: HttpRequest) -> HttpResponse:
    org = _org(request)
    if request.method == "POST":
        return _post(request, org)
    view = selectors.ledger(org.pk)
    key = view.key
    context: dict[str, Any] = {
        "view": view,
        "origin": origin(org.pk),
        "vkey": log_vkey(key) if key else "",
        "fingerprint": (
            hashlib.sha256(base64.b64decode(key.public_key)).hexdigest()[:32] if key else ""
        ),
        "next_checkpoint": next_slot(clock.now()),
        "witnesses": Witness.objects.for_org(org).order_by("name"),
        "may_manage": _role(request) == Role.ORG_ADMIN,
        "witness_form": WitnessForm(),
        "cosig_form": CosignatureForm(),
    }
    return render(request, "evidence/ledger.html", context)


def _post(request: HttpRequest, org: Organisation) -> HttpResponse:
    if _role(request) != Role.ORG_ADMIN:
        raise Http404
    try:
        if "vkey" in request.POST:
            form: WitnessForm | CosignatureForm = WitnessForm(request.POST)
            if form.is_valid():
                services.add_witness(org=org, vkey=form.cleaned_data["vkey"])
                messages.success(request, _("The witness was added."))
                return redirect("evidence:ledger")
        else:
            form = CosignatureForm(request.POST)
            if form.is_valid():
                checkpoint = Checkpoint.objects.for_org(org).filter(
                    pk=form.cleaned_data["checkpoint"]
                )
                found = checkpoint.first()
                if found is None:
                    raise ValidationError(_("No such checkpoint."))
                services.add_cosignature(org=org, checkpoint=found, line=form.cleaned_data["line"])
                messages.success(request, _("The cosignature was checked and stored."))
                return redirect("evidence:ledger")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("evidence:ledger")
    messages.error(request, _("Check the form: a field is missing or too long."))
    return redirect("evidence:ledger")


@roles(*READERS)
def record(request: HttpRequest, record_kind: str, record_id: int) -> HttpResponse:
    kind = record_kind
    org = _org(request)
    entries = selectors.record_entries(org.pk, kind, record_id)
    if not entries:
        raise Http404
    latest = selectors.latest_checkpoint(org.pk)
    rows = []
    for entry in entries:
        proof: list[str] = []
        included = None
        if latest is not None and entry.index < latest.size:
            path = selectors.inclusion_proof(org.pk, entry.index, latest.size)
            proof = [p.hex() for p in path]
            included = tree.verify_inclusion(
                bytes.fromhex(entry.leaf_hash),
                entry.index,
                latest.size,
                path,
                bytes.fromhex(latest.root),
            )
        rows.append({"entry": entry, "proof": proof, "included": included})
    context = {"kind": kind, "record_id": record_id, "rows": rows, "latest": latest}
    return render(request, "evidence/record.html", context)


@roles(*READERS)
def checkpoint_text(request: HttpRequest) -> HttpResponse:
    """The latest signed checkpoint, as a witness fetches it (204 before the first one)."""
    latest = selectors.latest_checkpoint(_org(request).pk)
    if latest is None:
        return HttpResponse(status=204)
    return HttpResponse(latest.note, content_type="text/plain; charset=utf-8")


@roles(*READERS)
def consistency(request: HttpRequest) -> JsonResponse:
    """A consistency proof between two sizes (?old=&new=), as RFC 9162 defines it."""
    org = _org(request)
    head = selectors.ledger(org.pk, limit=0).head
    try:
        old, new = int(request.GET.get("old", "")), int(request.GET.get("new", ""))
    except ValueError:
        return JsonResponse({"detail": _("Give old and new tree sizes.")}, status=400)
    if head is None or not 0 <= old <= new <= head.size:
        return JsonResponse({"detail": _("Those tree sizes are not in the ledger.")}, status=400)
    proof = selectors.consistency_proof(org.pk, old, new)
    return JsonResponse(
        {"old": old, "new": new, "proof": [base64.b64encode(p).decode() for p in proof]}
    )
