"""Geography: the FORHP rural ZIP lists an operator loads, and the list in force at consent."""

import datetime as dt
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tapestry.research.models import RuralZipList
from tapestry.research.warehouse import rural
from tapestry.research.warehouse.rural import RuralList, RuralListError

BEFORE_2020_LIST = dt.date(2019, 6, 1)
AFTER_2020_LIST = dt.date(2021, 6, 1)


def only_in(first: RuralList, second: RuralList) -> str:
    return min(first.zip_codes - second.zip_codes)


def test_the_zip_density_estimate_is_gone() -> None:
    # The module no longer guesses rural ZIP codes from the density of ZIP centroids
    assert not hasattr(rural, "rural_zips")
    assert not hasattr(rural, "neighbor_counts")
    assert "zipcodes" not in Path(rural.__file__).read_text()


def test_a_lost_leading_zero_is_padded_and_duplicates_dropped() -> None:
    codes = rural.parse_lines(["STATE,ZIP", "CT,6018", "ME,4401", "MT,59001", "CT,06018", ""])

    assert codes == ["06018", "04401", "59001"]


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (["MT,59001", "MT;59002"], "line 2"),
        (["MT,59001", "MT,59001,x"], "line 2"),
        (["MT,5900A"], "line 1"),
        (["MT,12"], "line 1"),
        (["", ""], "no ZIP codes"),
    ],
)
def test_a_malformed_line_is_named(lines: list[str], message: str) -> None:
    with pytest.raises(RuralListError, match=message):
        rural.parse_lines(lines)


@pytest.mark.parametrize(
    ("answer", "expected"),
    [("59001", "59001"), ("59001-1234", "59001"), ("590011234", "59001"), ("", None), (None, None)],
)
def test_a_participant_zip_is_cut_to_five_digits(answer: str | None, expected: str | None) -> None:
    assert rural.zip5(answer) == expected


def test_the_list_in_force_on_the_consent_date_decides(forhp_lists: list[RuralList]) -> None:
    # Given a ZIP code on the 2014 list but not the 2020 one, and one the other way round
    list_2014, list_2020 = forhp_lists
    dropped, added = only_in(list_2014, list_2020), only_in(list_2020, list_2014)

    # Then a 2019 consent is judged by the 2014 list and a 2021 consent by the 2020 list
    assert rural.is_rural(dropped, BEFORE_2020_LIST, forhp_lists) is True
    assert rural.is_rural(dropped, AFTER_2020_LIST, forhp_lists) is False
    assert rural.is_rural(added, BEFORE_2020_LIST, forhp_lists) is False
    assert rural.is_rural(added, AFTER_2020_LIST, forhp_lists) is True
    # The 2020 list applies from 2020-09-15 itself
    assert rural.list_in_force(forhp_lists, dt.date(2020, 9, 14)) == list_2014
    assert rural.list_in_force(forhp_lists, dt.date(2020, 9, 15)) == list_2020
    # ZIP+4 is cut to five digits
    assert rural.is_rural(f"{added}-1234", AFTER_2020_LIST, forhp_lists) is True


def test_a_lost_leading_zero_in_the_official_file_still_matches(
    forhp_lists: list[RuralList],
) -> None:
    # The files list New England codes without their zero ("CT,6018")
    padded = sorted(code for code in forhp_lists[1].zip_codes if code.startswith("0"))

    assert padded, "the 2020 list has ZIP codes with a leading zero"
    assert rural.is_rural(padded[0], AFTER_2020_LIST, forhp_lists) is True


def test_without_a_list_in_force_geography_is_unknown(forhp_lists: list[RuralList]) -> None:
    assert rural.is_rural("59001", AFTER_2020_LIST, []) is None
    assert rural.is_rural("59001", dt.date(2013, 1, 1), forhp_lists) is None
    assert rural.is_rural(None, AFTER_2020_LIST, forhp_lists) is None


@pytest.mark.django_db
def test_the_command_loads_a_list_with_its_name_and_date(tmp_path: Path) -> None:
    file = tmp_path / "rural_2020.txt"
    file.write_text("STATE,ZIP\nCT,6018\nMT,59001\n")
    output = io.StringIO()

    call_command(
        "research_load_rural_zips",
        str(file),
        name="2020",
        effective_from="2020-09-15",
        stdout=output,
    )

    loaded = RuralZipList.objects.get(name="2020")
    assert (loaded.effective_from, loaded.count, loaded.source_file) == (
        dt.date(2020, 9, 15),
        2,
        "rural_2020.txt",
    )
    assert loaded.zip_codes == ["06018", "59001"]
    assert "2 ZIP codes" in output.getvalue()


@pytest.mark.django_db
def test_a_malformed_file_loads_nothing(tmp_path: Path) -> None:
    file = tmp_path / "broken.txt"
    file.write_text("MT,59001\nMT,59002\nnot a line\n")

    with pytest.raises(CommandError, match=r"line 3.*Nothing was loaded"):
        call_command(
            "research_load_rural_zips", str(file), name="2020", effective_from="2020-09-15"
        )

    assert not RuralZipList.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "effective_from", "message"),
    [("2020", "15/09/2020", "YYYY-MM-DD"), ("", "2020-09-15", "--name")],
)
def test_bad_arguments_are_refused(
    tmp_path: Path, name: str, effective_from: str, message: str
) -> None:
    file = tmp_path / "list.txt"
    file.write_text("MT,59001\n")

    with pytest.raises(CommandError, match=message):
        call_command(
            "research_load_rural_zips", str(file), name=name, effective_from=effective_from
        )


@pytest.mark.django_db
def test_the_official_lists_load_whole(forhp_loaded: None) -> None:
    counts = dict(RuralZipList.objects.values_list("name", "count"))

    assert counts == {"2014": 18_776, "2020": 18_677}
