"""S3 item 9: a roll call's options' labels (written by a coordinator) are encrypted under its
organisation's key inside the options' JSON, in both directions (the keyring must be unlocked to
run it, as for the server). Its own migration: PostgreSQL refuses to alter a table in the
transaction that updated a row twice (0002 updates each question)."""

from django.db import migrations

import salama.lib.fields


def seal_option_labels(apps, schema_editor):
    from salama.lib import keyring

    RollCall = apps.get_model("rollcalls", "RollCall")
    for row in RollCall._base_manager.exclude(options=[]).iterator():
        try:
            row.save(update_fields=["options"])  # SealedLabelsField seals the labels
        except keyring.KeyUnavailable:
            labels = [{**o, "label": ""} if isinstance(o, dict) else o for o in row.options]
            RollCall._base_manager.filter(pk=row.pk).update(options=labels)


def open_option_labels(apps, schema_editor):
    RollCall = apps.get_model("rollcalls", "RollCall")
    for row in RollCall._base_manager.exclude(options=[]).iterator():
        # Read in clear; update() writes the JSON as it is (no pre_save).
        RollCall._base_manager.filter(pk=row.pk).update(options=row.options)


class Migration(migrations.Migration):
    dependencies = [
        ("rollcalls", "0002_s3_gateway_sealed_question"),
    ]

    operations = [
        migrations.AlterField(
            model_name="rollcall",
            name="options",
            field=salama.lib.fields.SealedLabelsField(default=list),
        ),
        migrations.RunPython(seal_option_labels, open_option_labels),
    ]
