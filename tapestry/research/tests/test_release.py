"""A release built from real generated data: the warehouse, the summaries, publication."""

import datetime
import hashlib
import io
import json
import shutil
from pathlib import Path
from typing import Any

import duckdb
import ibis
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from pytest_django.fixtures import Settings

from tapestry.research import selectors
from tapestry.research.models import (
    CategorySummary,
    ConceptSummary,
    ConceptTerm,
    EnrollmentSummary,
    Release,
)
from tapestry.research.services import ReleaseInProgress, release_create
from tapestry.research.tests.conftest import forhp_dir
from tapestry.research.tests.test_generate import rural_2020
from tapestry.research.warehouse import ubr
from tapestry.research.warehouse.generate import generate
from tapestry.research.warehouse.release import ReleaseError, _calendar_age, release_build
from tapestry.research.warehouse.rural import RuralList

pytestmark = pytest.mark.django_db

PARTICIPANTS = 1500
TYPE_2_DIABETES = 201826
DIABETES_MELLITUS = 201820  # an ancestor of type 2 diabetes in the curated hierarchy
HBA1C = 3004410


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("generated") / "data"
    generate(out, participants=PARTICIPANTS, seed=5, rural_zips=rural_2020(), rural_list="2020")
    return out


@pytest.fixture
def research_dir(settings: Settings, tmp_path: Path) -> Path:
    settings.RESEARCH_DATA_DIR = tmp_path / "research"
    return settings.RESEARCH_DATA_DIR


@pytest.fixture
def release(generated: Path, research_dir: Path, request: pytest.FixtureRequest) -> Release:
    if forhp_dir() is not None:  # as `make demo` does, where the lists sit beside the project
        request.getfixturevalue("forhp_loaded")
    return release_create(source=generated, version="test-1")


def test_a_release_records_the_rural_lists_it_used(release: Release) -> None:
    if forhp_dir() is None:
        pytest.skip("the FORHP rural ZIP lists are not beside the project")

    assert release.rural_zip_lists == [
        {"name": "2014", "effective_from": "2014-01-01", "zip_codes": 18_776},
        {"name": "2020", "effective_from": "2020-09-15", "zip_codes": 18_677},
    ]
    assert release.geography_known
    rural = CategorySummary.objects.filter(release=release, category="rural")
    assert sum(row.participants for row in rural) > 0


def test_with_no_rural_list_geography_is_unknown_not_false(
    generated: Path, research_dir: Path
) -> None:
    release = release_create(source=generated, version="no-lists")

    rural = list(CategorySummary.objects.filter(release=release, category="rural"))
    assert release.rural_zip_lists == [] and not release.geography_known
    assert sum(row.participants for row in rural) == 0
    assert sum(row.not_answered for row in rural) == PARTICIPANTS
    with duckdb.connect(release.warehouse_path, read_only=True) as con:
        assert con.execute("select count(*) from participant where rural_answered").fetchone() == (
            0,
        )


def test_not_answered_is_counted_apart_from_not_ubr(release: Release) -> None:
    income = list(CategorySummary.objects.filter(release=release, category="income"))
    not_answered = sum(row.not_answered for row in income)

    # The generator skips or declines about 11 % of income answers
    assert 0.05 * PARTICIPANTS < not_answered < 0.2 * PARTICIPANTS
    assert sum(row.participants for row in income) + not_answered <= PARTICIPANTS


def test_the_first_basics_survey_after_consent_is_the_one_used(release: Release) -> None:
    with duckdb.connect(release.warehouse_path, read_only=True) as con:
        rows = con.execute(
            """
            with answers as (
                select person_id, observation_date, value_source_value as bracket
                from observation where observation_source_value = 'annual_income'),
            twice as (
                select person_id, arg_min(bracket, observation_date) as first_bracket,
                       arg_max(bracket, observation_date) as last_bracket
                from answers group by person_id having count(*) > 1)
            select t.first_bracket, t.last_bracket, p.income_answered
            from twice t join participant p using (person_id)
            where t.first_bracket like 'income_%' and t.last_bracket like 'income_%'
              and t.first_bracket <> t.last_bracket
            """
        ).fetchall()
        changed = len(rows)

    assert changed > 0  # some people moved up a bracket in their second survey
    assert all(answered for _first, _last, answered in rows)


@pytest.mark.parametrize(
    ("birth", "consent", "age"),
    [
        ((2000, 2, 29), datetime.date(2018, 2, 27), 17),
        ((2000, 2, 29), datetime.date(2018, 2, 28), 18),  # not a leap year: turns over Feb 28
        ((2000, 2, 29), datetime.date(2020, 2, 28), 19),  # a leap year: waits for Feb 29
        ((2000, 2, 29), datetime.date(2020, 2, 29), 20),
        ((1959, 3, 1), datetime.date(2024, 2, 29), 64),
        ((1959, 3, 1), datetime.date(2024, 3, 1), 65),
    ],
)
def test_age_is_calendar_age_at_consent(
    birth: tuple[int, int, int], consent: datetime.date, age: int
) -> None:
    table = ibis.memtable({"consent": [consent], "y": [birth[0]], "m": [birth[1]], "d": [birth[2]]})
    expression = _calendar_age(table.consent, table.y, table.m, table.d)

    assert ibis.duckdb.connect().execute(expression.name("age"))[0] == age


def test_a_release_publishes_every_consented_participant(release: Any, generated: Any) -> None:
    manifest = json.loads((generated / "manifest.json").read_text())

    assert release.status == Release.Status.READY
    assert release.participants == PARTICIPANTS
    assert release.events == manifest["events"]
    assert selectors.release_current() == release


def test_the_warehouse_holds_the_omop_tables_and_the_participants(release: Any) -> None:
    with duckdb.connect(release.warehouse_path, read_only=True) as con:
        persons = con.execute("select count(*) from person").fetchone()
        participants = con.execute("select count(*), sum(ubr::int) from participant").fetchone()
        measurements = con.execute("select count(*) from measurement").fetchone()

    assert persons == (PARTICIPANTS,)
    assert participants is not None and participants[0] == PARTICIPANTS
    assert 0 < participants[1] < PARTICIPANTS
    assert measurements is not None and measurements[0] > PARTICIPANTS


def test_enrollment_and_categories_add_up_to_the_participants(release: Any) -> None:
    enrolled = sum(row.participants for row in EnrollmentSummary.objects.filter(release=release))
    minority = sum(row.minority for row in EnrollmentSummary.objects.filter(release=release))
    race = sum(
        row.participants
        for row in CategorySummary.objects.filter(release=release, category="race_ethnicity")
    )

    assert enrolled == PARTICIPANTS
    assert minority == race
    assert {row.category for row in CategorySummary.objects.filter(release=release)} == {
        category.code for category in ubr.CATEGORIES
    }


def test_a_concept_counts_its_descendants(release: Any) -> None:
    parent = ConceptSummary.objects.get(release=release, concept_id=DIABETES_MELLITUS)
    child = ConceptSummary.objects.get(release=release, concept_id=TYPE_2_DIABETES)

    assert parent.participants >= child.participants > 0
    assert sum(child.by_sex.values()) == child.participants
    assert sum(child.by_age.values()) == child.participants
    assert sum(child.by_race.values()) == child.participants


def test_a_measurement_has_a_value_histogram(release: Any) -> None:
    hba1c = ConceptSummary.objects.get(release=release, concept_id=HBA1C)

    assert hba1c.histogram["unit"] == "%"
    assert len(hba1c.histogram["bins"]) == 10
    assert sum(count for _low, _high, count in hba1c.histogram["bins"]) >= hba1c.participants


def test_the_browser_keeps_serving_the_previous_release_while_one_is_built(release: Any) -> None:
    Release.objects.create(version="test-2", source_path="elsewhere")  # building

    assert selectors.release_current() == release


def test_a_second_build_of_a_ready_version_is_refused(release: Any, generated: Any) -> None:
    with pytest.raises(ReleaseInProgress):
        release_create(source=generated, version="test-1")

    assert Release.objects.filter(version="test-1").count() == 1


def test_incomplete_data_fails_the_release_and_publishes_nothing(
    generated: Any, research_dir: Any, tmp_path: Path
) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(generated, broken)
    shutil.rmtree(broken / "measurement")

    with pytest.raises(ReleaseError, match="measurement"):
        release_create(source=broken, version="broken")

    failed = Release.objects.get(version="broken")
    assert failed.status == Release.Status.FAILED
    assert "measurement" in failed.error
    assert not ConceptSummary.objects.filter(release=failed).exists()
    assert selectors.release_current() is None


def test_a_build_that_runs_out_of_memory_fails_with_the_reason(
    generated: Path, tmp_path: Path
) -> None:
    # When the warehouse gets far too little memory for the participant table
    # Then the build fails with DuckDB's reason, as a ReleaseError the service records
    with pytest.raises(ReleaseError, match="could not be built: Out of Memory"):
        release_build(generated, tmp_path / "release", memory_limit="1MB")


def test_the_release_command_builds_the_newest_generated_data(
    generated: Any, research_dir: Any
) -> None:
    shutil.copytree(generated, research_dir / "generated" / "newest")
    output = io.StringIO()

    call_command("research_release", name="from-command", stdout=output)

    assert Release.objects.get(version="from-command").status == Release.Status.READY
    assert f"{PARTICIPANTS:,} participants" in output.getvalue()


def test_the_release_command_refuses_a_folder_without_data(
    research_dir: Any, tmp_path: Path
) -> None:
    with pytest.raises(CommandError, match="not a folder of generated data"):
        call_command("research_release", source=tmp_path / "nothing")

    assert not Release.objects.exists()


# What the release builder publishes for these 1,500 participants (seed 5, rural places from the
# 2020 FORHP list, both lists loaded), pinned when the builder moved into Ibis and re-pinned for
# issue 7: the generator's survey changed (income brackets, several gender answers, second
# Basics surveys, more access questions) and the UBR rules became the program's. The Data
# Browser's and the diversity dashboard's counts must not move when the builder changes. The digest covers every summary
# (breakdowns and histograms too); the figures beside it say where to look when it differs
# (benchmarks/research_summaries.py --compare shows every difference).
# Issue 7 moved the digest and the figures on purpose: the survey changed (income brackets,
# several gender answers, a second Basics survey, the access questions), histograms count each
# participant once (by their most recent value), each concept stores its parents and children,
# and the survey explorer's summaries joined the release.
PUBLISHED_DIGEST = "e31c9bf9280f6929b5a9703d214c7d2685eb6f32167fbdb8e3f8f93d60805d36"
PUBLISHED_DOMAINS = [
    {"concepts": 164, "domain": "Condition", "participants": 1223},
    {"concepts": 129, "domain": "Drug", "participants": 1112},
    {"concepts": 38, "domain": "Measurement", "participants": 1221},
    {"concepts": 29, "domain": "Observation", "participants": 637},
    {"concepts": 86, "domain": "Procedure", "participants": 1144},
    {"concepts": 3, "domain": "Visit", "participants": 1234},
]
# Category: (participants in it, participants who did not answer it).
PUBLISHED_CATEGORIES = {
    "access_to_care": (370, 0),
    "age": (458, 0),
    "disability": (372, 0),
    "education": (120, 30),
    "income": (551, 157),
    "race_ethnicity": (834, 23),
    "rural": (121, 0),
    "sex_at_birth": (7, 18),
    "sexual_orientation_gender_identity": (141, 98),
}


def test_the_published_counts_are_those_of_the_python_builder(
    generated: Path, tmp_path: Path, forhp_lists: list[RuralList]
) -> None:
    # When the summaries of the same generated data are built now
    document = release_build(generated, tmp_path / "release", rural_lists=forhp_lists).canonical()
    # Then every count is the one published before the builder moved into Ibis
    categories: dict[str, tuple[int, int]] = {}
    for row in document["categories"]:
        inside, unanswered = categories.get(row["category"], (0, 0))
        categories[row["category"]] = (
            inside + row["participants"],
            unanswered + row["not_answered"],
        )
    concepts = {row["concept_id"]: row["participants"] for row in document["concepts"]}
    assert (document["participants"], document["events"], document["cutoff_date"]) == (
        1500,
        106_517,
        "2026-09-28",
    )
    assert document["domains"] == PUBLISHED_DOMAINS
    assert categories == PUBLISHED_CATEGORIES
    assert (len(concepts), sum(concepts.values())) == (449, 39_335)
    assert [concepts[c] for c in (DIABETES_MELLITUS, TYPE_2_DIABETES, HBA1C)] == [179, 171, 326]
    text = json.dumps(document, sort_keys=True)
    assert hashlib.sha256(text.encode()).hexdigest() == PUBLISHED_DIGEST


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="table statistics are PostgreSQL's planner's"
)
def test_a_published_release_leaves_the_data_browser_tables_analyzed(release: Release) -> None:
    # reltuples is -1 for a table never analyzed; ANALYZE sets it to the rows it counted.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples FROM pg_class WHERE relname = %s",
            [ConceptTerm._meta.db_table],
        )
        [(estimated_rows,)] = cursor.fetchall()

    assert estimated_rows == ConceptTerm.objects.count() > 0
