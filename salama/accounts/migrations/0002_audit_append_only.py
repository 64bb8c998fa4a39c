from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION salama_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END;
$$ LANGUAGE plpgsql;
-- TRUNCATE is refused too, unless the session set salama.allow_truncate: only the test
-- suite's database flush does that (tests/conftest.py); the application never does.
CREATE OR REPLACE FUNCTION salama_audit_no_truncate() RETURNS trigger AS $$
BEGIN
    IF current_setting('salama.allow_truncate', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'the audit log is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER accounts_auditevent_append_only
    BEFORE UPDATE OR DELETE ON accounts_auditevent
    FOR EACH ROW EXECUTE FUNCTION salama_audit_append_only();
CREATE TRIGGER accounts_auditevent_no_truncate
    BEFORE TRUNCATE ON accounts_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION salama_audit_no_truncate();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS accounts_auditevent_append_only ON accounts_auditevent;
DROP TRIGGER IF EXISTS accounts_auditevent_no_truncate ON accounts_auditevent;
DROP FUNCTION IF EXISTS salama_audit_append_only();
DROP FUNCTION IF EXISTS salama_audit_no_truncate();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
