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
   ``AT <area>``, ``STATUS``.
6. Before 4 and 5, the commands other apps register (salama.messaging.commands) are offered the
   text in their order: ``FAC`` (facilities), a roll-call answer (rollcalls), ``OK <n>``
   (alerts). After it, the watchers see the outcome (rollcalls' duress word).
7. Anything else is asked back once; a second unclear text in 24 hours goes to a coordinator.

Replies come from templates, in the person's language, and never repeat what was reported.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import overload

from django.core.exceptions import ValidationError
from django.db import connection, connections

from salama.accounts import ratelimit
from salama.accounts.models import Membership, Organisation
from salama.lib import clock
from salama.messaging import commands, compiled, hooks, services, texts
from salama.messaging.keywords import areas_for, vocabulary_for
from salama.messaging.models import (
    AskedBack,
    InboundMessage,
    InboundState,
    MessageTemplate,
    Priority,
)
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
from salama.safety.prepared import Write
from salama.safety.services import (
    EntryError,
    KeyUsed,
    lead_teams,
    lock_person_by_pk,
    record_checkin,
    record_proxy_checkins,
)

DANGER = (Status.NEED_HELP, Status.INJURED)
ASK_BACK_MEMORY = timedelta(hours=24)
UNKNOWN_PER_NUMBER = 10  # neutral replies per unknown number per hour
UNKNOWN_PER_ORG = 200  # and per organisation per hour


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


# The sender's point, its membership, whether it was asked back and its persons in pk order, in
# ONE statement written once (salama.messaging.compiled), with each person's organisation
# wording of the check-in reply in their language (none: the default wording).
REPLY_OK = "reply_ok"


class _Lookup:
    def __init__(self, alias: str) -> None:
        connection = connections[alias]
        quote = connection.ops.quote_name
        self.point = compiled.reader(ContactPoint, "cp", alias)
        self.membership = compiled.reader(Membership, "m", alias)
        self.person = compiled.reader(Person, "p", alias)
        through = ContactPoint.persons.through._meta
        table = {
            "point": quote(ContactPoint._meta.db_table),
            "membership": quote(Membership._meta.db_table),
            "asked": quote(AskedBack._meta.db_table),
            "through": quote(through.db_table),
            "person": quote(Person._meta.db_table),
            "wording": quote(MessageTemplate._meta.db_table),
        }
        # Each person's columns of higher apps (hooks.sender_person_columns), after the wording.
        self.extra = hooks.sender_person_columns(quote=quote)
        extra = "".join(f", {sql}" for _name, sql in self.extra)
        self.sql = (
            f"SELECT {self.point.sql}, {self.membership.sql},"  # noqa: S608 - names only
            f" EXISTS (SELECT 1 FROM {table['asked']} a WHERE a.contact_point_id = cp.id),"
            f" {self.person.sql},"
            f" (SELECT w.body FROM {table['wording']} w WHERE w.org_id = p.org_id"
            f"   AND w.key = %s AND w.language = p.language){extra}"
            f" FROM {table['point']} cp"
            f" LEFT OUTER JOIN {table['membership']} m ON m.id = cp.membership_id"
            f" LEFT OUTER JOIN {table['through']} t ON t.contactpoint_id = cp.id"
            f" LEFT OUTER JOIN {table['person']} p ON p.id = t.person_id"
            " WHERE cp.org_id = %s AND cp.kind = %s AND cp.value_hash = %s"
            " ORDER BY p.id"
        )

    def run(self, org: Organisation, sender_hash: str, alias: str) -> ContactPoint | None:
        with connections[alias].cursor() as cursor:
            cursor.execute(self.sql, [REPLY_OK, org.pk, ContactKind.SMS, sender_hash])
            rows = cursor.fetchall()
        if not rows:
            return None
        first = rows[0]
        point = self.point.build(first, 0)
        at = self.point.width
        membership = self.membership.build(first, at) if point.membership_id is not None else None
        at += self.membership.width
        point.was_asked_back = bool(first[at])  # type: ignore[attr-defined]
        at += 1
        persons: list[Person] = []
        for row in rows:
            if row[at] is None:  # no person: the LEFT JOIN's empty row
                continue
            person = self.person.build(row, at)
            if person.org_id == org.pk:
                person.org = org
            after = at + self.person.width
            person.wording = {REPLY_OK: row[after]}  # type: ignore[attr-defined]
            for i, (name, _sql) in enumerate(self.extra, start=1):
                setattr(person, name, row[after + i])
            persons.append(person)
        ContactPoint.membership.field.set_cached_value(point, membership)
        point.org = org  # queueing a reply asks for it (the channel): no second read
        related = point.persons
        queryset = related.get_queryset()
        queryset._result_cache = persons  # as prefetch_related("persons") leaves it
        queryset._prefetch_done = True
        point._prefetched_objects_cache = {related.prefetch_cache_name: queryset}  # type: ignore[attr-defined]
        return point


_lookups: dict[str, _Lookup] = {}


def _find_point(org: Organisation, sender_hash: str, alias: str = "default") -> ContactPoint | None:
    key = f"{alias}:{connections[alias].vendor}"
    lookup = _lookups.get(key)
    if lookup is None:
        lookup = _lookups[key] = _Lookup(alias)
    return lookup.run(org, sender_hash, alias)


# Set on a text whose sender's point was touched (`touch_point`) with its own INSERT.
TOUCHED = "point_touched"


def touch_point(inbound: InboundMessage) -> Write:
    """Move the sender's point's ``last_inbound_at`` (never back): the ORM's UPDATE, written
    once instead of built and compiled per text, as a Write (salama.messaging.inbound runs it
    in the statement that stores the text, and sets TOUCHED on it)."""
    table = connection.ops.quote_name(ContactPoint._meta.db_table)
    at = connection.ops.adapt_datetimefield_value(inbound.received_at)
    return Write(
        f"UPDATE {table} SET last_inbound_at = %s WHERE org_id = %s AND kind = %s"  # noqa: S608
        " AND value_hash = %s AND (last_inbound_at IS NULL OR last_inbound_at < %s)",
        [at, inbound.org_id, ContactKind.SMS, inbound.sender_hash, at],
    )


def _point_of(inbound: InboundMessage) -> ContactPoint | None:
    """The sender's contact point with its persons (in pk order) and whether it was asked back,
    its ``last_inbound_at`` moved first (unless the text's own INSERT did). That UPDATE takes
    the point's row lock before the point is read, so texts from one number are handled one
    after another, each seeing what the one before it committed (an ask-back it stored, a
    person it attached)."""
    if not inbound.__dict__.pop(TOUCHED, False):
        write = touch_point(inbound)
        with connection.cursor() as cursor:
            cursor.execute(write.sql, write.params)
    return _find_point(inbound.org, str(inbound.sender_hash))


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
    shared = point.is_shared or len(persons) > 1
    outcome = commands.dispatch(ctx, danger=inbound.has_danger_word, shared=shared) or (
        _shared(ctx) if shared else _own(ctx)
    )
    commands.after(ctx, outcome)
    if outcome.action != "not_understood" and getattr(point, "was_asked_back", True):
        AskedBack.objects.filter(contact_point=point).delete()
    return outcome


# --- Replies ----------------------------------------------------------------------------------


def reply(
    ctx: Context, template: str, context: dict[str, object] | None = None, *, person: Person | None
) -> None:
    if not ctx.replies:
        return
    # The organisation's wording read with the person (_point_of), when it was.
    read = getattr(person, "wording", None) or {}
    queue_message(
        org=ctx.org,
        contact_point=ctx.point,
        template=template,
        context=context or {},
        priority=Priority.NORMAL,
        reason="reply",
        language=person.language if person is not None else None,
        cause_ids={"inbound": ctx.inbound.pk},
        savepoint=False,  # an error rolls the text's whole handling back (messaging.inbound)
        wording=read.get(template, texts.UNREAD) if person is not None else texts.UNREAD,
    )


def ask_back(ctx: Context, reason: str, person: Person | None = None) -> Outcome:
    """Ask back once; a second unclear text within ASK_BACK_MEMORY goes to a coordinator."""
    since = clock.now() - ASK_BACK_MEMORY
    asked = AskedBack.objects.filter(contact_point=ctx.point, asked_at__gte=since).exists()
    if not asked:
        AskedBack.objects.update_or_create(
            contact_point=ctx.point, defaults={"org": ctx.org, "asked_at": clock.now()}
        )
        reply(ctx, "reply_not_understood", person=person)
        return Outcome("not_understood", reason=reason)
    ctx.inbound.state = InboundState.UNMATCHED
    reply(ctx, "reply_to_person", {"time": ctx.inbound.received_at}, person=person)
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
        outcome.alert = hooks.unknown_sender_help(inbound=inbound, point=point)
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
        number = hooks.contact_ignored(
            org=ctx.org, person=person, point=ctx.point, compromised=compromised, checkin=checkin
        )
        return Outcome("ignored", reason=reason, alert=number)
    number = hooks.contact_ignored(
        org=ctx.org, person=person, point=ctx.point, compromised=compromised, checkin=None
    )
    return Outcome("ignored", reason=reason, alert=number)


# --- Shared numbers ---------------------------------------------------------------------------


def _shared(ctx: Context) -> Outcome:
    parsed = ctx.parsed
    by_code = {p.codename.upper(): p for p in ctx.persons}
    named = [by_code[c] for c in parsed.codenames if c in by_code]
    strangers = [c for c in parsed.codenames if c not in by_code]
    first = named[0] if named else None
    danger = parsed.kind == "checkin" and parsed.status in DANGER
    if danger and not named:
        return _unattributed_danger(ctx)
    plain = not parsed.everyone and not parsed.except_codenames and not strangers
    if parsed.kind in ("checkin", "proxy_checkin") and named and (danger or plain):
        status = parsed.status if danger else Status.SAFE
        for person in named:
            _checkin(ctx, person, str(status), parsed.area_id)
        if not danger:
            reply(ctx, "reply_ok", {"time": ctx.inbound.received_at}, person=first)
        return Outcome("checkin", status=str(status), codenames=[p.codename for p in named])
    if parsed.kind == "status" and len(named) == 1 and not strangers:
        return _status(ctx, named[0])
    if parsed.kind == "move" and named and not strangers and parsed.area_id:
        return _move(ctx, named, parsed.area_id)
    if parsed.kind in ("checkin", "proxy_checkin", "status", "move"):
        reply(ctx, "reply_ask_codename", person=first)
        return Outcome("not_understood", reason="ask_codename")
    return ask_back(ctx, parsed.reason or parsed.kind, first)


def _unattributed_danger(ctx: Context) -> Outcome:
    """Help from a shared phone that names nobody: the alert goes out without a person, to the
    coordinators, the leads of every team with a person on the phone and their areas' local
    responders; a second one reuses it."""
    status = str(ctx.parsed.status)
    number = hooks.unattributed_danger(
        inbound=ctx.inbound, status=status, point=ctx.point, persons=ctx.persons,
        replies=ctx.replies,
    )  # fmt: skip
    return Outcome("checkin", status=status, reason="unattributed", alert=number)


# --- One person's number ----------------------------------------------------------------------


def _own(ctx: Context) -> Outcome:
    parsed = ctx.parsed
    person = ctx.persons[0] if ctx.persons else None
    kind = parsed.kind
    if person is None:
        # A coordinator's or liaison's phone with no roster person: only OK <n> acts.
        if kind == "checkin" and parsed.status in DANGER:
            return _unattributed_danger(ctx)
        return ask_back(ctx, parsed.reason or kind)
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
    return ask_back(ctx, parsed.reason or kind, person)


def _checkin(
    ctx: Context, person: Person, status: str, area_id: int | None, key: str = ""
) -> CheckIn:
    area = Area.objects.for_org(ctx.org).filter(pk=area_id).first() if area_id else None
    # Locked here, in the handling's transaction (which any error rolls back whole, the stored
    # text kept): record_checkin needs no savepoint of its own.
    locked = lock_person_by_pk(person.pk, reserve=True)  # compiled once, the id taken too
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
        key=key,
    )


def _keyed_checkin(ctx: Context, person: Person, status: str, area_id: int | None) -> CheckIn:
    """A self check-in with the key the text carried (the field page's pre-filled text): the
    same key and status already came (by the page or the API) is answered with that first
    check-in; another status under the key is still recorded, without it (a text is never
    refused). salama.safety.idempotency."""
    key = ctx.parsed.key or ""
    if not key:
        return _checkin(ctx, person, status, area_id)
    try:
        return _checkin(ctx, person, status, area_id, key)
    except KeyUsed as used:
        if used.same:
            return used.original
        return _checkin(ctx, person, status, area_id)


def _self_checkin(ctx: Context, person: Person, status: str, area_id: int | None) -> Outcome:
    checkin = _keyed_checkin(ctx, person, status, area_id)
    alert = None
    # A check-in raises an alert only in danger, after a decision on the person (as read under
    # the lock) or from a compromised number (alerts' checkin_recorded hook): else none to look up.
    if status in DANGER or checkin.person.decision or ctx.point.state == ContactState.COMPROMISED:
        alert = hooks.checkin_alert(checkin=checkin, person=person, status=status)
    if status not in DANGER or alert is None:
        # Help and injury are answered by the alert ("received 03:11, not yet seen").
        reply(ctx, "reply_ok", {"time": checkin.received_at}, person=person)
    return Outcome(
        "checkin",
        status=status,
        codenames=[person.codename],
        alert=alert,
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
        return ask_back(ctx, "proxy_refused", lead)
    _checkin(ctx, lead, Status.SAFE, parsed.area_id)  # a lead who writes SAFE ALL is safe too
    received: dict[str, object] = {"time": ctx.inbound.received_at}
    if result.help_open:  # never overwritten by a proxy; the codenames are on the page only
        count = len(result.help_open)
        reply(ctx, "reply_proxy_help_open", {**received, "count": count}, person=lead)
    else:
        reply(ctx, "reply_ok", received, person=lead)
    return Outcome(
        "proxy_checkin",
        status=Status.SAFE,
        reason="help_open" if result.help_open else "",
        codenames=[c.person.codename for c in result.checkins],
    )


def _move(ctx: Context, persons: list[Person], area_id: int) -> Outcome:
    area = Area.objects.for_org(ctx.org).get(pk=area_id)
    for person in persons:
        services.move_person(person=person, area=area, via="sms")
    reply(ctx, "reply_ok", {"time": ctx.inbound.received_at}, person=persons[0])
    return Outcome("move", area=area.name_en, codenames=[p.codename for p in persons])


def _status(ctx: Context, person: Person) -> Outcome:
    person.refresh_from_db(fields=["state", "state_at"])
    language = person.language
    word = status_word(person.state, language, ctx.org) if person.state else "-"
    when: object = person.state_at if person.state_at else "-"
    reply(ctx, "reply_status", {"status": word, "time": when}, person=person)
    return Outcome("status", status=person.state or None, codenames=[person.codename])
