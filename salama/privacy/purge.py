"""Emergency purge of one organisation.

The order is the protocol:

1. Destroy the organisation's keys in the keyring (salama.lib.keyring.destroy_org). From this
   moment every ciphertext of the organisation, in this database and in every old backup or
   copy of it, is unreadable; an interrupted purge leaves nothing readable behind.
2. Delete every row that belongs to the organisation (every model with a foreign key to it:
   persons, contact points, check-ins, decisions, inbound and outbound messages, alerts,
   memberships, API tokens, events and roll calls with their labels and questions, ...), end
   every session in it, blank its encrypted credentials and its settings, replace its name and
   short name by ``purged-<id>``, and mark it inactive. Its members' logins that belong to no
   other organisation are disabled and their names and e-mail addresses erased.
3. The audit rows stay (they hold ids and actions only), with one more: "org.purged" and the
   counts. The evidence ledger stays too (entries, tree, checkpoints hold the organisation as a
   plain number, not a foreign key): its per-record keys, disclosures and attachments go in
   step 2, each record is marked "payload destroyed", and the ledger still verifies.

What it cannot reach is listed in docs/operations.md ("Emergency purge").
"""

from typing import Any

from django.apps import apps
from django.db import models, transaction
from django.db.models.deletion import ProtectedError, RestrictedError
from django.http import HttpRequest

from salama.accounts import audit
from salama.accounts.models import Membership, Organisation, User, UserSession
from salama.evidence import services as evidence
from salama.lib import clock, keyring


def org_foreign_keys() -> list[tuple[type[models.Model], str]]:
    """Every (model, field) with a foreign key to Organisation."""
    found = []
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if field.is_relation and field.related_model is Organisation:
                found.append((model, field.name))
    return found


def _delete_rows(org: Organisation) -> dict[str, int]:
    """Delete every row of every model that points at `org`. Models protected by others are
    retried after those are gone."""
    counts: dict[str, int] = {}
    pending = org_foreign_keys()
    for _round in range(len(pending) + 1):
        left = []
        for model, name in pending:
            try:
                with transaction.atomic():
                    _total, by_model = model._base_manager.filter(**{name: org}).delete()
            except (ProtectedError, RestrictedError):
                left.append((model, name))
                continue
            for label, n in by_model.items():
                counts[label] = counts.get(label, 0) + n
        if not left:
            break
        pending = left
    else:  # pragma: no cover - a cycle of protected rows
        raise RuntimeError(f"rows left that cannot be deleted: {[m for m, _ in pending]}")
    return {label: n for label, n in counts.items() if n}


def _scrub_users(user_ids: set[int]) -> int:
    """Disable the logins that belonged only to this organisation; erase their names."""
    elsewhere = set(
        Membership.objects.filter(user_id__in=user_ids).values_list("user_id", flat=True)
    )
    lonely = [u for u in user_ids if u not in elsewhere]
    for user in User.objects.filter(pk__in=lonely, is_superuser=False):
        user.username = f"purged-{user.pk}"
        user.first_name = user.last_name = user.email = ""
        user.is_active = False
        user.set_unusable_password()
        user.save()
    return len(lonely)


def purge_org(
    *, org: Organisation, actor_id: int | None = None, request: HttpRequest | None = None
) -> dict[str, Any]:
    """Destroy the organisation's keys, then its data (see the module docstring). Returns the
    counts. Safe to run again on an organisation already purged (by its new short name)."""
    keyring.destroy_org(org.pk)
    audit.record("org.keys_destroyed", org_id=org.pk, actor_id=actor_id, request=request)
    with transaction.atomic():
        member_ids = set(Membership.objects.filter(org=org).values_list("user_id", flat=True))
        sessions, _kinds = UserSession.objects.filter(org_id=org.pk).delete()
        counts = _delete_rows(org)
        counts["evidence.shredded_records"] = evidence.mark_org_shredded(org_id=org.pk)
        users = _scrub_users(member_ids)
        sessions += UserSession.objects.filter(
            user_id__in=member_ids, user__is_active=False
        ).delete()[0]
        org.credentials = ""
        org.settings = {"purged_at": clock.now().isoformat()}
        org.is_active = False
        # Its name and short name say who it was: the row keeps neither.
        org.name = org.slug = f"purged-{org.pk}"
        org.save(update_fields=["credentials", "settings", "is_active", "name", "slug"])
        detail = {"rows": counts, "sessions": sessions, "users_disabled": users}
        audit.record("org.purged", org_id=org.pk, actor_id=actor_id, request=request, detail=detail)
    return detail
