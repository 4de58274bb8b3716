"""The research log refuses changes at the database: nobody, not even code with a bug or the
Django admin, can rewrite what a researcher did.

PostgreSQL refuses UPDATE and DELETE of a row (TRUNCATE, which only a test's flush or an
operator's restore runs, is not a row change). SQLite refuses UPDATE; its DELETE stays open
because Django's test flush deletes row by row on SQLite, and the model refuses it instead
(`ResearchLogEntry.delete` and its queryset)."""

from django.db import migrations

TABLE = "research_researchlogentry"
MESSAGE = "the research log is append-only"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"""
            CREATE FUNCTION research_log_append_only() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION '{MESSAGE}'; END; $$ LANGUAGE plpgsql;
            CREATE TRIGGER research_log_no_update BEFORE UPDATE OR DELETE ON {TABLE}
            FOR EACH ROW EXECUTE FUNCTION research_log_append_only();
            """
        )
    else:
        schema_editor.execute(
            f"CREATE TRIGGER research_log_no_update BEFORE UPDATE ON {TABLE} "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"DROP TRIGGER research_log_no_update ON {TABLE}; "
            "DROP FUNCTION research_log_append_only();"
        )
    else:
        schema_editor.execute("DROP TRIGGER research_log_no_update")


class Migration(migrations.Migration):
    dependencies = [("research", "0007_workbench")]
    operations = [migrations.RunPython(forwards, backwards)]
