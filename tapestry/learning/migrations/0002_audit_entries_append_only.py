"""The training audit trail is append-only: on PostgreSQL (production) the database refuses to
change or delete a row, whatever code tries. (SQLite, the embedded default, relies on the
model's own refusal: its test flush deletes rows, and a trigger there would refuse that too.)"""

from django.db import migrations

POSTGRESQL = [
    """CREATE FUNCTION learning_auditentry_refuse() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'the training audit trail is append-only'; END;
       $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER learning_auditentry_append_only BEFORE UPDATE OR DELETE
       ON learning_auditentry FOR EACH ROW EXECUTE FUNCTION learning_auditentry_refuse()""",
]
POSTGRESQL_REVERSE = [
    "DROP TRIGGER learning_auditentry_append_only ON learning_auditentry",
    "DROP FUNCTION learning_auditentry_refuse()",
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in POSTGRESQL:
            schema_editor.execute(statement)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in POSTGRESQL_REVERSE:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("learning", "0001_courses_and_records")]

    operations = [migrations.RunPython(forwards, backwards)]
