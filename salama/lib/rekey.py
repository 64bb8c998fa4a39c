"""Re-encrypt one organisation's data under its newest key, so old keys can be deleted."""

from django.apps import apps
from django.db import transaction

from salama.lib import keyring
from salama.lib.fields import Sealed, encrypted_fields


def rotate_org_key(org_id: int) -> tuple[str, int]:
    """Make a new data key active and re-encrypt every encrypted column of the organisation.
    Returns the new key id and the number of values re-encrypted. Idempotent if interrupted:
    running it again re-encrypts whatever still names an old key."""
    new_id = keyring.rotate(org_id)
    return new_id, reencrypt(org_id)


def reencrypt(org_id: int) -> int:
    count = 0
    for model in apps.get_models():
        fields = encrypted_fields(model)
        if not fields:
            continue
        scope = (
            {"pk": org_id} if model._meta.label == "accounts.Organisation" else {"org_id": org_id}
        )
        rows = model._base_manager.filter(**scope).values_list("pk", *fields).iterator()
        for pk, *values in rows:
            changes = {}
            for name, value in zip(fields, values, strict=True):
                if value and not isinstance(value, Sealed):
                    changes[name] = Sealed(keyring.encrypt(org_id, value))
            if changes:
                with transaction.atomic():
                    model._base_manager.filter(pk=pk).update(**changes)
                count += len(changes)
    return count


def old_key_ids(org_id: int) -> list[str]:
    active = keyring.active_key_id(org_id)
    return [k for k in keyring.data_key_ids(org_id) if k != active]
