"""Who to tell about a person: the leads and deputies of their team, whether they lead it, the
organisation's coordinators, and when the coordinators are told as well (or instead).
"""

from salama.accounts.models import Membership, Organisation, Role
from salama.people.models import Person, TeamLead

# --- Who to tell ------------------------------------------------------------------------------


def leads_for(person: Person) -> list[Person]:
    """ "Tell the lead": every lead and deputy of the person's team, leads first, without the
    person themselves. Empty when the person has no team or the team has no other lead."""
    if person.team_id is None:
        return []
    links = (
        TeamLead.objects.for_org(person.org_id)
        .filter(team_id=person.team_id, person__is_active=True)
        .exclude(person_id=person.pk)
        .select_related("person")
        .order_by("is_deputy", "person__codename")
    )
    return [link.person for link in links]


def is_lead(person: Person) -> bool:
    """Whether the person is a lead (not only a deputy) of their own team."""
    return (
        person.team_id is not None
        and TeamLead.objects.for_org(person.org_id)
        .filter(team_id=person.team_id, person_id=person.pk, is_deputy=False)
        .exists()
    )


def coordinators(org: Organisation | int) -> list[Membership]:
    """The organisation's active coordinators; its org admins when it has no coordinator."""
    active = Membership.objects.for_org(org).filter(is_active=True).order_by("pk")
    found = list(active.filter(role=Role.COORDINATOR))
    return found or list(active.filter(role=Role.ORG_ADMIN))


def coordinators_to_tell(person: Person) -> list[Membership]:
    """The fallback of "tell the lead". Returns the coordinators (see `coordinators`) when

    - the person has no team, or their team has no lead or deputy other than them, or
    - the person is a lead (not only a deputy) of their team: the coordinators are told as
      well as any co-leads and deputies from `leads_for`;

    and an empty list otherwise (the leads from `leads_for` are enough). F4 routes a team
    message to `leads_for(person)` plus `coordinators_to_tell(person)`."""
    if not leads_for(person) or is_lead(person):
        return coordinators(person.org_id)
    return []
