"""Demo duty rota and alerts: the coordinator is on duty now (in their own time zone), the
second coordinator takes over next; quiet hours for the second coordinator; and, if the history
step left none, an open life-safety alert. Runs after the history step; idempotent."""

from datetime import time, timedelta

from django.db import transaction

from salama.accounts.models import Membership, Organisation
from salama.alerts import rota
from salama.alerts.models import Alert, Shift
from salama.alerts.services import raise_life_safety
from salama.lib import clock
from salama.people.models import Person


@transaction.atomic
def load() -> None:
    org = Organisation.objects.filter(slug="demo").first()
    if org is None:
        return
    members = {
        m.user.username: m
        for m in Membership.objects.for_org(org).filter(
            user__username__in=["coordinator", "coordinator2"]
        )
    }
    if len(members) < 2 or Shift.objects.for_org(org).exists():
        return
    first, second = members["coordinator"], members["coordinator2"]
    rota.set_duty_profile(
        membership=first, time_zone="Europe/London", quiet_from=None, quiet_until=None
    )
    rota.set_duty_profile(
        membership=second,
        time_zone="Asia/Damascus",
        quiet_from=time(23, 0),
        quiet_until=time(6, 0),
    )
    now = clock.now().replace(minute=0, second=0, microsecond=0)
    for membership, starts, hours in (
        (first, now - timedelta(hours=2), 10),
        (second, now + timedelta(hours=8), 12),
    ):
        if not rota.has_active_phone(membership):
            continue
        Shift.objects.create(
            org=org,
            membership=membership,
            starts_at=starts,
            ends_at=starts + timedelta(hours=hours),
            time_zone=rota.zone_for(membership),
            created_by=first,
        )
    if Alert.objects.for_org(org).exists():
        return
    person = Person.objects.for_org(org).filter(is_active=True, decision="").order_by("codename")
    for candidate in person[:2]:
        raise_life_safety(org=org, kind="injured", person=candidate)
