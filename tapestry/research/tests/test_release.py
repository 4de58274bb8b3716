"""A release built from real generated data: the warehouse, the summaries, publication."""

import io
import json
import shutil

import duckdb
import pytest
from django.core.management import CommandError, call_command

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
from tapestry.research.warehouse.release import ReleaseError

pytestmark = pytest.mark.django_db

PARTICIPANTS = 1500
TYPE_2_DIABETES = 201826
DIABETES_MELLITUS = 201820  # an ancestor of type 2 diabetes in the curated hierarchy
HBA1C = 3004410


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    out = tmp_path_factory.mktemp("generated") / "data"
    generate(out, participants=PARTICIPANTS, seed=5)
    return out


@pytest.fixture
def research_dir(settings, tmp_path):
    settings.RESEARCH_DATA_DIR = tmp_path / "research"
    return settings.RESEARCH_DATA_DIR


@pytest.fixture
def release(generated, research_dir):
    return release_create(source=generated, version="test-1")


def test_a_release_publishes_every_consented_participant(release, generated):
    manifest = json.loads((generated / "manifest.json").read_text())

    assert release.status == Release.Status.READY
    assert release.participants == PARTICIPANTS
    assert release.events == manifest["events"]
    assert selectors.release_current() == release


def test_the_warehouse_holds_the_omop_tables_and_the_participants(release):
    with duckdb.connect(release.warehouse_path, read_only=True) as con:
        persons = con.execute("select count(*) from person").fetchone()
        participants = con.execute("select count(*), sum(ubr::int) from participant").fetchone()
        measurements = con.execute("select count(*) from measurement").fetchone()

    assert persons == (PARTICIPANTS,)
    assert participants is not None and participants[0] == PARTICIPANTS
    assert 0 < participants[1] < PARTICIPANTS
    assert measurements is not None and measurements[0] > PARTICIPANTS


def test_enrollment_and_categories_add_up_to_the_participants(release):
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


def test_a_concept_counts_its_descendants(release):
    parent = ConceptSummary.objects.get(release=release, concept_id=DIABETES_MELLITUS)
    child = ConceptSummary.objects.get(release=release, concept_id=TYPE_2_DIABETES)

    assert parent.participants >= child.participants > 0
    assert sum(child.by_sex.values()) == child.participants
    assert sum(child.by_age.values()) == child.participants
    assert sum(child.by_race.values()) == child.participants


def test_a_measurement_has_a_value_histogram(release):
    hba1c = ConceptSummary.objects.get(release=release, concept_id=HBA1C)

    assert hba1c.histogram["unit"] == "%"
    assert len(hba1c.histogram["bins"]) == 10
    assert sum(count for _low, _high, count in hba1c.histogram["bins"]) >= hba1c.participants


def test_the_browser_keeps_serving_the_previous_release_while_one_is_built(release):
    Release.objects.create(version="test-2", source_path="elsewhere")  # building

    assert selectors.release_current() == release


def test_a_second_build_of_a_ready_version_is_refused(release, generated):
    with pytest.raises(ReleaseInProgress):
        release_create(source=generated, version="test-1")

    assert Release.objects.filter(version="test-1").count() == 1


def test_incomplete_data_fails_the_release_and_publishes_nothing(generated, research_dir, tmp_path):
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


def test_the_release_command_builds_the_newest_generated_data(generated, research_dir):
    shutil.copytree(generated, research_dir / "generated" / "newest")
    output = io.StringIO()

    call_command("research_release", name="from-command", stdout=output)

    assert Release.objects.get(version="from-command").status == Release.Status.READY
    assert f"{PARTICIPANTS:,} participants" in output.getvalue()


def test_the_release_command_refuses_a_folder_without_data(research_dir, tmp_path):
    with pytest.raises(CommandError, match="not a folder of generated data"):
        call_command("research_release", source=tmp_path / "nothing")

    assert not Release.objects.exists()
