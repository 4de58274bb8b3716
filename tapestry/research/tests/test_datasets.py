"""Datasets: de-identified rows of a cohort, previewed, exported by the background task,
downloaded by the workspace's members only, and loaded by the code shown beside them.

The warehouse is built once from real generated data; the expected rows (the oracle) are
worked out here from the generated Parquet files with pyarrow and the documented formulas,
not with the code under test.
"""

import datetime
import hashlib
import hmac
import io
import json
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import factory
import ibis
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest
from allauth.account.internal.flows.login import (
    _AUTHENTICATION_METHODS_USER_SESSION_KEY,
    AUTHENTICATION_METHODS_SESSION_KEY,
)
from allauth.account.internal.userkit import user_id_to_str
from django.core.management import call_command
from django.tasks import task_backends
from django.template.loader import render_to_string
from django.test import Client
from django.utils import timezone
from django_tasks_db import DatabaseBackend
from factory.django import DjangoModelFactory
from ibis import BaseBackend
from pytest_django.fixtures import Settings

from tapestry.accounts.api import Role
from tapestry.accounts.tests.factories import UserFactory
from tapestry.research.models import (
    AccessBypass,
    Dataset,
    Domain,
    Institution,
    Release,
    Requirement,
    ResearchLogEntry,
    SavedCohort,
    Workspace,
)
from tapestry.research.services import (
    DatasetRefused,
    dataset_create,
)
from tapestry.research.tests.factories import ConceptSummaryFactory, ReleaseFactory
from tapestry.research.warehouse import dataset as dataset_module
from tapestry.research.warehouse.cohort import engines_close
from tapestry.research.warehouse.dataset import (
    PERSON_COLUMNS,
    RESEARCH_ID_BASE,
    ConceptSet,
    DatasetError,
    DatasetSpec,
    dataset_export,
    dataset_preview,
    dataset_tables,
    keys_file_name,
    keys_table,
    keys_write,
    snippets,
)
from tapestry.research.warehouse.generate import generate
from tapestry.research.warehouse.release import release_build

PARTICIPANTS = 400
KEY = b"a test key, not the site's"
RELEASE = "test-datasets"
DIABETES = 201820  # "Diabetes mellitus": has descendants in the generated data
SYSTOLIC = 3004249  # "Systolic blood pressure"
DIABETES_DRUGS = 21600712  # "DRUGS USED IN DIABETES", a drug class with descendants
SPEC = DatasetSpec(
    concept_sets=(
        ConceptSet("condition", DIABETES),
        ConceptSet("measurement", SYSTOLIC, descendants=False),
        ConceptSet("drug", DIABETES_DRUGS),
    ),
    columns={
        "person": PERSON_COLUMNS,
        "condition": ("concept_id", "concept_name", "start_date", "end_date"),
        "measurement": ("concept_id", "concept_name", "date", "value", "unit"),
        "drug": ("concept_id", "start_date", "end_date", "days_supply"),
    },
)


# --- the warehouse and the oracle -------------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(generated data, release folder)."""
    root = tmp_path_factory.mktemp("datasets")
    source = root / "generated"
    generate(source, participants=PARTICIPANTS, seed=11)
    release_build(source, root / "release")
    return source, root / "release"


@pytest.fixture(scope="module")
def con(built: tuple[Path, Path]) -> Iterator[BaseBackend]:
    database = duckdb.connect(str(built[1] / "warehouse.duckdb"), read_only=True)
    yield ibis.duckdb.from_connection(database.cursor())
    database.close()


@pytest.fixture(scope="module")
def keys(con: BaseBackend, built: tuple[Path, Path]) -> Path:
    return keys_write(con, key=KEY, release=RELEASE, path=built[1] / keys_file_name(KEY))


def cohort(con: BaseBackend) -> Any:
    """Every other participant: a cohort that leaves some out."""
    participant = con.table("participant")
    return participant.filter(participant.person_id % 2 == 0).select("person_id")


def read(source: Path, table: str) -> list[dict[str, Any]]:
    return pq.read_table(sorted((source / table).glob("*.parquet"))).to_pylist()


def expected_shift(person_id: int) -> int:
    """The documented formula, written out again."""
    digest = hmac.new(KEY, f"date-shift:{person_id}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest, "big") % 364 + 1


class Oracle:
    """The dataset SPEC over the generated files, in plain Python."""

    def __init__(self, con: BaseBackend, source: Path, *, shift: bool = True) -> None:
        participants = con.table("participant").select("person_id").to_pyarrow()
        everyone = sorted(participants.column(0).to_pylist())
        ranked = sorted(
            everyone,
            key=lambda pid: hmac.new(
                KEY, f"research-id:{RELEASE}:{pid}".encode(), hashlib.sha256
            ).digest(),
        )
        self.research_id = {pid: RESEARCH_ID_BASE + rank for rank, pid in enumerate(ranked, 1)}
        self.person_of = {rid: pid for pid, rid in self.research_id.items()}
        self.cohort = {pid for pid in everyone if pid % 2 == 0}
        self.shift = {pid: expected_shift(pid) if shift else 0 for pid in everyone}
        self.source = source
        self.concepts = {row["concept_id"]: row for row in read(source, "concept")}
        self.ancestors = read(source, "concept_ancestor")

    def name(self, concept_id: int) -> str | None:
        """The concept's name; none for 0 ("no matching concept"), which concept lacks."""
        return self.concepts.get(concept_id, {}).get("concept_name")

    def concept_set(self, concept_id: int, descendants: bool) -> set[int]:
        ids = {concept_id}
        if descendants:
            ids |= {
                row["descendant_concept_id"]
                for row in self.ancestors
                if row["ancestor_concept_id"] == concept_id
            }
        return ids

    def moved(self, date: datetime.date | None, pid: int) -> datetime.date | None:
        return None if date is None else date - datetime.timedelta(days=self.shift[pid])

    def person(self) -> list[tuple[Any, ...]]:
        locations = {row["location_id"]: row for row in read(self.source, "location")}
        sites = {row["care_site_id"]: row for row in read(self.source, "care_site")}
        rows = []
        for row in read(self.source, "person"):
            pid = row["person_id"]
            if pid not in self.cohort:
                continue
            rows.append(
                (
                    self.research_id[pid],
                    row["year_of_birth"],
                    self.name(row["gender_concept_id"]),
                    self.name(row["race_concept_id"]),
                    self.name(row["ethnicity_concept_id"]),
                    locations[row["location_id"]]["zip"][:3],
                    sites[row["care_site_id"]]["care_site_source_value"],
                )
            )
        return sorted(rows)

    def condition(self) -> list[tuple[Any, ...]]:
        ids = self.concept_set(DIABETES, True)
        return sorted(
            (
                self.research_id[row["person_id"]],
                row["condition_concept_id"],
                self.concepts[row["condition_concept_id"]]["concept_name"],
                self.moved(row["condition_start_date"], row["person_id"]),
                self.moved(row["condition_end_date"], row["person_id"]),
            )
            for row in read(self.source, "condition_occurrence")
            if row["person_id"] in self.cohort and row["condition_concept_id"] in ids
        )

    def measurement(self) -> list[tuple[Any, ...]]:
        return sorted(
            (
                self.research_id[row["person_id"]],
                row["measurement_concept_id"],
                self.concepts[row["measurement_concept_id"]]["concept_name"],
                self.moved(row["measurement_date"], row["person_id"]),
                row["value_as_number"],
                row["unit_source_value"],
            )
            for row in read(self.source, "measurement")
            if row["person_id"] in self.cohort and row["measurement_concept_id"] == SYSTOLIC
        )

    def drug(self) -> list[tuple[Any, ...]]:
        ids = self.concept_set(DIABETES_DRUGS, True)
        return sorted(
            (
                self.research_id[row["person_id"]],
                row["drug_concept_id"],
                self.moved(row["drug_exposure_start_date"], row["person_id"]),
                self.moved(row["drug_exposure_end_date"], row["person_id"]),
                row["days_supply"],
            )
            for row in read(self.source, "drug_exposure")
            if row["person_id"] in self.cohort and row["drug_concept_id"] in ids
        )

    def tables(self) -> dict[str, list[tuple[Any, ...]]]:
        return {
            "person": self.person(),
            "condition": self.condition(),
            "drug": self.drug(),
            "measurement": self.measurement(),
        }


@pytest.fixture(scope="module")
def oracle(con: BaseBackend, built: tuple[Path, Path]) -> Oracle:
    return Oracle(con, built[0])


def as_rows(table: pa.Table) -> list[tuple[Any, ...]]:
    return sorted(tuple(row.values()) for row in table.to_pylist())


def exported(path: Path, fmt: str) -> dict[str, pa.Table]:
    """The tables of an export, read back with pyarrow (CSV with the dataset's column types)."""
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("dataset.json"))
        tables = {}
        for item in manifest["tables"]:
            data = archive.read(item["file"])
            if fmt == "parquet":
                tables[item["name"]] = pq.read_table(pa.BufferReader(data))
            else:
                tables[item["name"]] = pa_csv.read_csv(
                    pa.BufferReader(data),
                    convert_options=pa_csv.ConvertOptions(
                        column_types=CSV_TYPES,
                        strings_can_be_null=True,
                        quoted_strings_can_be_null=False,
                    ),
                )
    return tables


CSV_TYPES = {
    "research_id": pa.int64(),
    "year_of_birth": pa.int32(),
    "zip3": pa.string(),
    "concept_id": pa.int32(),
    "start_date": pa.date32(),
    "end_date": pa.date32(),
    "date": pa.date32(),
    "value": pa.float64(),
    "days_supply": pa.int32(),
}


# --- de-identification ---------------------------------------------------------------------


def test_the_date_shift_is_1_to_364_days_fixed_per_participant_and_differs_between_them() -> None:
    first = keys_table(KEY, RELEASE, range(1, 5001)).to_pydict()
    again = keys_table(KEY, RELEASE, range(1, 5001)).to_pydict()
    next_release = keys_table(KEY, "another release", range(1, 5001)).to_pydict()

    assert min(first["shift_days"]) == 1
    assert max(first["shift_days"]) == 364
    assert first["shift_days"] == [expected_shift(pid) for pid in range(1, 5001)]
    assert again == first
    # The shift is the participant's in every release; the research ids are per release.
    assert next_release["shift_days"] == first["shift_days"]
    assert next_release["research_id"] != first["research_id"]
    assert len(set(first["shift_days"])) == 364
    assert sorted(first["research_id"]) == list(
        range(RESEARCH_ID_BASE + 1, RESEARCH_ID_BASE + 5001)
    )


def test_dates_move_by_the_participants_own_shift_in_every_table_and_every_run(
    con: BaseBackend, keys: Path, built: tuple[Path, Path]
) -> None:
    # The oracle moves every date of a participant, in every table, by the one documented
    # shift; two runs must both equal it.
    first = dataset_tables(con, cohort(con), SPEC, keys)
    second = dataset_tables(con, cohort(con), SPEC, keys)
    unshifted = Oracle(con, built[0], shift=False)
    shifted = Oracle(con, built[0])

    for name in ("condition", "drug", "measurement"):
        assert as_rows(first[name].to_pyarrow()) == as_rows(second[name].to_pyarrow())
        assert as_rows(first[name].to_pyarrow()) == getattr(shifted, name)()
    moved = {
        (row[0], row[1], original[3], row[3])
        for row, original in zip(shifted.condition(), unshifted.condition(), strict=True)
    }
    days = {(rid, (true - shown).days) for rid, _concept, true, shown in moved}
    by_participant: dict[int, set[int]] = {}
    for rid, value in days:
        by_participant.setdefault(rid, set()).add(value)
    assert all(len(values) == 1 for values in by_participant.values())
    assert {rid: values.pop() for rid, values in by_participant.items()} == {
        rid: expected_shift(shifted.person_of[rid]) for rid in by_participant
    }
    assert len({expected_shift(shifted.person_of[rid]) for rid in by_participant}) > 1


def test_zip_codes_keep_three_digits(con: BaseBackend, keys: Path, oracle: Oracle) -> None:
    person = dataset_tables(con, cohort(con), SPEC, keys)["person"].to_pyarrow()
    zips = person.column("zip3").to_pylist()

    assert len(zips) == len(oracle.cohort)
    assert all(len(code) == 3 and code.isdigit() for code in zips)
    assert sorted(zips) == sorted(row[5] for row in oracle.person())


def test_no_warehouse_person_id_leaves(con: BaseBackend, keys: Path, tmp_path: Path) -> None:
    out = tmp_path / "export.zip"
    dataset_export(con, cohort(con), SPEC, keys, out_path=out, fmt="parquet")
    tables = exported(out, "parquet")
    person_ids = set(range(1, PARTICIPANTS + 1))

    for table in tables.values():
        assert "person_id" not in table.column_names
        assert table.column_names[0] == "research_id"
        research_ids = set(table.column("research_id").to_pylist())
        assert research_ids.isdisjoint(person_ids)
        assert all(
            RESEARCH_ID_BASE < value <= RESEARCH_ID_BASE + PARTICIPANTS for value in research_ids
        )


def test_controlled_tier_dates_are_not_moved(
    con: BaseBackend, keys: Path, built: tuple[Path, Path]
) -> None:
    spec = DatasetSpec(SPEC.concept_sets, SPEC.columns, shift_dates=False)
    tables = dataset_tables(con, cohort(con), spec, keys)

    assert (
        as_rows(tables["condition"].to_pyarrow()) == Oracle(con, built[0], shift=False).condition()
    )


# --- preview and export against the oracle -------------------------------------------------


# Each table's sort key in the oracle's tuples: research id, first date, concept id.
SORT_KEYS = {
    "person": (0,),
    "condition": (0, 3, 1),
    "drug": (0, 2, 1),
    "measurement": (0, 3, 1),
}


# The preview reads its first 100 people's events first; with 1 it has too few rows of every
# table and falls back to the whole cohort: the same rows either way.
@pytest.mark.parametrize("first_people", [100, 1])
def test_the_preview_is_the_first_twenty_rows_of_each_table(
    con: BaseBackend,
    keys: Path,
    oracle: Oracle,
    first_people: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(dataset_module, "PREVIEW_PEOPLE", first_people)
    preview = dataset_preview(con, cohort(con), SPEC, keys)
    expected = oracle.tables()

    assert [table["table"] for table in preview] == ["person", "condition", "drug", "measurement"]
    assert preview[0]["columns"] == ["research_id", *PERSON_COLUMNS]
    for table in preview:
        key = SORT_KEYS[table["table"]]
        ordered = sorted(expected[table["table"]], key=lambda row: tuple(row[i] for i in key))
        shown = [tuple(_value(value) for value in row) for row in table["rows"]]
        assert len(shown) == 20
        assert [tuple(row[i] for i in key) for row in shown] == [
            tuple(row[i] for i in key) for row in ordered[:20]
        ]
        assert set(shown) <= set(ordered)


def _value(value: Any) -> Any:
    """A preview value as the oracle has it (the preview gives dates as ISO text)."""
    try:
        return datetime.date.fromisoformat(value)
    except (TypeError, ValueError):
        return value


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_the_export_holds_exactly_the_oracles_rows(
    con: BaseBackend, keys: Path, oracle: Oracle, tmp_path: Path, fmt: str
) -> None:
    out = tmp_path / "workspace" / f"dataset.{fmt}.zip"
    seen: list[int] = []

    counts = dataset_export(
        con, cohort(con), SPEC, keys, out_path=out, fmt=fmt, progress=seen.append
    )
    tables = exported(out, fmt)
    expected = oracle.tables()

    assert {name: as_rows(table) for name, table in tables.items()} == expected
    assert counts == {name: len(rows) for name, rows in expected.items()}
    assert seen == sorted(seen)
    assert seen[-1] == 100
    assert sorted(path.name for path in out.parent.iterdir()) == [out.name]


def test_an_export_that_fails_leaves_no_file(con: BaseBackend, keys: Path, tmp_path: Path) -> None:
    out = tmp_path / "workspace" / "dataset.zip"

    def interrupted(percent: int) -> None:
        if percent > 0:
            raise RuntimeError("the worker stopped")

    with pytest.raises(RuntimeError):
        dataset_export(
            con, cohort(con), SPEC, keys, out_path=out, fmt="parquet", progress=interrupted
        )

    assert list(out.parent.iterdir()) == []


def test_an_export_clears_what_a_killed_export_left_behind(
    con: BaseBackend, keys: Path, tmp_path: Path
) -> None:
    out = tmp_path / "workspace" / "dataset.zip"
    (out.parent / ".dataset.zip.0123.parts").mkdir(parents=True)
    (out.parent / ".dataset.zip.0123.parts" / "person.parquet").write_bytes(b"half")
    (out.parent / ".dataset.zip.0123.tmp").write_bytes(b"half")
    (out.parent / "other.zip").write_bytes(b"another dataset")

    dataset_export(con, cohort(con), SPEC, keys, out_path=out, fmt="parquet")

    assert sorted(path.name for path in out.parent.iterdir()) == ["dataset.zip", "other.zip"]


def test_unknown_and_mismatched_concepts_are_refused(con: BaseBackend, keys: Path) -> None:
    with pytest.raises(DatasetError, match="concept 999999999 is not in this data release"):
        dataset_tables(con, cohort(con), DatasetSpec((ConceptSet("condition", 999999999),)), keys)
    with pytest.raises(DatasetError, match="not a condition concept"):
        dataset_tables(con, cohort(con), DatasetSpec((ConceptSet("condition", SYSTOLIC),)), keys)
    with pytest.raises(DatasetError, match="has no column"):
        dataset_tables(con, cohort(con), DatasetSpec((), {"person": ("person_id",)}), keys)


# --- the code that loads an export ---------------------------------------------------------


@pytest.mark.parametrize(("fmt", "concept_id_type"), [("parquet", "int32"), ("csv", "int64")])
def test_the_pandas_snippet_loads_the_export(
    con: BaseBackend, keys: Path, tmp_path: Path, fmt: str, concept_id_type: str
) -> None:
    out = tmp_path / "my-dataset-7.zip"
    counts = dataset_export(con, cohort(con), SPEC, keys, out_path=out, fmt=fmt)
    code = snippets(out.name, list(counts), fmt, {t: SPEC.columns_of(t) for t in counts})
    check = "\n".join(
        [
            code["pandas"],
            "import json",
            "print(json.dumps({",
            *[f"    {table!r}: [len({table}), str({table}.dtypes.iloc[1])]," for table in counts],
            "}))",
        ]
    )

    result = subprocess.run(
        [sys.executable, "-c", check], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    loaded = json.loads(result.stdout)

    assert {table: rows for table, (rows, _dtype) in loaded.items()} == counts
    assert loaded["measurement"][1] == concept_id_type
    assert "import polars as pl" in code["polars"]
    assert f'unzip("{out.name}", exdir = "my-dataset-7")' in code["r"]
    assert io.StringIO(code["r"]).read().count("<-") >= len(counts)


# --- the workbench: services, the task, the pages --------------------------------------------
# Django from here on. The release row points at the warehouse built above; its concepts are
# the ones the datasets use.

FEMALE_COHORT = {
    "version": 1,
    "include": [{"items": [{"domain": "demographic", "field": "sex", "values": ["female"]}]}],
}
CONCEPT_SETS = [
    {"domain": "condition", "concept_id": DIABETES, "descendants": True},
    {"domain": "measurement", "concept_id": SYSTOLIC, "descendants": False},
]
COLUMNS = {
    "person": ["year_of_birth", "sex_at_birth", "zip3"],
    "measurement": ["concept_id", "date", "value", "unit"],
}


class InstitutionFactory(DjangoModelFactory[Institution]):
    class Meta:
        model = Institution

    name = factory.Sequence(lambda n: f"University {n}")
    agreement_signed_on = datetime.date(2024, 1, 1)
    agreement_expires_on = datetime.date(2099, 1, 1)


class WorkspaceFactory(DjangoModelFactory[Workspace]):
    class Meta:
        model = Workspace

    name = factory.Sequence(lambda n: f"Project {n}")
    purpose = "Blood pressure in diabetes."
    owner = factory.SubFactory(UserFactory, two_factor=True)
    institution = factory.SubFactory(InstitutionFactory)


class SavedCohortFactory(DjangoModelFactory[SavedCohort]):
    class Meta:
        model = SavedCohort

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Sequence(lambda n: f"Cohort {n}")
    definition = factory.LazyFunction(lambda: dict(FEMALE_COHORT))
    created_by = factory.LazyAttribute(lambda cohort: cohort.workspace.owner)


def registered(user: Any) -> Any:
    """Registered access by staff bypasses of every requirement but two-factor sign-in, which
    the person has for real (UserFactory two_factor=True)."""
    staff = UserFactory.create()
    for requirement in (
        Requirement.IDENTITY,
        Requirement.TRAINING,
        Requirement.CONDUCT,
        Requirement.INSTITUTION,
    ):
        AccessBypass.objects.create(
            user=user,
            requirement=requirement,
            reason="test",
            ends_on=timezone.localdate() + datetime.timedelta(days=30),
            granted_by=staff,
        )
    return user


def signed_in(user: Any) -> Client:
    """A client whose session completed two-factor sign-in."""
    client = Client()
    client.force_login(user)
    session = client.session
    session[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = user_id_to_str(user)
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [{"method": "mfa", "at": time.time()}]
    session.save()
    return client


def _site_urls() -> list[Any]:
    """The site's URLs; the access pages access.py links to (research:access, :conduct) are
    stood in for while this branch has none, and are the real ones once it has."""
    from django.http import HttpResponse
    from django.urls import URLPattern, include, path

    from config import urls as site
    from tapestry.research import urls as research

    names = {pattern.name for pattern in research.urlpatterns if isinstance(pattern, URLPattern)}
    stand_in = [
        path(f"research/{name}/", lambda request, text=name: HttpResponse(text), name=name)
        for name in ("access", "conduct")
        if name not in names
    ]
    others = [
        pattern for pattern in site.urlpatterns if getattr(pattern, "namespace", "") != "research"
    ]
    return [*others, path("", include(([*research.urlpatterns, *stand_in], "research")))]


urlpatterns = _site_urls()


@pytest.fixture
def research_dir(settings: Settings, tmp_path: Path) -> Path:
    settings.ROOT_URLCONF = __name__
    settings.RESEARCH_DATA_DIR = tmp_path / "research"
    settings.RESEARCH_DATASET_KEY = KEY.decode()
    return settings.RESEARCH_DATA_DIR


@pytest.fixture
def release(db: None, built: tuple[Path, Path], research_dir: Path) -> Iterator[Release]:
    release = ReleaseFactory.create(
        version=RELEASE, warehouse_path=str(built[1] / "warehouse.duckdb")
    )
    ConceptSummaryFactory.create(release=release, concept_id=DIABETES, domain=Domain.CONDITION)
    ConceptSummaryFactory.create(release=release, concept_id=SYSTOLIC, measurement=True)
    yield release
    engines_close()


@pytest.fixture
def alice(release: Release) -> Any:
    return registered(
        UserFactory.create(two_factor=True, roles=[Role.RESEARCHER], email="alice@example.edu")
    )


@pytest.fixture
def workspace(alice: Any) -> Workspace:
    return WorkspaceFactory.create(owner=alice)


@pytest.fixture
def cohort_saved(workspace: Workspace) -> SavedCohort:
    return SavedCohortFactory.create(workspace=workspace)


def create(alice: Any, workspace: Workspace, cohort_saved: SavedCohort, **changes: Any) -> Any:
    arguments: dict[str, Any] = {
        "user": alice,
        "workspace": workspace,
        "name": "Systolic in diabetes",
        "cohort_id": cohort_saved.pk,
        "concept_sets": CONCEPT_SETS,
        "columns": COLUMNS,
        "fmt": "parquet",
    } | changes
    return dataset_create(**arguments)


def files_under(folder: Path) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file())


def test_a_dataset_is_built_by_the_task_with_progress_and_logged(
    alice: Any,
    workspace: Workspace,
    cohort_saved: SavedCohort,
    research_dir: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        dataset = create(alice, workspace, cohort_saved)

    dataset.refresh_from_db()
    name = f"systolic-in-diabetes-{dataset.pk}.zip"
    folder = research_dir / "workspaces" / str(workspace.public_id)
    assert (dataset.status, dataset.error) == (Dataset.Status.READY, "")
    assert dataset.progress == 100
    assert dataset.file_path == str(folder / name)
    assert files_under(folder) == [name]
    with zipfile.ZipFile(dataset.file_path) as archive:
        manifest = json.loads(archive.read("dataset.json"))
    assert [table["name"] for table in manifest["tables"]] == ["person", "condition", "measurement"]
    assert manifest["dates_shifted"] is True
    assert dataset.rows == sum(table["rows"] for table in manifest["tables"])
    assert list(
        ResearchLogEntry.objects.filter(user=alice)
        .order_by("at", "id")
        .values_list("action", "summary")
    ) == [
        (
            "dataset_build",
            f"Dataset 'Systolic in diabetes' requested from cohort '{cohort_saved.name}'",
        ),
        ("dataset_build", f"Dataset 'Systolic in diabetes' built: {dataset.rows} rows"),
    ]


@pytest.mark.django_db(transaction=True)
def test_the_database_worker_builds_a_queued_dataset(
    settings: Settings, built: tuple[Path, Path], research_dir: Path
) -> None:
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    assert type(task_backends["default"]) is DatabaseBackend
    release = ReleaseFactory.create(
        version=RELEASE, warehouse_path=str(built[1] / "warehouse.duckdb")
    )
    ConceptSummaryFactory.create(release=release, concept_id=DIABETES, domain=Domain.CONDITION)
    ConceptSummaryFactory.create(release=release, concept_id=SYSTOLIC, measurement=True)
    alice = registered(UserFactory.create(two_factor=True, roles=[Role.RESEARCHER]))
    workspace = WorkspaceFactory.create(owner=alice)
    dataset = create(alice, workspace, SavedCohortFactory.create(workspace=workspace), fmt="csv")
    assert Dataset.objects.get(pk=dataset.pk).status == Dataset.Status.QUEUED

    try:
        call_command(
            "db_worker", "--batch", "--no-startup-delay", stdout=io.StringIO(), stderr=io.StringIO()
        )
    finally:
        engines_close()

    dataset.refresh_from_db()
    assert dataset.status == Dataset.Status.READY
    assert dataset.progress == 100
    with zipfile.ZipFile(dataset.file_path) as archive:
        assert sorted(archive.namelist()) == [
            "condition.csv",
            "dataset.json",
            "measurement.csv",
            "person.csv",
        ]


def test_a_build_that_fails_is_marked_failed_with_the_reason_and_leaves_no_file(
    alice: Any, workspace: Workspace, research_dir: Path, django_capture_on_commit_callbacks: Any
) -> None:
    # A concept the summaries know but the warehouse does not: the engine refuses it.
    broken = SavedCohortFactory.create(
        workspace=workspace,
        definition={
            "version": 1,
            "include": [{"items": [{"domain": "condition", "concept_id": 999999999}]}],
        },
    )
    with django_capture_on_commit_callbacks(execute=True):
        dataset = create(alice, workspace, broken)

    dataset.refresh_from_db()
    assert dataset.status == Dataset.Status.FAILED
    assert "999999999" in dataset.error
    assert dataset.file_path == ""
    assert files_under(research_dir / "workspaces") == []
    assert list(
        ResearchLogEntry.objects.filter(user=alice)
        .order_by("at", "id")
        .values_list("summary", flat=True)
    ) == [
        f"Dataset 'Systolic in diabetes' requested from cohort '{broken.name}'",
        "Dataset 'Systolic in diabetes' failed",
    ]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": " "}, "Give the dataset a name."),
        ({"fmt": "xlsx"}, "Choose Parquet or CSV."),
        ({"cohort_id": "abc"}, "Choose one of this workspace's saved cohorts."),
        (
            {"concept_sets": [{"domain": "condition", "concept_id": SYSTOLIC}]},
            f"Concept {SYSTOLIC} is not a condition concept of this data release.",
        ),
        (
            {"concept_sets": [{"domain": "visit", "concept_id": 9201}]},
            "Concept sets are conditions, drugs, measurements, procedures or observations.",
        ),
        (
            {"concept_sets": [{"domain": "condition", "concept_id": DIABETES}] * 21},
            "Choose at most 20 concept sets.",
        ),
        (
            {"concept_sets": [], "columns": {"person": []}},
            "Choose person columns or at least one concept set, from the columns offered.",
        ),
        (
            {"columns": {"person": ["person_id"]}},
            "Choose person columns or at least one concept set, from the columns offered.",
        ),
    ],
)
def test_a_bad_request_is_refused_and_nothing_is_saved(
    alice: Any,
    workspace: Workspace,
    cohort_saved: SavedCohort,
    changes: dict[str, Any],
    message: str,
) -> None:
    with pytest.raises(DatasetRefused) as refusal:
        create(alice, workspace, cohort_saved, **changes)

    assert str(refusal.value) == message
    assert Dataset.objects.count() == 0
    assert ResearchLogEntry.objects.count() == 0


def test_another_workspaces_cohort_is_refused(
    alice: Any, workspace: Workspace, release: Release
) -> None:
    elsewhere = SavedCohortFactory.create()

    with pytest.raises(DatasetRefused):
        create(alice, workspace, elsewhere)

    assert Dataset.objects.count() == 0


def test_the_pages_create_preview_follow_and_download_a_dataset(
    alice: Any,
    workspace: Workspace,
    cohort_saved: SavedCohort,
    research_dir: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = signed_in(alice)
    base = f"/research/workspaces/{workspace.public_id}/datasets"
    assert client.get(f"{base}/new/").status_code == 200
    nothing = client.get(f"{base}/concepts/?q=zzzz")
    found = client.get(f"{base}/concepts/?q=condition&domain=Condition")
    chosen = client.get(f"{base}/concept/?concept_id={DIABETES}")
    assert "No condition, drug, measurement, procedure or observation matches" in (
        nothing.content.decode()
    )
    assert f"/datasets/concept/?concept_id={DIABETES}" in found.content.decode()
    assert f"/datasets/concept/?concept_id={SYSTOLIC}" not in found.content.decode()
    assert f'value="condition:{DIABETES}" checked' in chosen.content.decode()
    assert client.get(f"{base}/concept/?concept_id=999999999").status_code == 404

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"{base}/new/",
            {
                "name": "Systolic in diabetes",
                "cohort": str(cohort_saved.pk),
                "format": "csv",
                "concept": [f"condition:{DIABETES}", f"measurement:{SYSTOLIC}"],
                "descendants": [str(DIABETES)],
                "columns_person": ["year_of_birth", "zip3"],
                "columns_measurement": ["concept_id", "date", "value"],
            },
        )
    dataset = Dataset.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{base}/{dataset.pk}/"
    assert dataset.concept_sets == [
        {"domain": "condition", "concept_id": DIABETES, "descendants": True},
        {"domain": "measurement", "concept_id": SYSTOLIC, "descendants": False},
    ]
    assert dataset.status == Dataset.Status.READY

    page = client.get(f"{base}/{dataset.pk}/")
    preview = client.get(f"{base}/{dataset.pk}/preview/")
    status = client.get(f"{base}/{dataset.pk}/status/")
    download = client.get(f"{base}/{dataset.pk}/download/")

    assert page.status_code == 200
    assert f"systolic-in-diabetes-{dataset.pk}.zip" in page.content.decode()
    assert "pd.read_csv(" in page.content.decode()
    assert preview.status_code == 200
    assert preview.context["tables"][0]["columns"] == ["research_id", "year_of_birth", "zip3"]
    assert status["HX-Refresh"] == "true"
    assert download.status_code == 200
    assert download["Content-Disposition"] == (
        f'attachment; filename="systolic-in-diabetes-{dataset.pk}.zip"'
    )
    assert b"".join(download.streaming_content) == Path(dataset.file_path).read_bytes()  # type: ignore[attr-defined]
    assert list(
        ResearchLogEntry.objects.filter(user=alice, action__startswith="dataset_")
        .order_by("at", "id")
        .values_list("action", flat=True)
    ) == ["dataset_build", "dataset_build", "dataset_build", "dataset_export"]


def test_a_form_with_errors_is_shown_again_with_a_400_and_nothing_saved(
    alice: Any, workspace: Workspace, cohort_saved: SavedCohort
) -> None:
    client = signed_in(alice)

    response = client.post(
        f"/research/workspaces/{workspace.public_id}/datasets/new/",
        {"name": "x", "cohort": str(cohort_saved.pk), "format": "csv", "concept": ["nonsense"]},
    )

    assert response.status_code == 400
    assert "A concept set has no valid concept." in response.content.decode()
    assert Dataset.objects.count() == 0


def test_another_researchers_workspace_and_dataset_are_not_found_and_nothing_is_written(
    alice: Any,
    workspace: Workspace,
    cohort_saved: SavedCohort,
    research_dir: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        dataset = create(alice, workspace, cohort_saved)
    bob = registered(UserFactory.create(two_factor=True, roles=[Role.RESEARCHER]))
    client = signed_in(bob)
    logged = ResearchLogEntry.objects.count()
    files = files_under(research_dir)
    base = f"/research/workspaces/{workspace.public_id}/datasets"

    responses = [
        client.get(f"{base}/new/"),
        client.post(
            f"{base}/new/",
            {
                "name": "Bob's",
                "cohort": str(cohort_saved.pk),
                "format": "csv",
                "concept": [f"condition:{DIABETES}"],
            },
        ),
        client.get(f"{base}/concepts/?q=diabetes"),
        client.get(f"{base}/concept/?concept_id={DIABETES}"),
        client.get(f"{base}/{dataset.pk}/"),
        client.get(f"{base}/{dataset.pk}/status/"),
        client.get(f"{base}/{dataset.pk}/preview/"),
        client.get(f"{base}/{dataset.pk}/download/"),
    ]

    assert [response.status_code for response in responses] == [404] * 8
    assert Dataset.objects.count() == 1
    assert ResearchLogEntry.objects.count() == logged
    assert files_under(research_dir) == files


def test_a_dataset_of_another_workspace_of_the_same_researcher_is_not_found(
    alice: Any, workspace: Workspace, cohort_saved: SavedCohort
) -> None:
    dataset = create(alice, workspace, cohort_saved)
    other = WorkspaceFactory.create(owner=alice)
    client = signed_in(alice)

    response = client.get(f"/research/workspaces/{other.public_id}/datasets/{dataset.pk}/")

    assert response.status_code == 404


def test_the_workspace_page_lists_its_datasets(
    alice: Any, workspace: Workspace, cohort_saved: SavedCohort
) -> None:
    dataset = create(alice, workspace, cohort_saved)

    html = render_to_string("research/workbench/_workspace_datasets.html", {"workspace": workspace})

    assert f'href="/research/workspaces/{workspace.public_id}/datasets/{dataset.pk}/"' in html
    assert "Systolic in diabetes" in html
    assert "Waiting to start" in html
    assert f'href="/research/workspaces/{workspace.public_id}/datasets/new/"' in html
