"""E2 demo: the negotiation picture — two parties (one known to screen evacuees), a history of a
dozen interactions over three months with one broken promise and a next step falling due, a
notice for the planned movement approved by two coordinators and exported (naming one person
who consented), and a second notice awaiting its second approval whose named person then
withdrew their consent. Idempotent: nothing is added once the organisation has a party. All
fictional."""

from datetime import timedelta

from salama.accounts.models import Membership, Organisation, Role
from salama.evacuation.models import Movement
from salama.lib import clock
from salama.negotiations import services
from salama.negotiations.models import Party
from salama.people.models import Person

# days ago, party (0 agency, 1 command), channel, asked, promised, outcome, next step (days due)
HISTORY: list[tuple[int, int, str, str, str, str, str, int | None]] = [
    (
        88,
        0,
        "meeting",
        "A way out for the team's injured",
        "We will raise it with all sides",
        "information",
        "",
        None,
    ),
    (
        80,
        1,
        "phone",
        "Safe passage for two ambulances",
        "No answer before the committee meets",
        "no_answer",
        "Call again after the committee",
        None,
    ),
    (72, 0, "email", "Deconfliction of the clinic", "The clinic is on our list", "kept", "", None),
    (
        64,
        1,
        "meeting",
        "A corridor on Tuesday morning",
        "We guarantee the corridor on Tuesday",
        "broken",
        "",
        None,
    ),
    (
        60,
        0,
        "phone",
        "What happened on Tuesday",
        "We are asking why the corridor closed",
        "information",
        "",
        None,
    ),
    (51, 1, "message", "A new date for the corridor", "Not this month", "refused", "", None),
    (
        43,
        0,
        "meeting",
        "A convoy with the Red Crescent",
        "We will co-sign the notification",
        "kept",
        "",
        None,
    ),
    (
        35,
        1,
        "phone",
        "Screening at the checkpoint",
        "Only men between 16 and 60 are screened",
        "information",
        "",
        None,
    ),
    (
        26,
        0,
        "platform",
        "Notification of the planned movement",
        "Received; it will be passed on",
        "open",
        "Confirm it reached the command",
        10,
    ),
    (
        18,
        1,
        "phone",
        "Acknowledgement of the notice",
        "We will answer within a week",
        "open",
        "Ask for the written answer",
        6,
    ),
    (
        9,
        0,
        "meeting",
        "Seats for the dialysis patients",
        "Two places on the next convoy",
        "open",
        "Send the counts",
        3,
    ),
    (
        2,
        1,
        "phone",
        "The time window of the movement",
        "The window is being reviewed",
        "open",
        "Call back for the decision",
        -1,
    ),
]


def load() -> None:
    org = Organisation.objects.filter(slug="demo").first()
    if org is None or Party.objects.for_org(org).exists():
        return
    coordinators = list(
        Membership.objects.filter(org=org, role=Role.COORDINATOR, is_active=True).order_by("pk")
    )
    liaison = Membership.objects.filter(org=org, role=Role.LIAISON).order_by("pk").first()
    if len(coordinators) < 2 or liaison is None:
        return
    first, second = coordinators[:2]
    agency = services.save_party(
        org=org,
        name="UN coordination office (fictional)",
        name_ar="مكتب التنسيق الأممي (متخيَّل)",
        kind="un_agency",
        contacts="Duty officer, +000 0000 0001 (fictional)",
        by=first,
    )
    command = services.save_party(
        org=org,
        name="Northern checkpoint command (fictional)",
        name_ar="قيادة الحاجز الشمالي (متخيَّلة)",
        kind="armed_group",
        contacts="Liaison officer via the agency (fictional)",
        screens_evacuees=True,
        by=first,
    )
    movement = Movement.objects.for_org(org).order_by("pk").first()
    now = clock.now()
    for days, who, channel, asked, promised, outcome, step, due in HISTORY:
        services.log_interaction(
            party=(agency, command)[who],
            data=services.InteractionInput(
                at=now - timedelta(days=days),
                channel=channel,
                participants="Liaison, duty officer",
                asked=asked,
                promised=promised,
                outcome=outcome,
                next_step=step,
                next_due=(now - timedelta(days=days) + timedelta(days=due)).date()
                if due is not None
                else None,
                movements=[movement] if movement is not None and days < 30 else [],
            ),
            by=liaison,
        )
    if movement is None:
        return
    people = list(
        Person.objects.for_org(org).filter(evac_requests__seat_rows__movement=movement).distinct()
    )
    _packages(movement, agency, command, people, first, second, liaison)


def _packages(
    movement: Movement,
    agency: Party,
    command: Party,
    people: list[Person],
    first: Membership,
    second: Membership,
    liaison: Membership,
) -> None:
    told = "The notice, the recipient, the destination and that screening may follow"
    # To the agency: counts only, then one consenting person's role added; two approvals; out.
    version = services.create_package(
        movement=movement, party=agency, data=services.draft_from(movement), by=first
    )
    if people:
        data = services.input_of(version)
        data.named = [services.Named(people[0], ("role",))]
        version = services.revise(package=version.package, data=data, by=first)
        services.record_consent(
            person=people[0],
            version=version,
            decision="yes",
            told=told,
            how="in_person",
            by=liaison,
        )
    services.approve(version=version, by=first)
    services.approve(version=version, by=second)
    services.export(version=version, by=liaison, kind="json")
    services.record_submission(
        version=version,
        by=liaison,
        acknowledged=True,
        acknowledged_by="Duty officer",
        acknowledged_how="platform",
        response="Received and passed on.",
    )
    # To the command: one person named, consent given, one approval, then consent withdrawn.
    data = services.draft_from(movement)
    pending = services.create_package(movement=movement, party=command, data=data, by=first)
    if len(people) > 1:
        data.named = [services.Named(people[1], ("name",))]
        pending = services.revise(package=pending.package, data=data, by=first)
        services.record_consent(
            person=people[1], version=pending, decision="yes", told=told, how="phone", by=liaison
        )
    services.approve(version=pending, by=first)
    if len(people) > 1:
        services.record_consent(
            person=people[1],
            version=pending,
            decision="withdrawn",
            told="",
            how="phone",
            by=liaison,
        )
