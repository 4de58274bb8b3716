"""No two reservations holding one kit may overlap in their blocked days (ADR 0021).

On PostgreSQL an exclusion constraint over the half-open range [blocked_from, blocked_until)
decides it in the database, so two libraries asking at the same moment cannot both win; it
needs btree_gist for the kit id's equality in a GiST index. SQLite has no exclusion
constraints: there `kit_reserve` checks the overlap inside its transaction, and SQLite runs one
writing transaction at a time. Reversible; a no-op on SQLite.
"""

from django.db import migrations

CONSTRAINT = "engagement_kit_reservation_no_overlap"

CREATE = f"""
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE engagement_kitreservation ADD CONSTRAINT {CONSTRAINT}
    EXCLUDE USING gist (
        kit_id WITH =,
        daterange(blocked_from, blocked_until, '[)') WITH &&
    ) WHERE (status IN ('requested', 'approved', 'shipped', 'returned'));
"""

DROP = f"ALTER TABLE engagement_kitreservation DROP CONSTRAINT IF EXISTS {CONSTRAINT};"


def constraint_add(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def constraint_drop(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("engagement", "0002_kits")]

    operations = [migrations.RunPython(constraint_add, constraint_drop)]
