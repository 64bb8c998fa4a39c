"""The ledger over JSON, for witnesses' programs: the latest checkpoint, a consistency proof,
and POST a cosignature (checked against the witness's registered key before it is stored, so
any member's token may carry it — a partner gets a liaison or observer login). Hashes and
signatures only."""

import base64

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja import Status as Answer
from ninja.errors import HttpError

from salama.accounts.access import COORDINATING
from salama.accounts.models import Organisation, Role
from salama.evidence import selectors, services
from salama.evidence.models import Checkpoint, Head
from salama.lib.apiaccess import api_roles, pages
from salama.lib.problems import errors
from salama.safety.tokens import gated

router = Router(tags=["evidence"])
READERS = (*COORDINATING, Role.LIAISON, Role.OBSERVER)


def _org(request: HttpRequest) -> Organisation:
    return request.org  # type: ignore[attr-defined,no-any-return]


class CheckpointOut(Schema):
    id: int
    size: int
    note: str


class ProofOut(Schema):
    old: int
    new: int
    proof: list[str]


class CosignatureIn(Schema):
    checkpoint: int
    line: str


class CosignatureOut(Schema):
    witness: str
    detail: str


@router.get("/evidence/checkpoint", response={200: CheckpointOut, 204: None})
@api_roles(*READERS)
def latest_checkpoint(request: HttpRequest) -> Answer:
    """The latest signed checkpoint (a C2SP signed note); 204 before the first one."""
    latest = selectors.latest_checkpoint(_org(request).pk)
    if latest is None:
        return Answer(204, None)
    return Answer(200, CheckpointOut(id=latest.pk, size=latest.size, note=latest.note))


@router.get("/evidence/consistency", response=ProofOut)
@api_roles(*READERS)
def consistency(request: HttpRequest, old: int | None = None, new: int | None = None) -> ProofOut:
    """An RFC 9162 consistency proof between two tree sizes (base64 hashes)."""
    head = Head.objects.for_org(_org(request)).first()
    if head is None or old is None or new is None or not 0 <= old <= new <= head.size:
        # Valid by the schema, refused by the ledger's state: a rule of the domain (422).
        raise HttpError(422, _("Those tree sizes are not in the ledger."))
    proof = selectors.consistency_proof(_org(request).pk, old, new)
    return ProofOut(old=old, new=new, proof=[base64.b64encode(p).decode() for p in proof])


@router.post(
    "/evidence/cosignatures",
    response={201: CosignatureOut, **errors(404)},
    auth=gated(*READERS),
    openapi_extra=pages("evidence:ledger"),
)
@api_roles(*READERS)
def add_cosignature(request: HttpRequest, payload: CosignatureIn) -> Answer:
    """Store a registered witness's cosignature line of a checkpoint; 422 if it does not
    verify."""
    checkpoint = Checkpoint.objects.for_org(_org(request)).filter(pk=payload.checkpoint).first()
    if checkpoint is None:
        raise HttpError(404, _("No such checkpoint."))
    try:
        cosig = services.add_cosignature(
            org=_org(request), checkpoint=checkpoint, line=payload.line
        )
    except ValidationError as error:
        raise HttpError(422, " ".join(error.messages)) from error
    return Answer(
        201, {"witness": cosig.witness_name, "detail": _("The cosignature was checked and stored.")}
    )
