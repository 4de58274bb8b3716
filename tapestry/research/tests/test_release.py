"""A release built from real generated data: the warehouse, the summaries, publication."""

import hashlib
import io
import json
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest
from django.core.management import CommandError, call_command
from pytest_django.fixtures import Settings

from tapestry.research import selectors
from tapestry.research.models import (
    CategorySummary,
    ConceptSummary,
    EnrollmentSummary,
    Release,
)
from tapestry.research.services import ReleaseInProgress, release_create
from tapestry.research.warehouse import ubr
from tapestry.research.warehouse.generate import generate
from tapestry.research.warehouse.release import ReleaseError, release_build

pytestmark = pytest.mark.django_db

PARTICIPANTS = 1500
TYPE_2_DIABETES = 201826
DIABETES_MELLITUS = 201820  # an ancestor of type 2 diabetes in the curated hierarchy
HBA1C = 3004410


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("generated") / "data"
    generate(out, participants=PARTICIPANTS, seed=5)
    return out


@pytest.fixture
def research_dir(settings: Settings, tmp_path: Path) -> Path:
    settings.RESEARCH_DATA_DIR = tmp_path / "research"
    return settings.RESEARCH_DATA_DIR


@pytest.fixture
def release(generated: Path, research_dir: Path) -> Release:
    return release_create(source=generated, version="test-1")


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


# What the release builder published for these 1,500 participants (seed 5) when it still read
# every participant into Python (before it ran in Ibis): the Data Browser's and the diversity
# dashboard's counts must not move when the builder changes. The digest covers every summary
# (breakdowns and histograms too); the figures beside it say where to look when it differs
# (benchmarks/research_summaries.py --compare shows every difference).
# Issue 7 moved the digest on purpose: histograms count each participant once (by their most
# recent value) and each concept stores its parents and children; every count above is unchanged.
PUBLISHED_DIGEST = "82b163354b2e3958d2a74f0be4e81065d3f35293d01c8fb63f68db71fc1f9671"
PUBLISHED_DOMAINS = [
    {"concepts": 166, "domain": "Condition", "participants": 1214},
    {"concepts": 126, "domain": "Drug", "participants": 1099},
    {"concepts": 38, "domain": "Measurement", "participants": 1216},
    {"concepts": 27, "domain": "Observation", "participants": 629},
    {"concepts": 81, "domain": "Procedure", "participants": 1166},
    {"concepts": 3, "domain": "Visit", "participants": 1229},
]
PUBLISHED_CATEGORIES = {
    "access_to_care": 449,
    "age": 458,
    "disability": 365,
    "education": 121,
    "income": 427,
    "race_ethnicity": 834,
    "rural": 123,
    "sex_at_birth": 2,
    "sexual_orientation_gender_identity": 150,
}


def test_the_published_counts_are_those_of_the_python_builder(
    generated: Path, tmp_path: Path
) -> None:
    # When the summaries of the same generated data are built now
    document = release_build(generated, tmp_path / "release").canonical()

    # Then every count is the one published before the builder moved into Ibis
    categories: dict[str, int] = {}
    for row in document["categories"]:
        categories[row["category"]] = categories.get(row["category"], 0) + row["participants"]
    concepts = {row["concept_id"]: row["participants"] for row in document["concepts"]}
    assert (document["participants"], document["events"], document["cutoff_date"]) == (
        1500,
        97_627,
        "2026-09-28",
    )
    assert document["domains"] == PUBLISHED_DOMAINS
    assert categories == PUBLISHED_CATEGORIES
    assert (len(concepts), sum(concepts.values())) == (441, 38_636)
    assert [concepts[c] for c in (DIABETES_MELLITUS, TYPE_2_DIABETES, HBA1C)] == [162, 153, 302]
    # The survey explorer's summaries came later: the digest covers what was published before.
    earlier = {key: value for key, value in document.items() if key != "surveys"}
    text = json.dumps(earlier, sort_keys=True)
    assert hashlib.sha256(text.encode()).hexdigest() == PUBLISHED_DIGEST
