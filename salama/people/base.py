"""The roster's shared check: ``_same_org``, refusing an object of another organisation. The
roster's service modules (contact points, persons, teams, areas and facilities, local
responders) all use it, and this module imports none of them.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from salama.accounts.models import Organisation


def _same_org(org: Organisation, obj: Any) -> None:
    if obj is not None and obj.org_id != org.pk:
        raise ValidationError(_("That belongs to another organisation."), code="other_org")
