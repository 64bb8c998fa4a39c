"""Services for the duty rota, each person's time zone and quiet hours, and acknowledging a
person's silence. (Kept apart from salama.alerts.services, which routes and escalates.)"""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, available_timezones

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from salama.accounts import audit
from salama.accounts.access import COORDINATING
from salama.accounts.models import Membership, Organisation, Role
from salama.alerts.models import DutyProfile, Shift, SilenceAck
from salama.lib import clock
from salama.people.models import ContactKind, ContactPoint, ContactState, Person, TeamLead

MAX_SHIFT = timedelta(hours=24)
MAX_SILENCE = timedelta(days=7)


def check_zone(name: str) -> ZoneInfo:
    if name not in available_timezones():
        raise ValidationError(_("Unknown time zone: %(zone)s") % {"zone": name})
    return ZoneInfo(name)


def zone_for(membership: Membership) -> str:
    """The membership's own time zone (their duty profile), else the organisation's."""
    profile = DutyProfile.objects.filter(membership=membership).first()
    return profile.time_zone if profile and profile.time_zone else membership.org.time_zone


def has_active_phone(membership: Membership) -> bool:
    return ContactPoint.objects.filter(
        membership=membership, kind=ContactKind.SMS, state=ContactState.ACTIVE
    ).exists()


def aware(local: datetime, zone: ZoneInfo) -> datetime:
    return local.replace(tzinfo=zone) if local.tzinfo is None else local.astimezone(zone)


@transaction.atomic
def add_shift(
    *,
    org: Organisation,
    membership: Membership,
    starts: datetime,
    ends: datetime,
    time_zone: str,
    by: Membership | None,
    request: HttpRequest | None = None,
) -> Shift:
    """A coordinator on duty from `starts` to `ends`, wall-clock times in `time_zone` (their
    own). Only for an active coordinator or org admin with an active SMS number: a life-safety
    alert must be able to wake them."""
    zone = check_zone(time_zone)
    if membership.org_id != org.pk or not membership.is_active:
        raise ValidationError(_("Unknown coordinator."))
    if membership.role not in COORDINATING:
        raise ValidationError(_("Only coordinators and organisation admins take duty shifts."))
    if not has_active_phone(membership):
        raise ValidationError(
            _(
                "This coordinator has no active SMS number, so an alert could not wake them. "
                "Add one to their account before giving them a shift."
            )
        )
    starts_at, ends_at = aware(starts, zone), aware(ends, zone)
    if ends_at <= starts_at:
        raise ValidationError(_("A shift must end after it starts."))
    if ends_at - starts_at > MAX_SHIFT:
        raise ValidationError(_("A shift can last at most 24 hours."))
    if ends_at <= clock.now():
        raise ValidationError(_("This shift is already over."))
    shift = Shift.objects.create(
        org=org,
        membership=membership,
        starts_at=starts_at,
        ends_at=ends_at,
        time_zone=time_zone,
        created_by=by,
    )
    audit.record(
        "shift.add",
        org_id=org.pk,
        actor_id=by.user_id if by else None,
        obj=shift,
        request=request,
        detail={"membership": membership.pk},
    )
    return shift


@transaction.atomic
def remove_shift(
    *, shift: Shift, by: Membership | None, request: HttpRequest | None = None
) -> None:
    audit.record(
        "shift.remove",
        org_id=shift.org_id,
        actor_id=by.user_id if by else None,
        obj=shift,
        request=request,
        detail={"membership": shift.membership_id},
    )
    shift.delete()


@transaction.atomic
def set_duty_profile(
    *,
    membership: Membership,
    time_zone: str,
    quiet_from: time | None,
    quiet_until: time | None,
) -> DutyProfile:
    """A membership's own time zone and quiet hours (both or neither)."""
    if time_zone:
        check_zone(time_zone)
    if (quiet_from is None) != (quiet_until is None):
        raise ValidationError(_("Give both ends of the quiet hours, or neither."))
    profile, _created = DutyProfile.objects.update_or_create(
        membership=membership,
        defaults={
            "org_id": membership.org_id,
            "time_zone": time_zone,
            "quiet_from": quiet_from,
            "quiet_until": quiet_until,
        },
    )
    return profile


def may_vouch(membership: Membership, person: Person) -> bool:
    """Coordinators for anyone; a field lead for the people of the teams they lead."""
    if membership.org_id != person.org_id:
        return False
    if membership.role in COORDINATING:
        return True
    if membership.role != Role.FIELD_LEAD or person.team_id is None:
        return False
    return TeamLead.objects.filter(
        team_id=person.team_id, person__membership=membership, person__decision=""
    ).exists()


@transaction.atomic
def acknowledge_silence(
    *,
    person: Person,
    by: Membership,
    reason: str,
    until: datetime,
    request: HttpRequest | None = None,
) -> SilenceAck:
    """ "In surgery until 18:00": no reminder nor digest counts this person's silence until
    `until` (at most a week ahead). The reason is kept encrypted."""
    if not may_vouch(by, person):
        raise ValidationError(_("You can acknowledge the silence of your own team's people only."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Give a reason."))
    now = clock.now()
    if until <= now:
        raise ValidationError(_("The end must be in the future."))
    if until > now + MAX_SILENCE:
        raise ValidationError(_("A silence can be acknowledged for a week at most."))
    ack = SilenceAck.objects.create(
        org_id=person.org_id, person=person, by=by, reason=reason[:500], expires_at=until
    )
    audit.record(
        "silence.acknowledge",
        org_id=person.org_id,
        actor_id=by.user_id,
        obj=ack,
        request=request,
        detail={"person": person.pk},
    )
    return ack
