"""The organisation's incident settings, each change audited: whether the text command
``ATTACK`` is on (off by default: the word is a risk on the wire), whether the public edition
may name the first-level area, and the organisation's own drafting words."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest

from salama.accounts import audit
from salama.accounts.models import Membership, Organisation
from salama.incidents.consolidation import require_coordinator
from salama.incidents.validation import IncidentError
from salama.incidents.vocabulary import ATTACK_TYPES

COMMAND = "attack"
PUBLISH_AREA = "incidents_publish_area"
DRAFT_WORDS = "incident_words"  # {"add": {phrase: attack type code}}


def _save(org: Organisation, key: str, value: object) -> None:
    locked = Organisation.objects.select_for_update().get(pk=org.pk)
    locked.settings[key] = value
    locked.save(update_fields=["settings"])
    org.settings = locked.settings


@transaction.atomic
def set_attack_command(
    *, org: Organisation, on: bool, by: Membership | None = None, request: HttpRequest | None = None
) -> None:
    if by is not None:
        require_coordinator(by)
    current = [c for c in (org.setting("commands", []) or []) if c != COMMAND]
    _save(org, "commands", [*current, COMMAND] if on else current)
    audit.record("incidents.command", org_id=org.pk, actor_id=by.user_id if by else None,
                 request=request, detail={"command": COMMAND, "on": on})  # fmt: skip


@transaction.atomic
def set_publish_area(
    *, org: Organisation, on: bool, by: Membership | None = None, request: HttpRequest | None = None
) -> None:
    if by is not None:
        require_coordinator(by)
    _save(org, PUBLISH_AREA, bool(on))
    audit.record("incidents.publish_area", org_id=org.pk, actor_id=by.user_id if by else None,
                 request=request, detail={"on": bool(on)})  # fmt: skip


@transaction.atomic
def save_draft_words(
    *, org: Organisation, words: dict[str, str], by: Membership, request: HttpRequest | None = None
) -> None:
    require_coordinator(by)
    for phrase, code in words.items():
        if code not in ATTACK_TYPES or not phrase.strip() or len(phrase) > 60:
            raise IncidentError(f"{phrase}: {code}")
    _save(org, DRAFT_WORDS, {"add": {p.strip(): c for p, c in words.items()}})
    audit.record("incidents.draft_words", org_id=org.pk, actor_id=by.user_id, request=request,
                 detail={"count": len(words)})  # fmt: skip
