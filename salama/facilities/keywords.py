"""The organisation's words for the facility text command: renamed, extended or trimmed on a
page, stored in ``Organisation.settings["facility_keywords"]`` in the shape of the protocol's
keywords (``{"add": {word: meaning}, "remove": [word], "rename": {old: new}}``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from salama.accounts import audit
from salama.accounts.models import Organisation
from salama.facilities.services import FacilityError
from salama.facilities.textparse import MEANINGS, Words
from salama.lib.textnorm import normalize

SETTING = "facility_keywords"


def changes_of(org: Organisation) -> dict[str, Any]:
    stored = org.setting(SETTING) or {}
    return {
        "add": dict(stored.get("add", {})),
        "remove": list(stored.get("remove", [])),
        "rename": dict(stored.get("rename", {})),
    }


def check_changes(
    *, add: Mapping[str, str], remove: Iterable[str], rename: Mapping[str, str]
) -> Words:
    """The words the changes give, or a translated FacilityError naming the bad word."""
    default = Words.build()
    for word, meaning in add.items():
        if meaning not in MEANINGS:
            raise FacilityError(_("Unknown meaning for %(word)s."), params={"word": word})
    for word in [*add, *rename.values()]:
        if not normalize(word) or " " in normalize(word) or normalize(word).isdigit():
            raise FacilityError(
                _("A word must be one word with letters in it: %(word)s"), params={"word": word}
            )
    for old in rename:
        if normalize(old) not in default.table:
            raise FacilityError(_("There is no word %(word)s to rename."), params={"word": old})
    return Words.build({"add": dict(add), "remove": list(remove), "rename": dict(rename)})


@transaction.atomic
def save_keywords(
    *,
    org: Organisation,
    add: Mapping[str, str],
    remove: Iterable[str],
    rename: Mapping[str, str],
    request: HttpRequest | None = None,
) -> Words:
    """Store the organisation's facility words (checked first), audited; the next text uses
    them in every process (the cache is keyed by the stored changes)."""
    remove = [w.strip() for w in remove if w.strip()]
    words = check_changes(add=add, remove=remove, rename=rename)
    locked = Organisation.objects.select_for_update().get(pk=org.pk)
    locked.settings[SETTING] = {"add": dict(add), "remove": remove, "rename": dict(rename)}
    locked.save(update_fields=["settings"])
    org.settings = locked.settings
    audit.record(
        "facilities.keywords", org_id=org.pk, request=request,
        detail={"added": len(add), "removed": len(remove), "renamed": len(rename)},
    )  # fmt: skip
    return words


def parse_pairs(text: str) -> dict[str, str]:
    """``word = value`` per line (the page's text areas)."""
    pairs = {}
    for line in text.splitlines():
        if "=" in line:
            left, _sep, right = line.partition("=")
            if left.strip() and right.strip():
                pairs[left.strip()] = right.strip()
    return pairs
