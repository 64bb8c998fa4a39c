"""Duress: a word agreed at enrolment that reads as SAFE in the protocol but tells the duty
coordinator and the security focal points that the person is coerced.

Only the word's keyed hash is kept; nothing shows it again. A duress check-in is an ordinary
SAFE check-in for everyone else (same reply, same pages, same API, same later traffic to the
person); the alert is raised quietly (no "received" or "seen" to the sender).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _

from salama.accounts import audit
from salama.accounts.access import COORDINATING
from salama.accounts.models import Membership, Organisation
from salama.alerts.models import Alert, AlertKind
from salama.lib import clock, keyring
from salama.lib.textnorm import tokens
from salama.messaging.keywords import vocabulary_for
from salama.messaging.models import InboundMessage, Priority
from salama.messaging.vocabulary import Intent
from salama.people.models import Basis, Person, Status
from salama.rollcalls.models import DuressAlert, DuressForm
from salama.rollcalls.services import RollCallError
from salama.safety.models import Channel, CheckIn
from salama.safety.prepared import Prepared

if TYPE_CHECKING:
    from salama.messaging.handler import Context, Outcome

FOCAL_POINTS = "security_focal_points"
RECENT = 30


def _hash(org_id: int, normalised: str) -> str:
    return keyring.lookup_hash(org_id, "duress:" + normalised)


def _recent_texts(person: Person) -> list[str]:
    """What the person wrote in their last normal check-ins: the raw texts we still hold."""
    point_ids = list(person.contact_points.values_list("pk", flat=True))
    rows = (
        InboundMessage.objects.for_org(person.org_id)
        .filter(contact_point_id__in=point_ids, action__in=["checkin", "roll_call_answer"])
        .order_by("-received_at")[:RECENT]
    )
    found = [str(r.body) for r in rows]
    notes = CheckIn.objects.filter(person=person).order_by("-effective_at")[:RECENT]
    return found + [str(c.note) for c in notes if c.note]


@transaction.atomic
def agree_duress(
    *,
    person: Person,
    word: str,
    plan: str,
    by: Membership | None = None,
    request: HttpRequest | None = None,
) -> DuressForm:
    """Store a person's duress word (as a keyed hash) and response plan (encrypted), agreed now.
    Only a coordinator or org admin (`by`; None for the demo and tests) sets one: replacing a
    word disarms the one the person agreed, so a change is audited as "duress.change" and
    told to the other coordinators (a routine alert)."""
    if by is not None and by.role not in COORDINATING:
        raise PermissionDenied
    toks = tokens(word)
    if len(toks) != 1:
        raise RollCallError(_("The duress word must be one ordinary word."))
    normalised = toks[0]
    vocabulary = vocabulary_for(person.org)
    if vocabulary.lookup_word(normalised) != Intent.SAFE:
        raise RollCallError(_("The duress word must also mean SAFE in the protocol."))
    for text in _recent_texts(person):
        if normalised in tokens(text):
            raise RollCallError(
                _("This person used this word in a recent check-in: choose another.")
            )
    form, created = DuressForm.objects.update_or_create(
        person=person,
        defaults={
            "org": person.org,
            "word_hash": _hash(person.org_id, normalised),
            "plan": plan.strip(),
            "agreed_by": by,
            "agreed_at": clock.now(),
        },
    )
    audit.record(
        "duress.agree" if created else "duress.change",
        org_id=person.org_id,
        actor_id=by.user_id if by else None,
        obj=form,
        request=request,
        detail={"person": person.pk},
    )
    if not created:
        _tell_other_coordinators(person=person, by=by)
    return form


def _tell_other_coordinators(*, person: Person, by: Membership | None) -> Alert:
    """A routine alert (the person's codename on the duty page, only the alert's number on the
    wire) to every coordinator and org admin but the one who made the change."""
    from salama.alerts.routing import for_membership
    from salama.alerts.services import new_alert, notify

    alert = new_alert(org=person.org, kind=AlertKind.DURESS_CHANGED, person=person)
    others = Membership.objects.for_org(person.org_id).filter(is_active=True, role__in=COORDINATING)
    if by is not None:
        others = others.exclude(pk=by.pk)
    recipients = [r for m in others.order_by("pk") if (r := for_membership(m)) is not None]
    notify(alert, recipients, step=0, template="duress_changed", priority=Priority.NORMAL)
    audit.record("alert.raise", org_id=person.org_id, obj=alert, detail={"kind": alert.kind})
    return alert


def _form_query(org_id: int, person_id: int) -> QuerySet[DuressForm]:
    return DuressForm.objects.for_org(org_id).filter(person_id=person_id).only("word_hash")


# Every SAFE text asks for it (check_duress): compiled once (salama.safety.prepared).
_form_of = Prepared(_form_query, 0, 0)


# The keyed hash of a person's duress word, read with the text's sender and persons (one
# statement: messaging.hooks.sender_person_columns); None when the person has none.
WORD_HASH = "duress_word_hash"
_UNREAD = object()


def word_hash_column(*, quote: Callable[[str], str]) -> tuple[str, str]:
    table = quote(DuressForm._meta.db_table)
    return WORD_HASH, (
        f"(SELECT d.word_hash FROM {table} d"  # noqa: S608 - names only
        " WHERE d.org_id = p.org_id AND d.person_id = p.id)"
    )


def is_duress(person: Person, text: str) -> bool:
    """Whether `text` carries `person`'s duress word (keyed-hash compare, word by word)."""
    stored = person.__dict__.get(WORD_HASH, _UNREAD)
    if stored is _UNREAD:
        form = _form_of(person.org_id, person.pk)
        stored = form.word_hash if form is not None else ""
    if not stored:
        return False
    return any(_hash(person.org_id, t) == stored for t in tokens(text))


def focal_points(org: Organisation) -> list[Membership]:
    ids = [int(i) for i in org.setting(FOCAL_POINTS) or [] if str(i).isdigit()]
    return list(Membership.objects.for_org(org).filter(pk__in=ids, is_active=True))


@transaction.atomic
def raise_duress(*, person: Person, checkin: CheckIn | None, contact_point: object = None) -> Alert:
    """A life-safety DURESS alert to the duty coordinator and the security focal points, quiet
    to the sender. In drill mode (the organisation's setting) the alert is marked as a TEST."""
    from salama.alerts.routing import for_membership
    from salama.alerts.services import notify, raise_life_safety

    org = person.org
    alert = raise_life_safety(
        org=org,
        kind=AlertKind.DURESS,
        person=person,
        checkin=checkin,
        contact_point=contact_point,  # type: ignore[arg-type]
        quiet_to_sender=True,
    )
    told = set(alert.notifications.values_list("membership_id", flat=True))
    extra = []
    for membership in focal_points(org):
        if membership.pk in told:
            continue
        recipient = for_membership(membership, "coordinator")
        if recipient is not None:
            extra.append(recipient)
    if extra:
        notify(alert, extra, step=0, template="alert_life_safety", priority=Priority.LIFE_SAFETY)
    DuressAlert.objects.get_or_create(
        alert_id=alert.pk,
        defaults={
            "org": org,
            "person": person,
            "checkin_id": checkin.pk if checkin else None,
            "is_drill": bool(org.setting("drill_mode", False)),
        },
    )
    return alert


def check_duress(ctx: Context, outcome: Outcome) -> None:
    """The text handler's hook, after a text was handled: a SAFE from one person's own number
    that carries their duress word raises the duress alert. Nothing else changes."""
    if outcome.status != Status.SAFE or len(outcome.codenames) != 1:
        return
    if ctx.point.is_shared or len(ctx.persons) != 1:
        return
    person = ctx.persons[0]
    if not is_duress(person, str(ctx.inbound.body)):
        return
    checkin = CheckIn.objects.filter(person=person, contact_point=ctx.point).order_by("-id").first()
    raise_duress(person=person, checkin=checkin, contact_point=ctx.point)


def check_page_duress(*, checkin: CheckIn, person: Person) -> None:
    """safety.checkin_recorded: a person's own SAFE from the field page (or their API client)
    whose note carries their duress word raises the duress alert, as a text does; everything
    the person sees stays the same. Texts have their own watcher (check_duress). No statement
    for a check-in without a note."""
    if checkin.status != Status.SAFE or checkin.basis != Basis.SELF or not checkin.note:
        return
    if checkin.channel not in (Channel.FIELD_PAGE, Channel.API):
        return
    if is_duress(person, str(checkin.note)):
        raise_duress(person=person, checkin=checkin)


def plan_for(alert: Alert) -> tuple[str, bool] | None:
    """(response plan, is_drill) of a duress alert, for coordinators' pages."""
    link = DuressAlert.objects.for_org(alert.org_id).filter(alert_id=alert.pk).first()
    if link is None:
        return None
    form = DuressForm.objects.for_org(alert.org_id).filter(person_id=link.person_id).first()
    return (str(form.plan) if form else "", link.is_drill)


@transaction.atomic
def save_settings(
    *,
    org: Organisation,
    focal_points: list[Membership],
    drill_mode: bool,
    answer_links: bool,
    monthly_budget: float,
    by: Membership | None = None,
    request: HttpRequest | None = None,
) -> None:
    """The org admin's roll-call settings: the security focal points (memberships of this
    organisation), drill mode (duress alerts are marked TEST), signed answer links in roll-call
    texts, and the monthly text budget (0: none). Audited with ids only."""
    if any(m.org_id != org.pk for m in focal_points):
        raise RollCallError(_("Unknown member."))
    if monthly_budget < 0:
        raise RollCallError(_("The budget cannot be negative."))
    locked = Organisation.objects.select_for_update().get(pk=org.pk)
    locked.settings[FOCAL_POINTS] = sorted(m.pk for m in focal_points)
    locked.settings["drill_mode"] = bool(drill_mode)
    locked.settings["answer_links"] = bool(answer_links)
    locked.settings["monthly_budget"] = float(monthly_budget)
    locked.save(update_fields=["settings"])
    org.settings = locked.settings
    audit.record(
        "rollcall.settings",
        org_id=org.pk,
        actor_id=by.user_id if by else None,
        obj=org,
        request=request,
        detail={"focal_points": locked.settings[FOCAL_POINTS], "drill": bool(drill_mode),
                "links": bool(answer_links)},
    )  # fmt: skip
