import pytest
from django.db import connection, transaction

from salama.accounts.models import AuditEvent, Organisation
from salama.accounts.services import create_organisation
from salama.lib import keyring
from salama.lib.fields import Sealed, seal
from salama.lib.rekey import old_key_ids, rotate_org_key


@pytest.fixture
def orgs(db: None) -> tuple[Organisation, Organisation]:
    return (
        create_organisation(name="A", slug="org-a"),
        create_organisation(name="B", slug="org-b"),
    )


def test_ciphertext_names_its_key_and_round_trips(orgs) -> None:
    a, _ = orgs
    text = keyring.encrypt(a.pk, "Dr Rania Haddad")
    assert text.startswith(f"v1:{a.pk}:d1:")
    assert "Rania" not in text
    assert keyring.decrypt(text) == "Dr Rania Haddad"


def test_ciphertext_of_one_org_does_not_decrypt_with_another_orgs_key(orgs) -> None:
    a, b = orgs
    text = keyring.encrypt(a.pk, "secret")
    with pytest.raises(keyring.KeyUnavailable):
        keyring.decrypt(text, org_id=b.pk)
    # Forge the header to name B: the tag does not authenticate under B's key.
    forged = text.replace(f"v1:{a.pk}:", f"v1:{b.pk}:", 1)
    with pytest.raises(keyring.KeyUnavailable):
        keyring.decrypt(forged)


def test_lookup_hashes_differ_between_organisations(orgs) -> None:
    a, b = orgs
    assert keyring.lookup_hash(a.pk, "+963944000111") != keyring.lookup_hash(b.pk, "+963944000111")
    assert keyring.lookup_hash(a.pk, "x") == keyring.lookup_hash(a.pk, "x")


def raw_column(org: Organisation, column: str = "credentials") -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM accounts_organisation WHERE id = %s", [org.pk])
        return cursor.fetchone()[0]


def test_encrypted_field_stores_ciphertext_and_refuses_plain_updates(orgs) -> None:
    a, _ = orgs
    a.credentials = '{"token": "gateway-secret-123"}'
    a.save()
    assert "gateway-secret" not in raw_column(a)
    assert raw_column(a).startswith(f"v1:{a.pk}:d1:")
    assert Organisation.objects.get(pk=a.pk).credentials == '{"token": "gateway-secret-123"}'
    with pytest.raises(TypeError), transaction.atomic():
        Organisation.objects.filter(pk=a.pk).update(credentials="plain text")
    Organisation.objects.filter(pk=a.pk).update(credentials=seal(a.pk, "sealed"))
    assert Organisation.objects.get(pk=a.pk).credentials == "sealed"


def test_rotation_then_deleting_old_key_leaves_everything_readable(orgs) -> None:
    a, b = orgs
    a.credentials = "gateway token A"
    a.save()
    b.credentials = "gateway token B"
    b.save()
    new_id, count = rotate_org_key(a.pk)
    assert (new_id, count) == ("d2", 1)
    assert old_key_ids(a.pk) == ["d1"]
    keyring.delete_key(a.pk, "d1")
    assert raw_column(a).startswith(f"v1:{a.pk}:d2:")
    assert Organisation.objects.get(pk=a.pk).credentials == "gateway token A"
    assert Organisation.objects.get(pk=b.pk).credentials == "gateway token B"
    with pytest.raises(ValueError):
        keyring.delete_key(a.pk, "d2")


def test_value_under_a_deleted_key_is_kept_sealed_not_blanked(orgs) -> None:
    a, _ = orgs
    a.credentials = "old"
    a.save()
    keyring.rotate(a.pk)
    keyring.delete_key(a.pk, "d1")  # deleted without re-encrypting: unreadable from now on
    loaded = Organisation.objects.get(pk=a.pk)
    assert isinstance(loaded.credentials, Sealed)
    loaded.save()  # saving again must write the ciphertext back untouched
    assert raw_column(a) == str(loaded.credentials)


def test_destroying_an_org_keyring_makes_its_data_unreadable(orgs) -> None:
    a, b = orgs
    text_a = keyring.encrypt(a.pk, "A's secret")
    text_b = keyring.encrypt(b.pk, "B's secret")
    keyring.destroy_org(a.pk)
    with pytest.raises(keyring.KeyUnavailable):
        keyring.decrypt(text_a)
    assert keyring.decrypt(text_b) == "B's secret"


@pytest.mark.postgres
def test_audit_table_rejects_update_and_delete_on_postgres(db: None) -> None:
    from django.db import DatabaseError

    event = AuditEvent.objects.create(action="test")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="changed")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        # The suite's own sessions may truncate (for flushing); an ordinary session may not.
        cursor.execute("SET LOCAL salama.allow_truncate = 'off'")
        cursor.execute("TRUNCATE accounts_auditevent")
    assert AuditEvent.objects.get(pk=event.pk).action == "test"
