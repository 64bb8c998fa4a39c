"""Model fields for personal data.

`EncryptedTextField` stores AES-GCM ciphertext under the row's organisation key (the model must
have an `org` foreign key, or be the Organisation itself). It decrypts when a row is read and
encrypts in `pre_save`; it cannot be filtered on, and a plain string written through
`QuerySet.update()` is refused, so nothing reaches the table in clear by accident.

`KeyedHashField` holds an HMAC-SHA256 of a normalised value under the organisation's lookup key,
for finding a row (a phone number) without decrypting every row.
"""

from typing import Any

from django.db import models

from salama.lib import keyring


class Sealed(str):
    """Ciphertext that is already sealed: written as it is."""


def org_id_of(instance: models.Model) -> int:
    org_id = getattr(instance, "org_id", None)
    if org_id is None and instance._meta.label == "accounts.Organisation":
        org_id = instance.pk
    if org_id is None:
        raise ValueError(f"{instance._meta.label} has no organisation to encrypt under")
    return int(org_id)


class EncryptedTextField(models.TextField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if not value:
            return value
        try:
            return keyring.decrypt(value)
        except (keyring.KeyUnavailable, ValueError):
            # The key is gone (rotated away or purged): keep the ciphertext untouched so a
            # later save writes it back as it was instead of blanking it.
            return Sealed(value)

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = getattr(model_instance, self.attname)
        if not value or isinstance(value, Sealed):
            return value
        return Sealed(keyring.encrypt(org_id_of(model_instance), str(value)))

    def get_prep_value(self, value: Any) -> Any:
        if value in (None, "") or isinstance(value, Sealed):
            return value
        raise TypeError(
            f"{self.name} is encrypted: write it through a model save, never a query or update"
        )


def seal(org_id: int, plaintext: str) -> Sealed | str:
    """Ciphertext for bulk writes (`bulk_create`, `update`) where no pre_save runs."""
    return Sealed(keyring.encrypt(org_id, plaintext)) if plaintext else ""


class KeyedHashField(models.CharField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)


class SealedLabelsField(models.JSONField):
    """A JSON list of objects whose ``label`` strings a coordinator wrote (a roll call's
    options): each label is encrypted under the row's organisation when the row is saved and
    read back in clear; the rest of the JSON stays as it is. Written only through a model save
    (an ``update()`` would store labels in clear)."""

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        data = super().from_db_value(value, expression, connection)
        if not isinstance(data, list):
            return data
        return [_with_label(item, _open_label) for item in data]

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = getattr(model_instance, self.attname)
        if not isinstance(value, list):
            return value
        org_id = org_id_of(model_instance)
        return [_with_label(item, lambda label: _seal_label(org_id, label)) for item in value]


def _with_label(item: Any, change: Any) -> Any:
    label = item.get("label") if isinstance(item, dict) else None
    if not isinstance(label, str) or not label:
        return item
    return {**item, "label": change(label)}


def _open_label(label: str) -> str:
    try:
        return keyring.decrypt(label)
    except ValueError:
        return label  # stored before labels were sealed (the migration seals it)
    except keyring.KeyUnavailable:
        return Sealed(label)


def _seal_label(org_id: int, label: str) -> str:
    return str(label) if isinstance(label, Sealed) else keyring.encrypt(org_id, label)


def encrypted_fields(model: type[models.Model]) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]


def seal_column(model: type[models.Model], plain: str, sealed: str) -> None:
    """For a migration that encrypts an existing column: copy each row's `plain` value into the
    EncryptedTextField `sealed` (encrypted under the row's organisation on save). A row whose
    organisation has no keys any more (purged) keeps nothing: it was unreadable already."""
    for row in model._base_manager.exclude(**{plain: ""}).iterator():
        try:
            setattr(row, sealed, getattr(row, plain))
            row.save(update_fields=[sealed])
        except keyring.KeyUnavailable:
            model._base_manager.filter(pk=row.pk).update(**{plain: ""})


def open_column(model: type[models.Model], sealed: str, plain: str, max_length: int) -> None:
    """The reverse of seal_column: each row's decrypted `sealed` value back into `plain` (one
    that cannot be decrypted any more is left empty)."""
    for row in model._base_manager.exclude(**{sealed: ""}).iterator():
        value = getattr(row, sealed)
        setattr(row, plain, "" if isinstance(value, Sealed) else str(value)[:max_length])
        row.save(update_fields=[plain])
