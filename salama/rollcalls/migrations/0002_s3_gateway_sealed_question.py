"""S3 item 9: a roll call's question is encrypted under its organisation's key like other free
text: copied into an encrypted column and the plain one dropped, in both directions (the
keyring must be unlocked to run it, as for the server)."""

from django.db import migrations, models

import salama.lib.fields


def seal_questions(apps, schema_editor):
    salama.lib.fields.seal_column(apps.get_model("rollcalls", "RollCall"), "question", "question_sealed")


def open_questions(apps, schema_editor):
    salama.lib.fields.open_column(
        apps.get_model("rollcalls", "RollCall"), "question_sealed", "question", 160
    )


class Migration(migrations.Migration):
    dependencies = [
        ("rollcalls", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="rollcall",
            name="question_sealed",
            field=salama.lib.fields.EncryptedTextField(blank=True, default="", verbose_name="question"),
        ),
        migrations.RunPython(seal_questions, open_questions),
        # A default for the plain column, so that going back re-adds it to existing rows.
        migrations.AlterField(
            model_name="rollcall",
            name="question",
            field=models.CharField(default="", max_length=160, verbose_name="question"),
        ),
        migrations.RemoveField(model_name="rollcall", name="question"),
        migrations.RenameField(model_name="rollcall", old_name="question_sealed", new_name="question"),
    ]
