"""PostgreSQL collations for alphabetical order in English and Spanish (ADR 0011).

SQLite gets collations of the same names on each connection (tapestry/core/collation.py); this
migration does nothing there. The names and locales are repeated here, not imported, so the
migration keeps working whatever the code becomes.
"""

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

# ICU locales in BCP 47; `kn` sorts digits by value ("Región 2" before "Región 10").
COLLATIONS = {"tapestry_en": "en-u-kn", "tapestry_es": "es-u-kn"}


def create(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, locale in COLLATIONS.items():
        schema_editor.execute(
            f'CREATE COLLATION IF NOT EXISTS "{name}" (provider = icu, locale = \'{locale}\')'
        )


def drop(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in COLLATIONS:
        schema_editor.execute(f'DROP COLLATION IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
