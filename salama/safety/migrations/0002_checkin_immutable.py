from django.db import migrations

# What a check-in said, about whom and when can never change. Encrypted columns (note, source)
# may be re-encrypted under a new key, and foreign keys to deleted rows may be nulled.
FORWARD = """
CREATE OR REPLACE FUNCTION salama_checkin_immutable() RETURNS trigger AS $$
BEGIN
    IF NEW.org_id IS DISTINCT FROM OLD.org_id
       OR NEW.person_id IS DISTINCT FROM OLD.person_id
       OR NEW.status IS DISTINCT FROM OLD.status
       OR NEW.basis IS DISTINCT FROM OLD.basis
       OR NEW.channel IS DISTINCT FROM OLD.channel
       OR NEW.heard_at IS DISTINCT FROM OLD.heard_at
       OR NEW.device_at IS DISTINCT FROM OLD.device_at
       OR NEW.received_at IS DISTINCT FROM OLD.received_at
       OR NEW.effective_at IS DISTINCT FROM OLD.effective_at
       OR NEW.is_time_flagged IS DISTINCT FROM OLD.is_time_flagged
       OR NEW.counts_as_heard IS DISTINCT FROM OLD.counts_as_heard THEN
        RAISE EXCEPTION 'check-ins are immutable';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER safety_checkin_immutable
    BEFORE UPDATE ON safety_checkin
    FOR EACH ROW EXECUTE FUNCTION salama_checkin_immutable();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS safety_checkin_immutable ON safety_checkin;
DROP FUNCTION IF EXISTS salama_checkin_immutable();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("safety", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
