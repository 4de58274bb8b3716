"""The ICU collations exist under the same names on SQLite and PostgreSQL (ADR 0011)."""

import pytest
from django.db import connection

from tapestry.core.collation import collation_for_language

pytestmark = pytest.mark.django_db


def _sorted_by_database(values: list[str], *, collation: str) -> list[str]:
    """`values` as the database orders them under `collation`."""
    rows = " UNION ALL ".join("SELECT CAST(%s AS TEXT) AS value" for _value in values)
    with connection.cursor() as cursor:
        # Only placeholders and our own collation name go into the SQL; the values are parameters.
        sql = f'SELECT value FROM ({rows}) AS names ORDER BY value COLLATE "{collation}"'  # noqa: S608
        cursor.execute(sql, values)
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.parametrize(
    ("language", "collation"),
    [
        ("es", "tapestry_es"),
        ("es-mx", "tapestry_es"),
        ("ES", "tapestry_es"),
        ("en", "tapestry_en"),
        ("en-us", "tapestry_en"),
        (None, "tapestry_en"),
        ("fr", "tapestry_en"),  # a language we have no collation for sorts as English
    ],
)
def test_each_language_has_its_collation(language: str | None, collation: str) -> None:
    assert collation_for_language(language) == collation


def test_spanish_order_ignores_accents_and_case_and_puts_n_tilde_after_n() -> None:
    names = ["ñandú", "Oregón", "nz", "Míchigan", "minnesota", "Región 10", "Región 2", "árbol"]

    assert _sorted_by_database(names, collation="tapestry_es") == [
        "árbol", "Míchigan", "minnesota", "nz", "ñandú", "Oregón", "Región 2", "Región 10",
    ]  # fmt: skip


def test_english_order_ignores_case_and_reads_numbers_by_value() -> None:
    names = ["banana", "Apple", "Item 10", "item 9", "Zebra"]

    assert _sorted_by_database(names, collation="tapestry_en") == [
        "Apple", "banana", "item 9", "Item 10", "Zebra",
    ]  # fmt: skip
