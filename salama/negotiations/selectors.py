"""Reads for pages, the API and the hooks. Every query starts from the organisation."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from salama.accounts.models import Organisation
from salama.evacuation.models import Movement
from salama.lib import clock
from salama.lib.names import local_name
from salama.negotiations.models import (
    Approval,
    Consent,
    Disclosure,
    Interaction,
    Package,
    PackageVersion,
    Party,
)
from salama.people.models import Person

DUE_SOON_DAYS = 2


def parties(org: Organisation | int) -> QuerySet[Party]:
    return Party.objects.for_org(org).order_by("name")


def party_of(org: Organisation | int, party_id: int) -> Party | None:
    return parties(org).filter(pk=party_id).first()


def interactions(org: Organisation | int, *, party: Party | None = None) -> QuerySet[Interaction]:
    rows = Interaction.objects.for_org(org).select_related("party").order_by("-at", "-pk")
    return rows if party is None else rows.filter(party=party)


def interaction_of(org: Organisation | int, interaction_id: int) -> Interaction | None:
    return interactions(org).filter(pk=interaction_id).first()


def due_next_steps(org: Organisation | int, *, today: date | None = None) -> QuerySet[Interaction]:
    """Open next steps due within two days (or overdue), soonest first. `today`: the viewer's
    own date (the duty page); the board counts from today's date in UTC."""
    horizon = (today or clock.now().date()) + timedelta(days=DUE_SOON_DAYS)
    return (
        Interaction.objects.for_org(org)
        .filter(next_done_at=None, next_due__isnull=False, next_due__lte=horizon)
        .select_related("party")
        .order_by("next_due", "pk")
    )


def packages(org: Organisation | int) -> QuerySet[Package]:
    return (
        Package.objects.for_org(org)
        .select_related("party", "movement")
        .order_by("-created_at", "-pk")
    )


def package_of(org: Organisation | int, package_id: int) -> Package | None:
    return packages(org).filter(pk=package_id).first()


def version_of(org: Organisation | int, version_id: int) -> PackageVersion | None:
    return (
        PackageVersion.objects.for_org(org)
        .select_related("package__party", "package__movement")
        .filter(pk=version_id)
        .first()
    )


def consents(version: PackageVersion) -> QuerySet[Consent]:
    return Consent.objects.filter(version=version).select_related("person").order_by("-at", "-pk")


def register(person: Person) -> QuerySet[Disclosure]:
    """What of this person's was disclosed to whom, when, in which version."""
    return (
        Disclosure.objects.filter(person=person)
        .select_related("party", "version")
        .order_by("-at", "-pk")
    )


def timeline(movement: Movement) -> list[dict[str, Any]]:
    """Movement ↔ package ↔ interaction, one list in time order (labels translated)."""
    events: list[tuple[datetime, str, str, str]] = [
        (movement.created_at, "movement", _("Movement planned"), movement.code)
    ]
    versions = PackageVersion.objects.filter(package__movement=movement).select_related(
        "package__party"
    )
    for v in versions:
        who = local_name(v.package.party)
        events.append((v.created_at, "package", _("Notice version prepared"), f"{v.code} · {who}"))
        if v.voided_at:
            events.append((v.voided_at, "package", _("Version replaced"), v.code))
        if v.exported_at:
            events.append((v.exported_at, "package", _("Notice exported"), f"{v.code} · {who}"))
        if v.submitted_at:
            events.append((v.submitted_at, "package", _("Notice submitted"), f"{v.code} · {who}"))
        if v.acknowledged_at:
            label = _("Acknowledged") if v.acknowledged else _("Not acknowledged")
            events.append((v.acknowledged_at, "package", label, f"{v.code} · {who}"))
        if v.withdrawn_at:
            events.append((v.withdrawn_at, "package", _("Notice withdrawn"), v.code))
    for a in Approval.objects.filter(version__in=versions).select_related("version"):
        events.append((a.at, "approval", _("Approved"), a.version.code))
    rows = Interaction.objects.filter(movements=movement).select_related("party")
    rows = rows | Interaction.objects.filter(versions__in=versions).select_related("party")
    for i in rows.distinct():
        events.append((i.at, "interaction", i.get_channel_display(), local_name(i.party)))
    events.sort(key=lambda e: e[0])
    return [
        {"at": at, "kind": kind, "label": label, "what": what} for at, kind, label, what in events
    ]
