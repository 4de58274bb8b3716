"""The full-text index of published texts (tapestry/resources/search.py explains the design).

One table, `resources_textsearch`, one row per published text, made here for the database the
migration runs on, since Django cannot declare either kind portably:

- SQLite: an FTS5 virtual table (title, summary, body) holding the accent-free snowball stems
  search.py writes; a trigger drops a text's row when the text is deleted.
- PostgreSQL: a table of a stored tsvector per text (title weight A, summary B, body and
  transcript C, in the text's own language configuration) with a GIN index, and the text's
  language (so a search ranks only the texts in its language); triggers drop a text's row
  when the text is deleted or the table truncated.

Texts published before this migration are indexed by `search.texts_reindex()`.

On SQLite, Django changes a table's columns by building a new table and dropping the old one,
which drops its triggers: a later migration that alters `resources_resourcetext` must create
the delete trigger again (test_search's deletion test fails until it does).
"""

from typing import Any

from django.db import migrations

SQLITE_INDEX = [
    "CREATE VIRTUAL TABLE resources_textsearch USING fts5("
    "title, summary, body, tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER resources_textsearch_text_delete AFTER DELETE ON resources_resourcetext "
    "BEGIN DELETE FROM resources_textsearch WHERE rowid = old.id; END",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS resources_textsearch_text_delete",
    "DROP TABLE IF EXISTS resources_textsearch",
]
POSTGRESQL_INDEX = [
    # No foreign key: one would stop Django's flush (TRUNCATE of the texts without CASCADE,
    # as the test suite's transactional tests do); triggers drop the rows with the texts.
    "CREATE TABLE resources_textsearch ("
    "text_id bigint PRIMARY KEY, "
    "language varchar(2) NOT NULL, "
    "vector tsvector NOT NULL)",
    "CREATE INDEX resources_textsearch_vector ON resources_textsearch USING gin (vector)",
    "CREATE FUNCTION resources_textsearch_forget() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN "
    "IF TG_OP = 'TRUNCATE' THEN TRUNCATE resources_textsearch; "
    "ELSE DELETE FROM resources_textsearch WHERE text_id = OLD.id; END IF; "
    "RETURN NULL; "
    "END $$",
    "CREATE TRIGGER resources_textsearch_text_delete AFTER DELETE ON resources_resourcetext "
    "FOR EACH ROW EXECUTE FUNCTION resources_textsearch_forget()",
    "CREATE TRIGGER resources_textsearch_text_truncate AFTER TRUNCATE ON resources_resourcetext "
    "FOR EACH STATEMENT EXECUTE FUNCTION resources_textsearch_forget()",
]
POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS resources_textsearch_text_truncate ON resources_resourcetext",
    "DROP TRIGGER IF EXISTS resources_textsearch_text_delete ON resources_resourcetext",
    "DROP FUNCTION IF EXISTS resources_textsearch_forget()",
    "DROP TABLE IF EXISTS resources_textsearch",
]


def _run(statements: dict[str, list[str]]) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        for statement in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("resources", "0003_published_url"),
    ]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_INDEX, "postgresql": POSTGRESQL_INDEX}),
            _run({"sqlite": SQLITE_DROP, "postgresql": POSTGRESQL_DROP}),
        ),
    ]
