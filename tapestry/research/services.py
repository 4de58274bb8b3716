import logging
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import duckdb
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tapestry.core.api import audit_record
from tapestry.research.models import (
    CategorySummary,
    ConceptSummary,
    ConceptTerm,
    Dataset,
    DomainSummary,
    EnrollmentSummary,
    Release,
    ResearchLogEntry,
    RuralZipList,
    SavedCohort,
    SurveyQuestionSummary,
    Tier,
    Workspace,
)
from tapestry.research.privacy import round_count
from tapestry.research.search import normalize
from tapestry.research.warehouse.release import ReleaseError, ReleaseSummaries, release_build
from tapestry.research.warehouse.rural import RuralList

logger = logging.getLogger(__name__)


class ReleaseInProgress(Exception):
    """Another build of the same version is under way."""


def release_create(*, source: Path, version: str | None = None, actor: object = None) -> Release:
    """Build a release from generated data and publish it when every summary is stored.

    The release is `building` while it runs, so the Data Browser keeps serving the previous
    ready release; on failure it is marked `failed` with the reason and nothing is published.
    Raises ReleaseError for data that cannot be built and ReleaseInProgress for a duplicate.
    """
    version = version or timezone.now().strftime("R%Y-%m-%d-%H%M%S")
    release, created = Release.objects.get_or_create(
        version=version, defaults={"source_path": str(source)}
    )
    if not created:
        if release.status == Release.Status.BUILDING:
            raise ReleaseInProgress(f"Release {version} is already being built.")
        if release.status == Release.Status.READY:
            raise ReleaseInProgress(f"Release {version} already exists.")
        release.status, release.error = Release.Status.BUILDING, ""
        release.save(update_fields=["status", "error"])
    target = Path(settings.RESEARCH_DATA_DIR) / "releases" / version
    started = time.perf_counter()
    rural_lists = rural_lists_loaded()
    try:
        summaries = release_build(source, target, rural_lists=rural_lists)
    except (ReleaseError, OSError) as error:
        release.status, release.error = Release.Status.FAILED, str(error)
        release.save(update_fields=["status", "error"])
        raise ReleaseError(str(error)) from error
    with transaction.atomic():
        _summaries_store(release, summaries)
        release.status = Release.Status.READY
        release.warehouse_path = str(target / "warehouse.duckdb")
        release.participants = summaries.participants
        release.events = summaries.events
        release.cutoff_date = summaries.cutoff_date
        release.finished_at = timezone.now()
        release.seconds = round(time.perf_counter() - started, 2)
        release.rural_zip_lists = [
            {
                "name": item.name,
                "effective_from": item.effective_from.isoformat(),
                "zip_codes": len(item.zip_codes),
            }
            for item in sorted(rural_lists, key=lambda item: item.effective_from)
        ]
        release.save()
        audit_record(
            actor=actor,
            action="research.release",
            target=release,
            summary=version,
            data={"participants": summaries.participants, "source": str(source)},
        )
    return release


def rural_lists_loaded() -> list[RuralList]:
    """Every loaded FORHP rural ZIP list, oldest first, for the release builder."""
    return [
        RuralList(
            name=row.name,
            effective_from=row.effective_from,
            zip_codes=frozenset(row.zip_codes),
        )
        for row in RuralZipList.objects.order_by("effective_from")
    ]


def rural_zips_latest() -> tuple[str, frozenset[str]] | None:
    """The name and ZIP codes of the newest loaded list (the generator's rural places)."""
    row = RuralZipList.objects.order_by("-effective_from").first()
    return None if row is None else (row.name, frozenset(row.zip_codes))


def _summaries_store(release: Release, summaries: ReleaseSummaries) -> None:
    DomainSummary.objects.bulk_create(
        DomainSummary(release=release, **row) for row in summaries.domains
    )
    search = summaries.search_terms
    concepts = ConceptSummary.objects.bulk_create(
        (
            ConceptSummary(
                release=release,
                name_es=search.get(row["concept_id"], {}).get("name_es", ""),
                participants_shown=round_count(row["participants"]),
                **row,
            )
            for row in summaries.concepts
        ),
        batch_size=500,
    )
    concept_terms_create(
        (concept, search.get(concept.concept_id, {}).get("terms", [])) for concept in concepts
    )
    EnrollmentSummary.objects.bulk_create(
        (EnrollmentSummary(release=release, **row) for row in summaries.enrollment),
        batch_size=1000,
    )
    CategorySummary.objects.bulk_create(
        (CategorySummary(release=release, **row) for row in summaries.categories),
        batch_size=1000,
    )
    SurveyQuestionSummary.objects.bulk_create(
        SurveyQuestionSummary(release=release, **row) for row in summaries.surveys
    )


def concept_terms_create(
    concepts: Iterable[tuple[ConceptSummary, Iterable[tuple[str, str, str]]]],
) -> None:
    """Store the terms that find each concept: its English and Spanish names and its code,
    then the (kind, language, text) given with it (synonyms, source codes). A term whose
    normalized text the concept already has is stored once; one with no letter or digit is
    not stored (it could never match)."""
    terms: list[ConceptTerm] = []
    for concept, extra in concepts:
        seen: set[str] = set()
        own = [
            (ConceptTerm.Kind.NAME, "en", concept.name),
            (ConceptTerm.Kind.NAME, "es", concept.name_es),
            (ConceptTerm.Kind.CODE, "", concept.code),
        ]
        for kind, language, text in [*own, *extra]:
            normalized = normalize(text)[:255]
            if not normalized or normalized in seen:
                continue
            seen.add(normalized)
            terms.append(
                ConceptTerm(
                    concept=concept,
                    kind=kind,
                    language=language,
                    text=text[:255],
                    normalized=normalized,
                )
            )
    ConceptTerm.objects.bulk_create(terms, batch_size=2000)


# --- The researcher workbench --------------------------------------------------------------


def research_log_record(
    *,
    user: Any,
    action: ResearchLogEntry.Action,
    summary: str,
    workspace: Workspace | None = None,
    actor: Any = None,
    data: dict[str, Any] | None = None,
) -> ResearchLogEntry:
    """Append to the research log (call it inside the action's transaction, so both land or
    neither). `user` is the researcher the action concerns; `actor` who did it when that was
    someone else (program staff)."""
    return ResearchLogEntry.objects.create(
        user=user if getattr(user, "is_authenticated", False) else None,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        workspace=workspace,
        summary=summary[:500],
        data=data or {},
    )


# --- Datasets -------------------------------------------------------------------------------
# A dataset is created (checked, saved, queued) here and built by a background task
# (tasks.dataset_build_task -> dataset_build); warehouse/dataset.py does the de-identified
# rows and the export.

DATASET_MAX_CONCEPT_SETS = 20
DATASET_NAME_MAX = 200


class DatasetRefused(Exception):
    """A dataset request that cannot be accepted; the message is for the researcher."""


def dataset_key() -> bytes:
    """The secret the research ids and date shifts derive from (warehouse/dataset.py):
    settings.RESEARCH_DATASET_KEY when set, else one derived from SECRET_KEY. Changing it
    changes every research id and date shift of every later dataset."""
    import hashlib
    import hmac

    configured = getattr(settings, "RESEARCH_DATASET_KEY", "")
    if configured:
        return str(configured).encode()
    return hmac.new(
        settings.SECRET_KEY.encode(), b"tapestry.research.dataset-key", hashlib.sha256
    ).digest()


def dataset_dates_shifted(*, workspace: Workspace, user: Any) -> bool:
    """Dates are shifted unless the workspace is controlled-tier AND the person has controlled
    access now (worked out afresh, as every access decision)."""
    from tapestry.research.access import access_of

    if workspace.tier != Tier.CONTROLLED:
        return True
    return access_of(user).tier != Tier.CONTROLLED


def dataset_folder(workspace: Workspace) -> Path:
    """Where a workspace's dataset files live."""
    return Path(settings.RESEARCH_DATA_DIR) / "workspaces" / str(workspace.public_id)


def dataset_file_name(dataset: Dataset) -> str:
    """The export's file name: the dataset's name made safe, and its number."""
    from django.utils.text import slugify

    return f"{slugify(dataset.name)[:60] or 'dataset'}-{dataset.pk}.zip"


def dataset_create(
    *,
    user: Any,
    workspace: Workspace,
    name: str,
    cohort_id: Any,
    concept_sets: list[dict[str, Any]],
    columns: dict[str, list[str]],
    fmt: str,
) -> Dataset:
    """Check and save a dataset, log it, and queue its build once the transaction commits.

    `workspace` is the caller's (permissions.workspace_for, write=True); the cohort is looked
    up in it only. `concept_sets` are {"domain", "concept_id", "descendants"}; `columns` maps
    a table (warehouse/dataset.py TABLES) to column names. Raises DatasetRefused, saving
    nothing, for a missing or duplicate name, a cohort not in the workspace, no release, an
    unknown domain, concept, table, column or format, or more than DATASET_MAX_CONCEPT_SETS
    concept sets.
    """
    from django.utils.translation import gettext as _

    from tapestry.research.selectors import release_current
    from tapestry.research.warehouse import dataset as warehouse_dataset

    name = (name or "").strip()
    if not name:
        raise DatasetRefused(_("Give the dataset a name."))
    if len(name) > DATASET_NAME_MAX:
        raise DatasetRefused(
            _("Use at most %(limit)d characters for the name.") % {"limit": DATASET_NAME_MAX}
        )
    if workspace.archived_at is not None:
        raise DatasetRefused(_("This workspace is archived."))
    try:
        cohort = SavedCohort.objects.get(workspace=workspace, pk=int(cohort_id))
    except (SavedCohort.DoesNotExist, TypeError, ValueError):
        raise DatasetRefused(_("Choose one of this workspace's saved cohorts.")) from None
    release = release_current()
    if release is None:
        raise DatasetRefused(_("There is no data release to build a dataset from yet."))
    if fmt not in Dataset.Format.values:
        raise DatasetRefused(_("Choose Parquet or CSV."))
    if len(concept_sets) > DATASET_MAX_CONCEPT_SETS:
        raise DatasetRefused(
            _("Choose at most %(limit)d concept sets.") % {"limit": DATASET_MAX_CONCEPT_SETS}
        )
    cleaned_sets: list[dict[str, Any]] = []
    seen = set()
    for item in concept_sets:
        domain = str(item.get("domain", ""))
        try:
            concept_id = int(item.get("concept_id"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise DatasetRefused(_("A concept set has no valid concept.")) from None
        if domain not in warehouse_dataset.DOMAINS:
            raise DatasetRefused(
                _("Concept sets are conditions, drugs, measurements, procedures or observations.")
            )
        exists = ConceptSummary.objects.filter(
            release=release,
            concept_id=concept_id,
            domain=warehouse_dataset.EVENT_SOURCES[domain].concept_domain,
        ).exists()
        if not exists:
            raise DatasetRefused(
                _("Concept %(concept)s is not a %(domain)s concept of this data release.")
                % {"concept": concept_id, "domain": domain}
            )
        if (domain, concept_id) in seen:
            continue
        seen.add((domain, concept_id))
        cleaned_sets.append(
            {
                "domain": domain,
                "concept_id": concept_id,
                "descendants": bool(item.get("descendants")),
            }
        )
    cleaned_columns = {
        table: [str(column) for column in names] for table, names in columns.items() if names
    }
    spec = warehouse_dataset.DatasetSpec(
        concept_sets=tuple(warehouse_dataset.ConceptSet(**item) for item in cleaned_sets),
        columns={table: tuple(names) for table, names in cleaned_columns.items()},
    )
    try:
        warehouse_dataset.spec_check(spec)
    except warehouse_dataset.DatasetError:
        raise DatasetRefused(
            _("Choose person columns or at least one concept set, from the columns offered.")
        ) from None
    with transaction.atomic():
        if Dataset.objects.filter(workspace=workspace, name=name).exists():
            raise DatasetRefused(_("This workspace already has a dataset with that name."))
        dataset = Dataset.objects.create(
            workspace=workspace,
            cohort=cohort,
            release=release,
            name=name,
            concept_sets=cleaned_sets,
            columns=cleaned_columns,
            format=fmt,
            created_by=user,
        )
        research_log_record(
            user=user,
            action=ResearchLogEntry.Action.DATASET_BUILD,
            workspace=workspace,
            summary=f"Dataset {name!r} requested from cohort {cohort.name!r}",
            data={
                "dataset": dataset.pk,
                "cohort": cohort.pk,
                "release": release.version,
                "concept_sets": cleaned_sets,
                "columns": cleaned_columns,
                "format": fmt,
            },
        )
        dataset_id = dataset.pk
        transaction.on_commit(lambda: _dataset_enqueue(dataset_id))
    return dataset


def _dataset_enqueue(dataset_id: int) -> None:
    from tapestry.research.tasks import dataset_build_task

    dataset_build_task.enqueue(dataset_id=dataset_id)


def dataset_spec(dataset: Dataset, *, shift_dates: bool) -> Any:
    """The warehouse specification of a saved dataset."""
    from tapestry.research.warehouse import dataset as warehouse_dataset

    return warehouse_dataset.DatasetSpec(
        concept_sets=tuple(
            warehouse_dataset.ConceptSet(
                domain=item["domain"],
                concept_id=int(item["concept_id"]),
                descendants=bool(item["descendants"]),
            )
            for item in dataset.concept_sets
        ),
        columns={table: tuple(names) for table, names in dict(dataset.columns or {}).items()},
        shift_dates=shift_dates,
    )


def dataset_warehouse(dataset: Dataset) -> tuple[Any, Any, Path]:
    """(Ibis backend, the cohort's persons, the key table file) for the dataset's release; the
    key table is written on first use. Raises FileNotFoundError without a warehouse and the
    engine's DefinitionError for a definition the release cannot run."""
    from tapestry.research.warehouse import dataset as warehouse_dataset
    from tapestry.research.warehouse.cohort import engine_for
    from tapestry.research.warehouse.cohort_definition import definition_parse

    engine = engine_for(dataset.release.warehouse_path)
    definition = definition_parse(dataset.cohort.definition)
    engine.check(definition)
    persons = engine.persons(definition)
    key = dataset_key()
    keys = warehouse_dataset.keys_write(
        engine.con,
        key=key,
        release=dataset.release.version,
        path=Path(dataset.release.warehouse_path).parent / warehouse_dataset.keys_file_name(key),
    )
    return engine.con, persons, keys


def dataset_build(*, dataset_id: int) -> Dataset:
    """Build a queued dataset (the background task's work): BUILDING with progress as rows are
    written, then READY with its rows and file, or FAILED with the reason and no file. Dates
    are shifted unless the workspace is controlled-tier and its creator has controlled access
    now; a creator whose registered access has lapsed gets FAILED. A dataset no longer queued
    is left as it is."""
    from django.utils.translation import gettext as _

    from tapestry.research.access import access_of
    from tapestry.research.warehouse import dataset as warehouse_dataset
    from tapestry.research.warehouse.cohort_definition import DefinitionError

    with transaction.atomic():
        dataset = (
            Dataset.objects.select_for_update()
            .select_related("workspace", "cohort", "release", "created_by")
            .get(pk=dataset_id)
        )
        if dataset.status != Dataset.Status.QUEUED:
            return dataset
        dataset.status, dataset.progress = Dataset.Status.BUILDING, 0
        dataset.save(update_fields=["status", "progress"])

    def progress(percent: int) -> None:
        Dataset.objects.filter(pk=dataset_id).update(progress=min(max(percent, 0), 99))

    out_path = dataset_folder(dataset.workspace) / dataset_file_name(dataset)
    try:
        if not access_of(dataset.created_by).has(Tier.REGISTERED):
            raise DatasetRefused(_("The researcher's data access lapsed before the build."))
        con, persons, keys = dataset_warehouse(dataset)
        spec = dataset_spec(
            dataset,
            shift_dates=dataset_dates_shifted(workspace=dataset.workspace, user=dataset.created_by),
        )
        counts = warehouse_dataset.dataset_export(
            con, persons, spec, keys, out_path=out_path, fmt=dataset.format, progress=progress
        )
    except (
        DatasetRefused,
        DefinitionError,
        warehouse_dataset.DatasetError,
        OSError,
        duckdb.Error,
    ) as error:
        _dataset_failed(dataset, str(error))
        return dataset
    except Exception:
        logger.exception("dataset %s failed", dataset_id)
        _dataset_failed(dataset, _("The dataset could not be built because of an internal error."))
        raise
    with transaction.atomic():
        dataset.status = Dataset.Status.READY
        dataset.progress = 100
        dataset.rows = sum(counts.values())
        dataset.file_path = str(out_path)
        dataset.error = ""
        dataset.finished_at = timezone.now()
        dataset.save(
            update_fields=["status", "progress", "rows", "file_path", "error", "finished_at"]
        )
        research_log_record(
            user=dataset.created_by,
            action=ResearchLogEntry.Action.DATASET_BUILD,
            workspace=dataset.workspace,
            summary=f"Dataset {dataset.name!r} built: {dataset.rows} rows",
            data={"dataset": dataset.pk, "rows": counts, "dates_shifted": spec.shift_dates},
        )
    return dataset


def _dataset_failed(dataset: Dataset, reason: str) -> None:
    with transaction.atomic():
        dataset.status = Dataset.Status.FAILED
        dataset.error = reason[:2000]
        dataset.file_path = ""
        dataset.finished_at = timezone.now()
        dataset.save(update_fields=["status", "error", "file_path", "finished_at"])
        research_log_record(
            user=dataset.created_by,
            action=ResearchLogEntry.Action.DATASET_BUILD,
            workspace=dataset.workspace,
            summary=f"Dataset {dataset.name!r} failed",
            data={"dataset": dataset.pk, "error": reason[:500]},
        )


def dataset_preview_rows(*, user: Any, dataset: Dataset) -> list[dict[str, Any]]:
    """The first rows of each of the dataset's tables, de-identified as the export will be for
    this person, and logged. Raises DatasetRefused when the release cannot answer."""
    from django.utils.translation import gettext as _

    from tapestry.research.warehouse import dataset as warehouse_dataset
    from tapestry.research.warehouse.cohort import CohortTimeout
    from tapestry.research.warehouse.cohort_definition import DefinitionError

    shift_dates = dataset_dates_shifted(workspace=dataset.workspace, user=user)
    try:
        con, persons, keys = dataset_warehouse(dataset)
        preview = warehouse_dataset.dataset_preview(
            con, persons, dataset_spec(dataset, shift_dates=shift_dates), keys
        )
    except (
        DefinitionError,
        warehouse_dataset.DatasetError,
        OSError,
        duckdb.Error,
        CohortTimeout,
    ) as error:
        raise DatasetRefused(
            _("The preview could not be made: %(reason)s") % {"reason": error}
        ) from error
    research_log_record(
        user=user,
        action=ResearchLogEntry.Action.DATASET_BUILD,
        workspace=dataset.workspace,
        summary=f"Dataset {dataset.name!r} previewed",
        data={"dataset": dataset.pk, "preview": True, "dates_shifted": shift_dates},
    )
    return preview


def dataset_download_record(*, user: Any, dataset: Dataset) -> Path:
    """Log a download of a ready dataset (DATASET_EXPORT) and return its file. Raises
    DatasetRefused when the dataset is not ready or its file is gone."""
    from django.utils.translation import gettext as _

    path = Path(dataset.file_path) if dataset.file_path else None
    if dataset.status != Dataset.Status.READY or path is None or not path.is_file():
        raise DatasetRefused(_("This dataset has no file to download."))
    research_log_record(
        user=user,
        action=ResearchLogEntry.Action.DATASET_EXPORT,
        workspace=dataset.workspace,
        summary=f"Dataset {dataset.name!r} downloaded",
        data={"dataset": dataset.pk, "file": path.name, "rows": dataset.rows},
    )
    return path
