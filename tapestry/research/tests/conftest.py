"""Shared fixtures: the FORHP rural ZIP lists from `../shared/data/forhp-rural-zip/`.

The lists are the government's reference data and are never copied into the project; the
tests read them where they sit beside the project (or beside a folder above it, for a git
worktree), and skip, saying why, where the folder is absent.
"""

import datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from tapestry.research.warehouse.rural import RuralList, parse_lines

FORHP = Path("shared") / "data" / "forhp-rural-zip"
# The program's lists and the day each came into force (the 2014 list covers every consent
# before the 2020 list; the program began long after 2014-01-01).
FORHP_LISTS = (
    ("2014", "rural_zipcodes_2014.txt", datetime.date(2014, 1, 1)),
    ("2020", "rural_zipcodes_2020.txt", datetime.date(2020, 9, 15)),
)


def forhp_dir() -> Path | None:
    """The FORHP folder beside the project or one of the folders above it, if any."""
    for parent in Path(settings.BASE_DIR).resolve().parents:
        if (parent / FORHP / FORHP_LISTS[0][1]).is_file():
            return parent / FORHP
    return None


def _require_forhp() -> Path:
    folder = forhp_dir()
    if folder is None:
        pytest.skip(f"the FORHP rural ZIP lists (../{FORHP}) are not beside the project")
    return folder


@pytest.fixture(scope="session")
def forhp_lists() -> list[RuralList]:
    """The 2014 and 2020 lists, parsed (no database)."""
    folder = _require_forhp()
    lists = []
    for name, file, effective_from in FORHP_LISTS:
        with (folder / file).open(encoding="utf-8") as lines:
            lists.append(RuralList(name, effective_from, frozenset(parse_lines(lines))))
    return lists


@pytest.fixture
def forhp_loaded(db: None) -> None:
    """The 2014 and 2020 lists loaded with the operator's command, as `make demo` does."""
    folder = _require_forhp()
    for name, file, effective_from in FORHP_LISTS:
        call_command(
            "research_load_rural_zips",
            str(folder / file),
            name=name,
            effective_from=effective_from.isoformat(),
            stdout=open("/dev/null", "w"),  # noqa: SIM115
        )


# --- the cohort engine's warehouse (test_cohort_engine.py, test_cohort_spark.py) ----------

COHORT_PARTICIPANTS = 1500
COHORT_SEED = 5


@pytest.fixture(scope="session")
def cohort_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Generated OMOP Parquet for the cohort tests, once per session (no ZIP list: the rural
    category is nobody, which the tests allow for)."""
    from tapestry.research.warehouse.generate import generate

    out = tmp_path_factory.mktemp("cohort") / "data"
    generate(out, participants=COHORT_PARTICIPANTS, seed=COHORT_SEED)
    return out


@pytest.fixture(scope="session")
def cohort_warehouse(cohort_source: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The release built from `cohort_source` (search structures included): its
    warehouse.duckdb."""
    from tapestry.research.warehouse.release import release_build

    target = tmp_path_factory.mktemp("cohort") / "release"
    release_build(cohort_source, target)
    return target / "warehouse.duckdb"
