"""The points where people lets higher apps act (salama.lib.hooks; docs/architecture.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest

from salama.lib.hooks import Gather
from salama.people.models import Person


@dataclass
class Panel:
    """A card a higher app adds to a person's page: its own template and context."""

    template: str
    context: dict[str, Any] = field(default_factory=dict)
    order: int = 100


def _person_panels(*, request: HttpRequest, person: Person, bound: dict[str, Any]) -> Panel | None:
    raise NotImplementedError


# The cards below the roster facts on a person's page (messaging: the personal code). `bound`
# holds a form the page is re-shown with after a mistake, keyed by the form's name.
person_panels = Gather("people.person_panels", _person_panels)
