"""The personal code card on a person's page (people.hooks.person_panels) and the form behind it.
``NEW <codename> <code>`` from a new number attaches that number with the code (docs/enrolment.md).
"""

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from salama.accounts.access import COORDINATING, require_recent_second_factor, roles
from salama.messaging import services
from salama.messaging.models import PersonalCode
from salama.people.forms import PersonalCodeForm
from salama.people.hooks import Panel
from salama.people.models import Person
from salama.people.views import person_of, person_page


def personal_code_panel(*, request: HttpRequest, person: Person, bound: dict[str, Any]) -> Panel:
    """Whether a personal code is set, and since when: never the code (only a hash is kept)."""
    set_at = (
        PersonalCode.objects.for_org(person.org_id)
        .filter(person=person)
        .values_list("created_at", flat=True)
        .first()
    )
    form = bound.get("personal_code") or PersonalCodeForm()
    return Panel(
        "messaging/_personal_code_panel.html", {"code_set_at": set_at, "form": form}, order=50
    )


@roles(*COORDINATING)
@require_POST
@require_recent_second_factor
def personal_code(request: HttpRequest, person_id: int) -> HttpResponse:
    """Set or replace the person's personal code. Whoever knows a code can take over the
    person's texts, so like a reveal it asks for a recent second factor. The code is never shown
    back, not even after a mistake."""
    person = person_of(request, person_id)
    form = PersonalCodeForm(request.POST)
    if form.is_valid():
        try:
            services.set_personal_code(
                person=person,
                code=form.cleaned_data["code"],
                by=request.membership,  # type: ignore[attr-defined]
                request=request,
            )
        except ValidationError as error:
            form.add_error("code", error)
        else:
            messages.success(
                request,
                _("%(codename)s's personal code is set: tell it to them in person or by voice.")
                % {"codename": person.codename},
            )
            return redirect("people:person", person_id=person.pk)
    return person_page(request, person, bound={"personal_code": form}, status=400)
