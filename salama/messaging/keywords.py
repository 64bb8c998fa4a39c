"""An organisation's keywords: the default vocabulary renamed, extended or trimmed on a settings
page, so deployments do not share one public vocabulary (DESIGN §8).

Stored in ``Organisation.settings["keywords"]`` as ``{"add": {word: intent}, "remove": [word],
"rename": {old: new}}``. Building a Vocabulary costs about 12 ms, so it is cached per process,
keyed by the organisation and the stored changes themselves: a change saved by another process
is seen at once, with no version to keep in step.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from salama.accounts import audit
from salama.accounts.models import Organisation
from salama.messaging.parser import AreaChoice, Vocabulary
from salama.messaging.vocabulary import Intent
from salama.people.models import Area

SETTING = "keywords"


def changes_of(org: Organisation) -> dict[str, Any]:
    stored = org.setting(SETTING) or {}
    return {
        "add": dict(stored.get("add", {})),
        "remove": list(stored.get("remove", [])),
        "rename": dict(stored.get("rename", {})),
    }


@lru_cache(maxsize=256)
def _build(org_id: int, changes_json: str) -> Vocabulary:
    changes = json.loads(changes_json)
    return Vocabulary.default().with_changes(
        add=changes["add"], remove=changes["remove"], rename=changes["rename"]
    )


def vocabulary_for(org: Organisation) -> Vocabulary:
    """The organisation's vocabulary (cached). Stored changes that no longer apply (a renamed
    word since removed) fall back to the default rather than failing a field text."""
    changes = changes_of(org)
    try:
        return _build(org.pk, json.dumps(changes, sort_keys=True, ensure_ascii=False))
    except (KeyError, ValueError):
        return _build(0, json.dumps(changes_of(Organisation()), sort_keys=True))


def areas_for(org: Organisation) -> list[AreaChoice]:
    """The organisation's areas as the parser matches them: names in both scripts and aliases."""
    return [
        AreaChoice(a.pk, tuple(n for n in (a.name_en, a.name_ar, *a.alias_list()) if n))
        for a in Area.objects.for_org(org).only("pk", "name_en", "name_ar", "aliases")
    ]


def check_changes(
    *, add: Mapping[str, str], remove: Iterable[str], rename: Mapping[str, str]
) -> Vocabulary:
    """The vocabulary the changes give, or a translated ValidationError naming the bad word."""
    for word, intent in add.items():
        if intent not in Intent.__members__.values():
            raise ValidationError(_("Unknown meaning for %(word)s."), params={"word": word})
    try:
        return Vocabulary.default().with_changes(add=add, remove=list(remove), rename=rename)
    except KeyError as exc:
        raise ValidationError(
            _("There is no keyword %(word)s to rename."), params={"word": exc.args[0]}
        ) from None
    except ValueError:
        raise ValidationError(
            _("A keyword must have letters in it, and cannot be only digits or start with -.")
        ) from None


@transaction.atomic
def save_keywords(
    *,
    org: Organisation,
    add: Mapping[str, str],
    remove: Iterable[str],
    rename: Mapping[str, str],
    actor_id: int | None = None,
    request: HttpRequest | None = None,
) -> Vocabulary:
    """Store the organisation's keyword changes (validated first), audited. Takes effect for
    the next text received, in every process."""
    remove = [w.strip() for w in remove if w.strip()]
    vocabulary = check_changes(add=add, remove=remove, rename=rename)
    locked = Organisation.objects.select_for_update().get(pk=org.pk)
    locked.settings[SETTING] = {"add": dict(add), "remove": remove, "rename": dict(rename)}
    locked.save(update_fields=["settings"])
    org.settings = locked.settings
    audit.record(
        "messaging.keywords",
        org_id=org.pk,
        actor_id=actor_id,
        request=request,
        detail={"added": len(add), "removed": len(remove), "renamed": len(rename)},
    )
    return vocabulary
