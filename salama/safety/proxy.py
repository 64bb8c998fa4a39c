"""Proxy and relayed check-ins: a lead checks in for named people or the whole team (never
overwriting an open call for help with a SAFE), and a coordinator records news relayed by a
call, a voice note or a third party, typed as keyboard lines (salama.safety.relay parses them).
All or nothing; every check-in goes through salama.safety.checkins.record_checkin."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models.functions import Upper
from django.utils.translation import gettext as _

from salama.accounts.access import COORDINATING
from salama.accounts.models import Membership, Organisation
from salama.people.models import Basis, Person, Status, TeamLead
from salama.safety import hooks
from salama.safety.checkins import record_checkin
from salama.safety.models import Channel, CheckIn
from salama.safety.relay import heard_at_from, parse_relayed_entry

# --- Proxy and relayed check-ins --------------------------------------------------------------


class EntryError(ValidationError):
    pass


@dataclass
class ProxyResult:
    checkins: list[CheckIn]
    skipped: list[str]  # everyone's codenames left out by "except"
    help_open: list[str] = field(default_factory=list)  # left out: their call for help is open


def lead_teams(lead: Person) -> list[int]:
    return list(TeamLead.objects.filter(person=lead).values_list("team_id", flat=True))


def _codes(names: Iterable[str]) -> list[str]:
    return [n.strip().upper() for n in names if n and n.strip()]


@transaction.atomic
def record_proxy_checkins(
    *,
    lead: Person | Membership,
    codenames: Iterable[str] | None,
    except_codenames: Iterable[str] = (),
    status: str = Status.SAFE,
    channel: str = Channel.PROXY,
    basis: str = Basis.PROXY_SEEN,
    note: str = "",
    recorded_by: Membership | None = None,
    clear_help: Iterable[str] = (),
) -> ProxyResult:
    """A lead checks in for named people (codenames) or the whole team (codenames=None) except
    some, within their own teams only. All or nothing: one codename outside the lead's teams
    and nothing is recorded.

    A SAFE leaves out anyone whose call for help is open (in ``help_open``): a lead's SAFE ALL
    never overwrites it. ``clear_help``: the codenames the lead, on the page, said they saw
    safe themselves; with the proxy-seen basis those are recorded and clear the call."""
    if isinstance(lead, Membership):
        recorded_by = recorded_by or lead
        lead_person = Person.objects.filter(membership=lead).first()
        if lead_person is None:
            raise EntryError(_("Your account is not linked to a person on the roster."))
    else:
        lead_person = lead
    if basis not in (Basis.PROXY_SEEN, Basis.PROXY_HEARD):
        raise EntryError(_("Unknown basis."))
    teams = lead_teams(lead_person)
    if not teams:
        raise EntryError(_("You do not lead a team."))
    team_people = Person.objects.filter(org_id=lead_person.org_id, team_id__in=teams)
    team_people = team_people.filter(is_active=True).exclude(pk=lead_person.pk)
    excluded = set(_codes(except_codenames))
    if codenames is None:
        targets = [
            p for p in team_people.order_by("codename") if p.codename.upper() not in excluded
        ]
        skipped = sorted(excluded)
    else:
        wanted = _codes(codenames)
        if not wanted:
            raise EntryError(_("Name at least one codename, or choose everyone."))
        by_code = {p.codename.upper(): p for p in team_people}
        outside = [c for c in wanted if c not in by_code]
        if outside:
            raise EntryError(
                _("Not in your teams: %(codes)s. Nothing was recorded.")
                % {"codes": " ".join(outside)}
            )
        targets = [by_code[c] for c in dict.fromkeys(wanted) if c not in excluded]
        skipped = []
    confirmed = set(_codes(clear_help)) if basis == Basis.PROXY_SEEN else set()
    help_open = [
        p.codename
        for p in targets
        if status == Status.SAFE and p.codename.upper() not in confirmed and has_open_call(p)
    ]
    checkins = [
        record_checkin(
            person=p,
            status=status,
            basis=basis,
            channel=channel,
            note=note,
            recorded_by=recorded_by,
            clears_help=p.codename.upper() in confirmed,
        )
        for p in targets
        if p.codename not in help_open
    ]
    return ProxyResult(checkins=checkins, skipped=skipped, help_open=help_open)


def has_open_call(person: Person) -> bool:
    """The person is in danger by their latest state and their call for help is open."""
    in_danger = person.state in (Status.NEED_HELP, Status.INJURED)
    return in_danger and hooks.open_call_for_help(person) is not None


@transaction.atomic
def record_relayed(
    *,
    org: Organisation,
    codenames: Iterable[str],
    status: str,
    source: str,
    heard_at: datetime | None,
    recorded_by: Membership | None,
    note: str = "",
) -> list[CheckIn]:
    """News relayed to a coordinator (a call, a voice note, a third party) about one or
    more persons. Basis relayed: it updates the reported state but not heard-from. The time
    heard is the device time of the rules (a relay of old news does not look fresh). Only a
    coordinator or org admin relays (a lead records proxy check-ins for their own team)."""
    if recorded_by is not None and recorded_by.role not in COORDINATING:
        raise PermissionDenied
    wanted = _codes(codenames)
    if not wanted:
        raise EntryError(_("Name at least one codename."))
    found = Person.objects.for_org(org).annotate(code=Upper("codename")).filter(code__in=wanted)
    people = {p.codename.upper(): p for p in found}
    missing = [c for c in wanted if c not in people]
    if missing:
        raise EntryError(
            _("Unknown codenames: %(codes)s. Nothing was recorded.") % {"codes": " ".join(missing)}
        )
    return [
        record_checkin(
            person=people[c],
            status=status,
            basis=Basis.RELAYED,
            channel=Channel.RELAYED,
            device_at=heard_at,
            heard_at=heard_at,
            source=source,
            note=note,
            recorded_by=recorded_by,
        )
        for c in dict.fromkeys(wanted)
    ]


def record_relayed_entry(
    *, org: Organisation, text: str, recorded_by: Membership | None, note: str = ""
) -> list[CheckIn]:
    """Parse the keyboard form (salama.safety.relay) and record it."""
    entry = parse_relayed_entry(text)
    return record_relayed(
        org=org,
        codenames=entry.codenames,
        status=entry.status,
        source=entry.source,
        heard_at=heard_at_from(entry.heard_time, org.time_zone),
        recorded_by=recorded_by,
        note=note,
    )


@transaction.atomic
def record_relayed_lines(
    *, org: Organisation, lines: Iterable[str], recorded_by: Membership | None, note: str = ""
) -> list[CheckIn]:
    """Several keyboard lines at once: every line or none. Every bad line is reported (each
    line is tried in its own savepoint), so a coordinator fixes them all in one go."""
    recorded: list[CheckIn] = []
    problems: list[str] = []
    for number, line in enumerate(lines, start=1):
        try:
            with transaction.atomic():
                recorded += record_relayed_entry(
                    org=org, text=line, recorded_by=recorded_by, note=note
                )
        except ValidationError as exc:
            problems.append(
                _("Line %(n)d: %(error)s") % {"n": number, "error": " ".join(exc.messages)}
            )
    if problems:
        raise EntryError(problems)  # the outer transaction rolls back the good lines too
    return recorded
