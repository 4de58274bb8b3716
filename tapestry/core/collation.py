"""Alphabetical order as each language's readers expect it, the same on every database (ADR 0011).

Names are sorted by ICU's collation for the visitor's language: in Spanish "Míchigan" comes
before "Minnesota" (the accent only breaks ties) and "Nuevo México" sits among the N's. The
collations carry one name on both databases:

- PostgreSQL gets them from a migration (`core/migrations/0002_icu_collations.py`, `CREATE
  COLLATION ... (provider = icu)`), so the sort happens in the database.
- SQLite has no ICU, so every new connection registers a collation of the same name backed by
  PyICU. On Debian both link the same system ICU library, so both give the same order.

Queries use them through Django's `Collate` (see `core.api.order_by_language`).
"""

from typing import Any

import icu
from django.db.backends.base.base import BaseDatabaseWrapper

# Collation name -> ICU locale (BCP 47). The names are ours (not PostgreSQL's imported
# `es-x-icu`) so they exist on a server whose initdb imported no ICU collations, and can be
# registered under the same name in SQLite. `kn` sorts digits by value: "Región 2" before
# "Región 10".
COLLATION_LOCALES: dict[str, str] = {"tapestry_en": "en-u-kn", "tapestry_es": "es-u-kn"}


def collation_for_language(language: str | None) -> str:
    """The collation name for a language code ("es", "es-mx", "en", None means English)."""
    base = (language or "en").split("-")[0].lower()
    name = f"tapestry_{base}"
    return name if name in COLLATION_LOCALES else "tapestry_en"


def _compare_with(collator: Any) -> Any:
    """A SQLite comparison function (negative, zero or positive) for one ICU collator."""

    def compare(left: str, right: str) -> int:
        return int(collator.compare(left, right))

    return compare


def sqlite_collations_register(
    *, sender: type[BaseDatabaseWrapper], connection: BaseDatabaseWrapper, **kwargs: Any
) -> None:
    """`connection_created` receiver: give a new SQLite connection the ICU collations.

    Each connection gets its own collators, so no ICU object is shared between threads.
    """
    if connection.vendor != "sqlite":
        return
    for name, locale in COLLATION_LOCALES.items():
        collator = icu.Collator.createInstance(icu.Locale.forLanguageTag(locale))
        connection.connection.create_collation(name, _compare_with(collator))
