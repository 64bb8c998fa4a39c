"""The field text protocol applied to one stored inbound text (DESIGN §8, F4 item 3).

The order of the rules:

1. Who sent it: the contact point with the sender's keyed hash, and the persons it serves (its
   roster persons, and the person linked to its membership). None: an unknown number.
2. An unknown number gets the same neutral reply whatever it sent (rate-limited) and its text
   waits on the unmatched list; a help or injury word also raises one life-safety alert to the
   coordinators per number. ``NEW <codename> <personal code>`` attaches the number.
3. A compromised number, or the unshared number of a person under a DETAINED, MISSING or KILLED
   decision, changes nothing: a check-in is recorded only as contact since the decision, and a
   life-safety alert goes to the coordinators. Nothing is sent back.
4. A shared number must name the codename: ``SAFE K12`` and ``1 K12 K14`` are check-ins of
   those persons among the number's persons; a bare ``SAFE`` is asked for the codename.
5. One person's number: check-in (help and injury raise the alert through record_checkin's
   hook), a lead's proxy (``SAFE ALL``, ``SAFE ALL -K27``, ``SAFE K12 K14``: own teams only),
   ``AT <area>``, ``STATUS``, ``OK <n>`` (a lead's or coordinator's number acknowledges; from
   anyone else it is SAFE).
6. Anything else is asked back once; a second unclear text in 24 hours goes to a coordinator.

Replies come from templates, in the person's language, and never repeat what was reported.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import overload

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Prefetch, Q

from salama.accounts import ratelimit
from salama.accounts.access import COORDINATING
from salama.accounts.models import Membership, Organisation
from salama.alerts.models import Alert, AlertKind, AlertState
from salama.alerts.services import AlertError, acknowledge, raise_life_safety, reply_to_sender
from salama.lib import clock
from salama.messaging import services
from salama.messaging.keywords import areas_for, vocabulary_for
from salama.messaging.models import AskedBack, InboundMessage, InboundState, Priority
from salama.messaging.outbox import queue_message
from salama.messaging.parser import AreaChoice, Parsed, parse
from salama.messaging.reach import SILENCING_DECISIONS
from salama.messaging.texts import status_word
from salama.people.models import (
    Area,
    Basis,
    ContactKind,
    ContactPoint,
    ContactState,
    Person,
    Status,
)
from salama.people.services import add_contact_point
from salama.safety.models import Channel, CheckIn
from salama.safety.services import (
    EntryError,
    lead_teams,
    lock_person,
    record_checkin,
    record_proxy_checkins,
)

DANGER = (Status.NEED_HELP, Status.INJURED)
ASK_BACK_MEMORY = timedelta(hours=24)
UNKNOWN_PER_NUMBER = 10  # neutral replies per unknown number per hour
UNKNOWN_PER_ORG = 200  # and per organisation per hour
DANGER_KIND = {Status.NEED_HELP: AlertKind.NEED_HELP, Status.INJURED: AlertKind.INJURED}


@dataclass
class Outcome:
    """What one text did. ``action`` is one of checkin, proxy_checkin, move, status,
    roll_call_answer, acknowledge, not_understood, unknown, new_number, ignored."""

    action: str
    status: str | None = None
    area: str | None = None  # English name, for a move
    reason: str = ""
    codenames: list[str] = field(default_factory=list)
    alert: int | None = None  # the number of an alert raised or acknowledged


@dataclass
class Context:
    org: Organisation
    inbound: InboundMessage
    point: ContactPoint
    persons: list[Person]
    membership: Membership | None
    parsed: Parsed
    replies: bool  # False on a replay: what was said then is not answered again

    @property
    def basis(self) -> str:
        return Basis.PROVISIONAL if self.point.state == ContactState.PROVISIONAL else Basis.SELF


class _Areas(Sequence[AreaChoice]):
    """The organisation's areas, read only when the parser looks at them (a text that names a
    place): most texts name none, and need no statement for them."""

    def __init__(self, org: Organisation) -> None:
        self.org = org
        self._areas: list[AreaChoice] | None = None

    def _all(self) -> list[AreaChoice]:
        if self._areas is None:
            self._areas = areas_for(self.org)
        return self._areas

    @overload
    def __getitem__(self, index: int) -> AreaChoice: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[AreaChoice]: ...
    def __getitem__(self, index: int | slice) -> AreaChoice | Sequence[AreaChoice]:
        return self._all()[index]

    def __len__(self) -> int:
        return len(self._all())

    def __iter__(self) -> Iterator[AreaChoice]:
        return iter(self._all())


def _point_of(inbound: InboundMessage) -> ContactPoint | None:
    """The sender's contact point with its persons (in pk order) and whether it was asked back,
    its ``last_inbound_at`` moved first. That UPDATE takes the point's row lock before the point
    is read, so texts from one number are handled one after another, each seeing what the one
    before it committed (an ask-back it stored, a person it attached)."""
    org = inbound.org
    found = ContactPoint.objects.for_org(org).filter(
        kind=ContactKind.SMS, value_hash=inbound.sender_hash
    )
    found.filter(
        Q(last_inbound_at__isnull=True) | Q(last_inbound_at__lt=inbound.received_at)
    ).update(last_inbound_at=inbound.received_at)
    point = (
        found.select_related("membership")
        .prefetch_related(
            Prefetch("persons", queryset=Person.objects.select_related("org").order_by("pk"))
        )
        .annotate(was_asked_back=Exists(AskedBack.objects.filter(contact_point=OuterRef("pk"))))
        .first()
    )
    if point is not None:
        point.org = org  # queueing a reply asks for it (the channel): no second read
    return point


def holders(point: ContactPoint) -> list[Person]:
    """The persons a point serves: its roster persons in pk order (as `_point_of` prefetched
    them, else read), then the person linked to its membership."""
    prefetched = getattr(point, "_prefetched_objects_cache", {})
    if "persons" in prefetched:
        persons = list(point.persons.all())
    else:
        persons = list(point.persons.select_related("org").order_by("pk"))
    if point.membership_id is not None:
        linked = Person.objects.filter(membership_id=point.membership_id).first()
        if linked is not None and all(p.pk != linked.pk for p in persons):
            persons.append(linked)
    return persons


def handle(inbound: InboundMessage, *, replies: bool = True) -> Outcome:
    """Apply one text. Runs inside the caller's transaction; raises only on a bug or a database
    failure (the caller keeps the text for a retry)."""
    org = inbound.org
    parsed = parse(str(inbound.body), vocabulary=vocabulary_for(org), areas=_Areas(org))
    inbound.has_danger_word = parsed.kind == "checkin" and parsed.status in DANGER
    point = _point_of(inbound)
    persons = holders(point) if point is not None else []
    if point is not None:
        inbound.contact_point = point
    if point is None or (not persons and point.membership_id is None):
        return _unknown(inbound, point, parsed, replies)
    ctx = Context(org, inbound, point, persons, point.membership, parsed, replies)
    silenced = not point.is_shared and any(p.decision in SILENCING_DECISIONS for p in persons)
    if point.state == ContactState.COMPROMISED or silenced:
        return _changes_nothing(ctx)
    from salama.rollcalls.hooks import answer_from_text, check_duress  # M2

    outcome = answer_from_text(ctx) or (
        _shared(ctx) if point.is_shared or len(persons) > 1 else _own(ctx)
    )
    check_duress(ctx, outcome)
    if outcome.action != "not_understood" and getattr(point, "was_asked_back", True):
        AskedBack.objects.filter(contact_point=point).delete()
    return outcome


# --- Replies ----------------------------------------------------------------------------------


def _reply(
    ctx: Context, template: str, context: dict[str, object] | None = None, *, person: Person | None
) -> None:
    if not ctx.replies:
        return
    queue_message(
        org=ctx.org,
        contact_point=ctx.point,
        template=template,
        context=context or {},
        priority=Priority.NORMAL,
        reason="reply",
        language=person.language if person is not None else None,
        cause_ids={"inbound": ctx.inbound.pk},
    )


def _ask_back(ctx: Context, reason: str, person: Person | None = None) -> Outcome:
    """Ask back once; a second unclear text within ASK_BACK_MEMORY goes to a coordinator."""
    since = clock.now() - ASK_BACK_MEMORY
    asked = AskedBack.objects.filter(contact_point=ctx.point, asked_at__gte=since).exists()
    if not asked:
        AskedBack.objects.update_or_create(
            contact_point=ctx.point, defaults={"org": ctx.org, "asked_at": clock.now()}
        )
        _reply(ctx, "reply_not_understood", person=person)
        return Outcome("not_understood", reason=reason)
    ctx.inbound.state = InboundState.UNMATCHED
    _reply(ctx, "reply_to_person", {"time": ctx.inbound.received_at}, person=person)
    return Outcome("not_understood", reason="to_coordinator")


# --- Unknown numbers --------------------------------------------------------------------------


def _unknown(
    inbound: InboundMessage, point: ContactPoint | None, parsed: Parsed, replies: bool
) -> Outcome:
    org = inbound.org
    inbound.state = InboundState.UNMATCHED
    outcome = Outcome("unknown", reason="unknown_number")
    if parsed.kind == "new" and parsed.codenames and parsed.personal_code:
        person = services.try_personal_code(  # counts and locks tries before comparing
            inbound=inbound, codename=parsed.codenames[0], code=parsed.personal_code
        )
        if person is not None:
            point = services.attach_sender(inbound=inbound, person=person, by=None, how="code")
            inbound.state = InboundState.HANDLED
            inbound.contact_point = point
            outcome = Outcome("new_number", codenames=[person.codename])
    if inbound.has_danger_word:
        outcome.alert = _unknown_sender_alert(inbound, point)
    allowed = ratelimit.hit(
        f"sms-unknown:{org.pk}:{inbound.sender_hash}", limit=UNKNOWN_PER_NUMBER, window=3600
    ) and ratelimit.hit(f"sms-unknown:{org.pk}", limit=UNKNOWN_PER_ORG, window=3600)
    if not allowed:
        outcome.reason = "rate_limited"
        return outcome
    if point is None:
        try:
            point = add_contact_point(
                org=org,
                kind=ContactKind.SMS,
                value=str(inbound.sender),
                state=ContactState.PROVISIONAL,
            )
        except ValidationError:
            return outcome  # not a number we can answer (a short code, a name)
        inbound.contact_point = point
    if replies:
        # The same neutral text whatever was sent (also after NEW, right or wrong).
        queue_message(
            org=org,
            contact_point=point,
            template="reply_unknown",
            context={},
            priority=Priority.NORMAL,
            reason="reply",
            language=str(org.setting("language", "ar")),
            cause_ids={"inbound": inbound.pk},
        )
    return outcome


def _unknown_sender_alert(inbound: InboundMessage, point: ContactPoint | None) -> int:
    """One open life-safety alert per unknown number (to the coordinators); the sender hears
    nothing of it."""
    earlier = InboundMessage.objects.for_org(inbound.org_id).filter(
        sender_hash=inbound.sender_hash, alert_id__isnull=False
    )
    open_alert = (
        Alert.objects.for_org(inbound.org_id)
        .filter(pk__in=earlier.values("alert_id"), kind=AlertKind.UNKNOWN_SENDER_HELP)
        .exclude(state=AlertState.CLOSED)
        .first()
    )
    if open_alert is None:
        open_alert = raise_life_safety(
            org=inbound.org,
            kind=AlertKind.UNKNOWN_SENDER_HELP,
            contact_point=point,
            quiet_to_sender=True,
        )
    inbound.alert_id = open_alert.pk
    return open_alert.number


# --- Numbers that may be in other hands -------------------------------------------------------


def _changes_nothing(ctx: Context) -> Outcome:
    compromised = ctx.point.state == ContactState.COMPROMISED
    reason = "compromised" if compromised else "decision"
    person = ctx.persons[0] if len(ctx.persons) == 1 else None
    parsed = ctx.parsed
    if parsed.kind == "checkin" and person is not None and parsed.status:
        checkin = record_checkin(
            person=person,
            status=parsed.status,
            basis=ctx.basis,
            channel=Channel.SMS,
            received_at=ctx.inbound.received_at,
            device_at=ctx.inbound.sent_at,
            note=parsed.note,
            contact_point=ctx.point,
            contact_only=True,
        )
        alert = Alert.objects.for_org(ctx.org).filter(checkin_id=checkin.pk).first()
        if alert is not None:
            return Outcome("ignored", reason=reason, alert=alert.number)
    kind = AlertKind.COMPROMISED_CONTACT if compromised else AlertKind.CONTACT_SINCE_DECISION
    alert = raise_life_safety(
        org=ctx.org, kind=kind, person=person, contact_point=ctx.point, quiet_to_sender=True
    )
    return Outcome("ignored", reason=reason, alert=alert.number)


# --- Shared numbers ---------------------------------------------------------------------------


def _shared(ctx: Context) -> Outcome:
    parsed = ctx.parsed
    by_code = {p.codename.upper(): p for p in ctx.persons}
    named = [by_code[c] for c in parsed.codenames if c in by_code]
    strangers = [c for c in parsed.codenames if c not in by_code]
    first = named[0] if named else None
    if parsed.kind == "acknowledge":
        by = _acknowledger(ctx, None)
        if by is not None:
            return _acknowledge(ctx, by, parsed.alert_number or 0, None)
    danger = parsed.kind == "checkin" and parsed.status in DANGER
    if danger and not named:
        return _unattributed_danger(ctx)
    plain = not parsed.everyone and not parsed.except_codenames and not strangers
    if parsed.kind in ("checkin", "proxy_checkin", "acknowledge") and named and (danger or plain):
        status = parsed.status if danger else Status.SAFE
        for person in named:
            _checkin(ctx, person, str(status), parsed.area_id)
        if not danger:
            _reply(ctx, "reply_ok", {"time": ctx.inbound.received_at}, person=first)
        return Outcome("checkin", status=str(status), codenames=[p.codename for p in named])
    if parsed.kind == "status" and len(named) == 1 and not strangers:
        return _status(ctx, named[0])
    if parsed.kind == "move" and named and not strangers and parsed.area_id:
        return _move(ctx, named, parsed.area_id)
    if parsed.kind in ("checkin", "proxy_checkin", "acknowledge", "status", "move"):
        _reply(ctx, "reply_ask_codename", person=first)
        return Outcome("not_understood", reason="ask_codename")
    return _ask_back(ctx, parsed.reason or parsed.kind, first)


def _unattributed_danger(ctx: Context) -> Outcome:
    """Help from a shared phone that names nobody: the alert goes out without a person (the
    phone's leads cannot be guessed); a second one reuses it."""
    status = str(ctx.parsed.status)
    kind = DANGER_KIND[Status(status)]
    existing = (
        Alert.objects.for_org(ctx.org)
        .filter(kind=kind, person__isnull=True, contact_point=ctx.point, state=AlertState.OPEN)
        .select_related("org")
        .first()
    )
    if existing is not None:
        if ctx.replies:
            reply_to_sender(existing)
        alert = existing
    else:
        alert = raise_life_safety(
            org=ctx.org, kind=kind, contact_point=ctx.point, quiet_to_sender=not ctx.replies
        )
    return Outcome("checkin", status=status, reason="unattributed", alert=alert.number)


# --- One person's number ----------------------------------------------------------------------


def _own(ctx: Context) -> Outcome:
    parsed = ctx.parsed
    person = ctx.persons[0] if ctx.persons else None
    kind = parsed.kind
    if kind == "acknowledge":
        by = _acknowledger(ctx, person)
        if by is not None:
            return _acknowledge(ctx, by, parsed.alert_number or 0, person)
        kind = "checkin"  # OK 17 from anyone else: SAFE
    if person is None:
        # A coordinator's or liaison's phone with no roster person: only OK <n> acts.
        if kind == "checkin" and parsed.status in DANGER:
            return _unattributed_danger(ctx)
        return _ask_back(ctx, parsed.reason or kind)
    if kind == "checkin":
        return _self_checkin(ctx, person, str(parsed.status or Status.SAFE), parsed.area_id)
    if kind == "proxy_checkin":
        if lead_teams(person):
            return _proxy(ctx, person)
        return _self_checkin(ctx, person, Status.SAFE, parsed.area_id)  # a non-lead's "all ok"
    if kind == "move" and parsed.area_id:
        return _move(ctx, [person], parsed.area_id)
    if kind == "status":
        return _status(ctx, person)
    return _ask_back(ctx, parsed.reason or kind, person)


def _checkin(ctx: Context, person: Person, status: str, area_id: int | None) -> CheckIn:
    area = Area.objects.for_org(ctx.org).filter(pk=area_id).first() if area_id else None
    # Locked here, in the handling's transaction (which any error rolls back whole, the stored
    # text kept): record_checkin needs no savepoint of its own.
    locked = lock_person(Person.objects.filter(pk=person.pk))
    if locked is None:
        raise Person.DoesNotExist
    return record_checkin(
        person=locked,
        locked=True,
        status=status,
        basis=ctx.basis,
        channel=Channel.SMS,
        received_at=ctx.inbound.received_at,
        device_at=ctx.inbound.sent_at,
        note=ctx.parsed.note if status in DANGER else "",
        contact_point=ctx.point,
        area=area,
    )


def _self_checkin(ctx: Context, person: Person, status: str, area_id: int | None) -> Outcome:
    checkin = _checkin(ctx, person, status, area_id)
    alerts = Alert.objects.for_org(ctx.org)
    alert = None
    # A check-in raises an alert only in danger, after a decision on the person (as read under
    # the lock) or from a compromised number (alerts.services.on_checkin): else none to look up.
    if status in DANGER or checkin.person.decision or ctx.point.state == ContactState.COMPROMISED:
        alert = alerts.filter(checkin_id=checkin.pk).first()
    if alert is None and status in DANGER:  # a second HELP reuses the open alert
        alert = alerts.filter(person=person, kind=DANGER_KIND[Status(status)]).first()
        alert = alert if alert is not None and alert.state == AlertState.OPEN else None
    if status not in DANGER or alert is None:
        # Help and injury are answered by the alert ("received 03:11, not yet seen").
        _reply(ctx, "reply_ok", {"time": ctx.inbound.received_at}, person=person)
    return Outcome(
        "checkin",
        status=status,
        codenames=[person.codename],
        alert=alert.number if alert else None,
    )


def _proxy(ctx: Context, lead: Person) -> Outcome:
    parsed = ctx.parsed
    try:
        result = record_proxy_checkins(
            lead=lead,
            codenames=None if parsed.everyone else list(parsed.codenames),
            except_codenames=list(parsed.except_codenames),
            recorded_by=lead.membership,
        )
    except EntryError:
        return _ask_back(ctx, "proxy_refused", lead)
    _checkin(ctx, lead, Status.SAFE, parsed.area_id)  # a lead who writes SAFE ALL is safe too
    _reply(ctx, "reply_ok", {"time": ctx.inbound.received_at}, person=lead)
    return Outcome(
        "proxy_checkin",
        status=Status.SAFE,
        codenames=[c.person.codename for c in result.checkins],
    )


def _move(ctx: Context, persons: list[Person], area_id: int) -> Outcome:
    area = Area.objects.for_org(ctx.org).get(pk=area_id)
    for person in persons:
        services.move_person(person=person, area=area, via="sms")
    _reply(ctx, "reply_ok", {"time": ctx.inbound.received_at}, person=persons[0])
    return Outcome("move", area=area.name_en, codenames=[p.codename for p in persons])


def _status(ctx: Context, person: Person) -> Outcome:
    person.refresh_from_db(fields=["state", "state_at"])
    language = person.language
    word = status_word(person.state, language, ctx.org) if person.state else "-"
    when: object = person.state_at if person.state_at else "-"
    _reply(ctx, "reply_status", {"status": word, "time": when}, person=person)
    return Outcome("status", status=person.state or None, codenames=[person.codename])


# --- Acknowledgements -------------------------------------------------------------------------


def _acknowledger(ctx: Context, person: Person | None) -> Membership | None:
    """The membership that may acknowledge from this number: a coordinator's or org admin's
    phone, or a registered lead's (a lead with a login). None: the OK is a SAFE."""
    membership = ctx.membership
    if membership is not None and membership.is_active and membership.role in COORDINATING:
        return membership
    if person is not None and person.membership_id is not None and lead_teams(person):
        lead_membership = Membership.objects.filter(pk=person.membership_id, is_active=True)
        return lead_membership.first()
    return None


def _acknowledge(ctx: Context, by: Membership, number: int, person: Person | None) -> Outcome:
    alert = Alert.objects.for_org(ctx.org).filter(number=number).select_related("org").first()
    taken = True
    if alert is not None and alert.state == AlertState.OPEN:
        try:
            taken = not acknowledge(alert=alert, by=by, via="sms")
        except AlertError:
            taken = True
    template = "reply_ack_taken" if taken else "reply_ack"
    _reply(ctx, template, {"alert": number}, person=person)
    return Outcome("acknowledge", reason="taken" if taken else "", alert=number)
