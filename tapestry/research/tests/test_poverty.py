import json

import numpy as np
import pytest

from tapestry.research.warehouse import poverty


@pytest.mark.parametrize(
    ("year", "household_size", "state", "expected"),
    [
        (2018, 1, None, 12_140),
        (2018, 8, "AK", 52_980),
        (2019, 4, None, 25_750),
        (2019, 8, "HI", 49_940),
        (2020, 8, "HI", 50_730),
        (2021, 1, "AK", 16_090),
        (2022, 4, None, 27_750),
        (2023, 8, "AK", 63_220),
        (2024, 1, None, 15_060),
        (2024, 2, None, 20_440),
        (2024, 8, None, 52_720),
        (2024, 1, "AK", 18_810),
        (2024, 1, "HI", 17_310),
        (2025, 1, None, 15_650),
        (2025, 4, None, 32_150),
        (2025, 8, None, 54_150),
        (2025, 1, "AK", 19_550),
        (2025, 4, "HI", 36_980),
    ],
)
def test_published_guidelines_for_known_years_and_sizes(
    year: int, household_size: int, state: str | None, expected: int
) -> None:
    # given a year, household size and state from the HHS tables
    # when the poverty line is looked up
    line = poverty.poverty_line(year, household_size, state)

    # then it is the published figure
    assert line == expected


def test_a_household_of_nine_adds_the_per_person_amount_to_the_eight_person_figure() -> None:
    # given the 2024 and 2025 tables (+5,380 and +5,500 per person above 8)
    # when households of 9 and 10 are looked up
    lines = [
        poverty.poverty_line(2024, 9),
        poverty.poverty_line(2024, 10),
        poverty.poverty_line(2025, 9),
    ]

    # then each person above 8 adds that year's amount
    assert lines == [52_720 + 5_380, 52_720 + 2 * 5_380, 54_150 + 5_500]


def test_alaska_and_hawaii_households_above_eight_use_their_own_amounts() -> None:
    # given the 2025 Alaska (+6,880) and Hawaii (+6,330) tables
    # when households of 9 are looked up
    alaska, hawaii = poverty.poverty_line(2025, 9, "AK"), poverty.poverty_line(2025, 9, "HI")

    # then the state's own per-person amount is added
    assert (alaska, hawaii) == (67_710 + 6_880, 62_300 + 6_330)


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("ak", 18_810),
        ("Alaska", 18_810),
        (" HAWAII ", 17_310),
        ("IL", 15_060),
        ("Illinois", 15_060),
        (None, 15_060),
    ],
)
def test_only_alaska_and_hawaii_have_their_own_tables(state: str | None, expected: int) -> None:
    # given a state written as a code or a name, in any case
    # when the 2024 one-person line is looked up
    line = poverty.poverty_line(2024, 1, state)

    # then Alaska and Hawaii use theirs and every other state the contiguous table
    assert line == expected


def test_the_table_covers_2018_to_2025_at_least() -> None:
    # given the data file
    # when its years are listed
    years = poverty.guideline_years()

    # then 2018 to 2025 are all there
    assert years.start <= 2018
    assert years.stop - 1 >= 2025


def test_every_table_in_the_file_has_eight_sizes_that_rise_by_its_per_person_amount() -> None:
    # given the data file as published
    document = json.loads(poverty.DATA_FILE.read_text(encoding="utf-8"))

    # when each year's three tables are read
    steps = {
        (year, region): set(np.diff(entry[region]["household_size"]).tolist())
        | {entry[region]["per_additional_person"]}
        for year, entry in document["years"].items()
        for region in ("contiguous", "AK", "HI")
    }

    # then 2018-2025 rise by exactly the amount added above eight people
    assert all(len(amounts) == 1 for amounts in steps.values())


@pytest.mark.parametrize("household_size", [0, -1])
def test_a_household_smaller_than_one_is_an_error(household_size: int) -> None:
    # given an impossible household size
    # when its poverty line is asked for
    # then it is refused
    with pytest.raises(ValueError, match="at least 1"):
        poverty.poverty_line(2024, household_size)


@pytest.mark.parametrize("year", [2000, 2099])
def test_a_year_outside_the_table_is_an_error(year: int) -> None:
    # given a year the file does not cover
    # when its poverty line is asked for
    # then it is refused (callers clamp with guideline_years() if they want the nearest)
    with pytest.raises(ValueError, match="poverty guidelines cover"):
        poverty.poverty_line(year, 1)


def test_the_vectorized_lines_match_the_single_lookups() -> None:
    # given years, sizes and states for several households
    years = np.array([2018, 2024, 2025, 2025, 2021])
    sizes = np.array([1, 8, 9, 3, 12])
    states = ["IL", "AK", "HI", None, "Hawaii"]

    # when the lines are computed at once
    lines = poverty.poverty_lines(years, sizes, poverty.regions_of_states(states))

    # then each equals the one-household lookup
    expected = [
        poverty.poverty_line(int(year), int(size), state)
        for year, size, state in zip(years, sizes, states, strict=True)
    ]
    assert lines.tolist() == expected


def test_the_vectorized_lines_give_nan_for_an_unknown_household_size() -> None:
    # given households of size 0 and -3 among valid ones
    # when the lines are computed at once
    lines = poverty.poverty_lines(np.array([2024, 2024, 2024]), np.array([0, 1, -3]))

    # then the unknown ones are NaN and the valid one is the published figure
    assert np.isnan(lines[0])
    assert lines[1] == 15_060
    assert np.isnan(lines[2])


def test_the_vectorized_lines_refuse_a_year_outside_the_table() -> None:
    # given one year the file does not cover
    # when the lines are computed at once
    # then the call is refused
    with pytest.raises(ValueError, match="poverty guidelines cover"):
        poverty.poverty_lines(np.array([2024, 2017]), np.array([1, 1]))


def test_regions_of_states_maps_codes_and_names() -> None:
    # given codes and names, some missing
    states = ["AK", "hawaii", "Alaska", None, "NY", "HI"]

    # when they are mapped to tables
    regions = poverty.regions_of_states(states)

    # then Alaska and Hawaii get their own, everything else the contiguous table
    assert regions.tolist() == [
        poverty.ALASKA,
        poverty.HAWAII,
        poverty.ALASKA,
        poverty.CONTIGUOUS,
        poverty.CONTIGUOUS,
        poverty.HAWAII,
    ]
