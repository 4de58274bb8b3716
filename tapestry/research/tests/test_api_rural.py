"""research.api: the loaded FORHP rural ZIP lists, for other apps."""

import datetime
import io
from pathlib import Path

import pytest
from django.core.management import call_command

from tapestry.research.api import rural_zip_codes, rural_zip_lists

pytestmark = pytest.mark.django_db


def _load(tmp_path: Path, name: str, effective_from: str, lines: str) -> None:
    listing = tmp_path / f"{name}.txt"
    listing.write_text(lines, encoding="utf-8")
    call_command(
        "research_load_rural_zips",
        str(listing),
        name=name,
        effective_from=effective_from,
        stdout=io.StringIO(),
    )


def test_no_list_loaded_means_unknown() -> None:
    assert rural_zip_lists() == []
    assert rural_zip_codes(on=datetime.date(2026, 1, 1)) is None


def test_the_list_in_force_on_a_date(tmp_path: Path) -> None:
    _load(tmp_path, "2020", "2020-09-15", "IL,61910\nCT,6018\n")
    _load(tmp_path, "2014", "2014-01-01", "IL,61910\nPA,16001\n")
    assert rural_zip_lists() == [
        (datetime.date(2014, 1, 1), frozenset({"61910", "16001"})),
        (datetime.date(2020, 9, 15), frozenset({"61910", "06018"})),
    ]
    assert rural_zip_codes(on=datetime.date(2013, 12, 31)) is None
    assert rural_zip_codes(on=datetime.date(2020, 9, 14)) == frozenset({"61910", "16001"})
    assert rural_zip_codes(on=datetime.date(2020, 9, 15)) == frozenset({"61910", "06018"})
