"""The text simulator: one message through the same inbound path as a gateway's (the
"simulator" channel), for the ``salama text`` command and the coordinators' page. With
``dry_run`` everything it did is rolled back: nothing kept, nothing queued."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from salama.accounts.models import Organisation
from salama.messaging.inbound import process, store_inbound
from salama.people.models import ContactKind, ContactState, Person

CHANNEL = "simulator"


class SimulatorError(Exception):
    """A translated reason the simulation could not run."""


def number_of(org: Organisation, codename: str) -> str:
    """The first active unshared number of the person with this codename."""
    person = Person.objects.for_org(org).filter(codename__iexact=codename.strip()).first()
    if person is None:
        raise SimulatorError(_("No person has this codename."))
    point = (
        person.contact_points.filter(
            kind=ContactKind.SMS, state=ContactState.ACTIVE, is_shared=False
        )
        .order_by("pk")
        .first()
    )
    if point is None:
        raise SimulatorError(_("This person has no active number of their own."))
    return str(point.value)


def simulate(
    *,
    org: Organisation,
    text: str,
    sender: str = "",
    codename: str = "",
    dry_run: bool = False,
) -> dict[str, Any]:
    """Run `text` as received from `sender` (or from the codename's own number). Returns what
    it did: ``action``, ``status``, ``area`` (English name), ``reply`` and more."""
    if codename:
        sender = number_of(org, codename)
    if not sender.strip():
        raise SimulatorError(_("Give a number or a codename."))
    with transaction.atomic():
        row, _created = store_inbound(org=org, channel=CHANNEL, sender=sender, body=text)
        result = process(row)
        if result is None:
            row.refresh_from_db()
            result = {"action": "error", "reason": row.last_error, "reply": ""}
        result["inbound"] = row.pk
        result["dry_run"] = dry_run
        if dry_run:
            transaction.set_rollback(True)
    return result
