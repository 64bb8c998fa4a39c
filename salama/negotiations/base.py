"""What every negotiations service shares: the error, the refusal (translated and audited), the
roles, the lead time and the canonical hash."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import rfc8785
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from salama.accounts import audit
from salama.accounts.access import COORDINATING
from salama.accounts.models import Membership, Role

# Who may see or touch anything of negotiations: coordinators (and org admins) and liaisons.
NEGOTIATORS = (*COORDINATING, Role.LIAISON)
# Who may approve a version (two different ones of the same organisation).
APPROVERS = COORDINATING
LEAD_HOURS = 48
EMERGENCY_LEAD_HOURS = 24
# The details of a person that may go on a notice only with their consent for that version.
PERSONAL_FIELDS = ("name", "role", "specialty", "photo", "id_number", "medical")


class NegotiationError(ValidationError):
    """A refusal: the message (translated) says why and what would work. Nothing was written."""


def refuse(
    message: str,
    *,
    code: str,
    by: Membership | None,
    obj: Any = None,
    org_id: int | None = None,
    http: HttpRequest | None = None,
) -> NegotiationError:
    """Audit a refusal (ids and a code, never text) and return the error to raise. The audit row
    is written outside the caller's transaction's fate only if the caller lets it commit: the
    services call this before opening their own transaction."""
    audit.record(
        "negotiations.refused",
        org_id=org_id or (by.org_id if by is not None else None),
        actor_id=by.user_id if by is not None else None,
        obj=obj,
        request=http,
        detail={"code": code},
    )
    return NegotiationError(message, code=code)


def canonical(content: dict[str, Any]) -> bytes:
    """RFC 8785 (JSON Canonicalization Scheme): the same content always gives the same bytes."""
    return bytes(rfc8785.dumps(content))


def content_hash(content: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(content)).hexdigest()


def lead_time(emergency: bool) -> timedelta:
    return timedelta(hours=EMERGENCY_LEAD_HOURS if emergency else LEAD_HOURS)
