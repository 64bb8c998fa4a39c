"""Parties and the negotiation log: what was asked, what was promised (in the party's words),
the next step and when it falls due, the outcome."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from salama.accounts import audit
from salama.accounts.models import Membership, Organisation
from salama.evacuation.models import Movement, Request
from salama.evacuation.models import Party as ClearingParty
from salama.lib import clock
from salama.negotiations.base import NEGOTIATORS, NegotiationError
from salama.negotiations.models import (
    Channel,
    Interaction,
    InteractionOutcome,
    PackageVersion,
    Party,
    PartyKind,
)


def _may(by: Membership | None, org_id: int) -> None:
    if by is None or by.org_id != org_id or by.role not in NEGOTIATORS or not by.is_active:
        raise NegotiationError(_("Only coordinators and liaisons work on negotiations."))


@transaction.atomic
def save_party(
    *,
    org: Organisation,
    name: str,
    kind: str,
    by: Membership | None,
    name_ar: str = "",
    contacts: str = "",
    screens_evacuees: bool = False,
    clearing_party: ClearingParty | None = None,
    party: Party | None = None,
    http: HttpRequest | None = None,
) -> Party:
    """Add (or correct) a party. `clearing_party`: the same party in evacuation's clearance (the
    party that must clear evacuees), if it is one; of the same organisation."""
    _may(by, org.pk)
    name = name.strip()[:80]
    if not name:
        raise NegotiationError(_("Give the party a name."))
    if kind not in PartyKind.values:
        raise NegotiationError(_("Choose the kind of party from the list."))
    clash = Party.objects.for_org(org).filter(name=name)
    if party is not None:
        clash = clash.exclude(pk=party.pk)
    if clash.exists():
        raise NegotiationError(_("Another party already has this name."))
    if clearing_party is not None and clearing_party.org_id != org.pk:
        raise NegotiationError(_("Unknown clearing party."))
    party = party or Party(org=org)
    party.name = name
    party.name_ar = name_ar.strip()[:80]
    party.kind = kind
    party.contacts = contacts.strip()
    party.screens_evacuees = screens_evacuees
    party.clearing_party = clearing_party
    party.save()
    audit.record(
        "negotiations.party_saved",
        org_id=org.pk,
        actor_id=by.user_id if by else None,
        obj=party,
        request=http,
    )
    return party


@dataclass
class InteractionInput:
    at: datetime
    channel: str
    participants: str = ""
    asked: str = ""
    promised: str = ""
    next_step: str = ""
    next_due: date | None = None
    outcome: str = InteractionOutcome.OPEN
    outcome_note: str = ""
    movements: list[Movement] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    versions: list[PackageVersion] = field(default_factory=list)


@transaction.atomic
def log_interaction(
    *,
    party: Party,
    data: InteractionInput,
    by: Membership | None,
    interaction: Interaction | None = None,
    http: HttpRequest | None = None,
) -> Interaction:
    """Log (or correct) one contact with a party."""
    _may(by, party.org_id)
    if data.channel not in Channel.values:
        raise NegotiationError(_("Choose a channel from the list."))
    if data.outcome not in InteractionOutcome.values:
        raise NegotiationError(_("Choose an outcome from the list."))
    if data.at > clock.now():
        raise NegotiationError(_("An interaction cannot be dated in the future."))
    if not (data.asked.strip() or data.promised.strip() or data.outcome_note.strip()):
        raise NegotiationError(_("Write what was asked, what was promised, or what came of it."))
    if data.next_due and not data.next_step.strip():
        raise NegotiationError(_("Say what the next step is, not only when it is due."))
    linked = [*data.movements, *data.requests, *data.versions]
    if any(row.org_id != party.org_id for row in linked):
        raise NegotiationError(_("Unknown movement, request or package."))
    row = interaction or Interaction(org_id=party.org_id, recorded_by=by)
    row.party = party
    row.at = data.at
    row.channel = data.channel
    row.participants = data.participants.strip()
    row.asked = data.asked.strip()
    row.promised = data.promised.strip()
    row.next_step = data.next_step.strip()
    row.next_due = data.next_due
    row.outcome = data.outcome
    row.outcome_note = data.outcome_note.strip()
    row.save()
    row.movements.set(data.movements)
    row.requests.set(data.requests)
    row.versions.set(data.versions)
    audit.record(
        "negotiations.interaction_logged",
        org_id=party.org_id,
        actor_id=by.user_id if by else None,
        obj=row,
        request=http,
    )
    return row


def close_next_step(
    *, interaction: Interaction, by: Membership | None, http: HttpRequest | None = None
) -> Interaction:
    _may(by, interaction.org_id)
    if interaction.next_done_at is None:
        interaction.next_done_at = clock.now()
        interaction.save(update_fields=["next_done_at"])
        audit.record(
            "negotiations.next_step_done",
            org_id=interaction.org_id,
            actor_id=by.user_id if by else None,
            obj=interaction,
            request=http,
        )
    return interaction
