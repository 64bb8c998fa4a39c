from django.db import migrations

TABLES = ["evidence_entry", "evidence_node", "evidence_checkpoint", "evidence_cosignature"]

FUNCTIONS = """
CREATE OR REPLACE FUNCTION salama_evidence_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the evidence ledger is append-only';
END;
$$ LANGUAGE plpgsql;
-- TRUNCATE is refused too, unless the session set salama.allow_truncate: only the test
-- suite's database flush does that (tests/conftest.py); the application never does.
CREATE OR REPLACE FUNCTION salama_evidence_no_truncate() RETURNS trigger AS $$
BEGIN
    IF current_setting('salama.allow_truncate', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'the evidence ledger is append-only';
END;
$$ LANGUAGE plpgsql;
"""

TRIGGERS = """
CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION salama_evidence_append_only();
CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION salama_evidence_no_truncate();
"""

DROP = """
DROP TRIGGER IF EXISTS {table}_append_only ON {table};
DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTIONS)
        for table in TABLES:
            schema_editor.execute(TRIGGERS.format(table=table))


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(DROP.format(table=table))
        schema_editor.execute("DROP FUNCTION IF EXISTS salama_evidence_append_only();")
        schema_editor.execute("DROP FUNCTION IF EXISTS salama_evidence_no_truncate();")


class Migration(migrations.Migration):
    dependencies = [("evidence", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
