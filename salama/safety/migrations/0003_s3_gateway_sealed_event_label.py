"""S3 item 9: an event's label is encrypted under its organisation's key like other free text,
and the Idempotency-Key's body hash is keyed under its lookup key. The label is copied into an
encrypted column and the plain one dropped, in both directions (the keyring must be unlocked to
run it, as for the server). A plain body hash cannot be keyed from the body (it is not kept):
it is keyed as it is (safety.api.legacy_body_hash), so a retry of an old key still replays."""

from django.db import migrations, models

import salama.lib.fields


def seal_labels(apps, schema_editor):
    salama.lib.fields.seal_column(apps.get_model("safety", "Event"), "label", "label_sealed")


def open_labels(apps, schema_editor):
    salama.lib.fields.open_column(apps.get_model("safety", "Event"), "label_sealed", "label", 80)


def key_body_hashes(apps, schema_editor):
    from salama.lib import keyring

    IdempotencyKey = apps.get_model("safety", "IdempotencyKey")
    for row in IdempotencyKey.objects.iterator():
        try:
            keyed = keyring.lookup_hash(row.org_id, "idempotency-sha256:" + row.body_hash)
        except keyring.KeyUnavailable:
            row.delete()  # a purged organisation's: nothing to replay
            continue
        IdempotencyKey.objects.filter(pk=row.pk).update(body_hash=keyed)


class Migration(migrations.Migration):
    dependencies = [
        ("safety", "0002_checkin_immutable"),
    ]

    operations = [
        migrations.AddField(
            model_name="event",
            name="label_sealed",
            field=salama.lib.fields.EncryptedTextField(blank=True, default="", verbose_name="label"),
        ),
        migrations.RunPython(seal_labels, open_labels),
        # A default for the plain column, so that going back re-adds it to existing rows.
        migrations.AlterField(
            model_name="event",
            name="label",
            field=models.CharField(default="", max_length=80, verbose_name="label"),
        ),
        migrations.RemoveField(model_name="event", name="label"),
        migrations.RenameField(model_name="event", old_name="label_sealed", new_name="label"),
        # Reversed, old keys keep their keyed hashes: a retry of one is then refused (422).
        migrations.RunPython(key_body_hashes, migrations.RunPython.noop),
    ]
