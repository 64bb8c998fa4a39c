"""Demo roll call: one closed safety roll call to the first team, with answers (most safe, one
needing help, some silent), so the roll-call pages have something to show. Idempotent: nothing
is done when the organisation has a roll call already."""

from datetime import timedelta

from django.db import transaction

from salama.accounts.models import Membership, Organisation
from salama.lib import clock
from salama.messaging.models import Delivery, DeliveryState
from salama.people.models import Person
from salama.rollcalls import services
from salama.rollcalls.models import RollCall, RollCallRecipient


@transaction.atomic
def load() -> None:
    org = Organisation.objects.filter(slug="demo").first()
    if org is None or RollCall.objects.for_org(org).exists():
        return
    person = Person.objects.for_org(org).filter(team__isnull=False, is_active=True).first()
    if person is None:
        return
    opener = Membership.objects.for_org(org).filter(user__username="coordinator").first()
    roll_call = services.open_roll_call(
        org=org,
        question="Are you well?",
        target=services.Target(teams=(person.team_id,)),  # type: ignore[arg-type]
        deadline_at=clock.now() + timedelta(minutes=60),
        opened_by=opener,  # a team's roll call: under no event (it must not take the board over)
    )
    # The demo has no gateway: the texts count as handed to the network now.
    now = clock.now()
    Delivery.objects.for_org(org).filter(
        message__reason=f"rollcall:{roll_call.number}", state=DeliveryState.QUEUED
    ).update(state=DeliveryState.SENT, handed_off_at=now, handoffs=1, attempts=1, updated_at=now)
    rows = list(
        RollCallRecipient.objects.for_org(org)
        .filter(roll_call=roll_call, withheld="")
        .select_related("roll_call", "person")
        .order_by("pk")
    )
    for index, row in enumerate(rows):
        if index % 4 == 3:
            continue  # silent
        option = 2 if index == 1 else 1
        services.credit_answer(recipient=row, option=option, via="sms", timed=True)
    services.close_roll_call(roll_call=roll_call, by=opener)
