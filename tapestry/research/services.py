import logging
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tapestry.core.api import audit_record
from tapestry.research.models import (
    CategorySummary,
    ConceptSummary,
    ConceptTerm,
    DomainSummary,
    EnrollmentSummary,
    Release,
    ResearchLogEntry,
    RuralZipList,
    SurveyQuestionSummary,
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


# --- The cohort builder: counts through the ledger, saved cohorts ---------------------------
# (ADR 0025; the definition is warehouse/cohort_definition.py, the engine warehouse/cohort.py)

import hashlib  # noqa: E402
import json  # noqa: E402
from dataclasses import dataclass  # noqa: E402

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import IntegrityError  # noqa: E402
from django.utils.translation import gettext  # noqa: E402

from tapestry.research import selectors  # noqa: E402
from tapestry.research.access import access_of  # noqa: E402
from tapestry.research.models import CountLedgerEntry, SavedCohort, Tier  # noqa: E402
from tapestry.research.permissions import workspace_for  # noqa: E402
from tapestry.research.privacy import (  # noqa: E402
    LEDGER_NEAR,
    PublicCount,
    SeenCount,
    ledger_shown,
    public_count,
    public_percentage,
    researcher_count,
    researcher_share,
)
from tapestry.research.warehouse.cohort_definition import (  # noqa: E402
    UBR_VALUES,
    CohortDefinition,
    definition_dump,
)

COHORT_NAME_MAX = 200
COHORT_DESCRIPTION_MAX = 2_000


class CohortRefused(Exception):
    """A cohort action that may not go ahead; `message` is for the person to read."""

    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class CohortTooSlow(Exception):
    """The warehouse did not answer in time (the engine's timeout)."""


@dataclass(frozen=True)
class MakeupRow:
    """One UBR category: the cohort's participants in it (through the ledger) and its share
    of the cohort's shown total, beside the program's."""

    category: str
    cohort: PublicCount
    cohort_share: float | None
    program: PublicCount
    program_share: float | None


@dataclass(frozen=True)
class CountResult:
    """A cohort's count as the researcher sees it: never a true number."""

    count: PublicCount
    makeup: list[MakeupRow]
    program_total: PublicCount
    definition_hash: str


def definition_hash(definition: CohortDefinition) -> str:
    """A short fingerprint of a definition (the log keeps it instead of the definition)."""
    text = json.dumps(definition_dump(definition), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _require_registered(user: Any, workspace: Workspace | None = None) -> None:
    tier = Tier(workspace.tier) if workspace is not None else Tier.REGISTERED
    if not access_of(user).has(tier):
        raise CohortRefused(gettext("Your access to the research data is not current."))


def _ledger_answer(*, user: Any, release: Release, key: str, true_count: int) -> PublicCount:
    """Answer one count through the researcher's ledger for this release and key, and record
    it (an exact true count already in the ledger is not recorded twice: it is its own
    nearest entry)."""
    entries = CountLedgerEntry.objects.filter(
        user=user,
        release=release,
        key=key,
        true_count__gte=max(0, true_count - LEDGER_NEAR),
        true_count__lte=true_count + LEDGER_NEAR,
    ).order_by("created_at", "id")
    seen = [SeenCount(entry.true_count, entry.shown) for entry in entries]
    shown = ledger_shown(true_count, seen)
    if not any(entry.true_count == true_count for entry in seen):
        CountLedgerEntry.objects.create(
            user=user, release=release, key=key, true_count=true_count, shown=shown
        )
    return researcher_count(shown)


def cohort_count(
    *,
    user: Any,
    release: Release,
    definition: CohortDefinition,
    workspace: Workspace | None = None,
) -> CountResult:
    """Count a cohort and its make-up across the UBR categories for a researcher, every
    figure through their ledger (ADR 0025), and log it with the definition's hash (never a
    true count). Raises DefinitionError for what only the warehouse can refuse (an unknown
    concept, one in another domain) and CohortRefused without current access."""
    _require_registered(user, workspace)
    from tapestry.research.warehouse.cohort import CohortTimeout

    try:
        with selectors.cohort_engine(release) as engine:
            engine.check(definition)
            makeup = engine.makeup(definition)
            program = selectors.program_makeup(release, engine)
    except CohortTimeout:
        raise CohortTooSlow from None
    fingerprint = definition_hash(definition)
    with transaction.atomic():
        # One request at a time per researcher, so two live counts cannot both miss an entry
        # the other is about to record.
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        total = _ledger_answer(
            user=user, release=release, key="total", true_count=int(makeup["total"])
        )
        cells = {
            category: _ledger_answer(
                user=user,
                release=release,
                key=f"ubr:{category}",
                true_count=int(makeup.get(category, 0)),
            )
            for category in UBR_VALUES
        }
        research_log_record(
            user=user,
            action=ResearchLogEntry.Action.COHORT_COUNT,
            summary=f"Counted a cohort ({fingerprint}) in release {release.version}",
            workspace=workspace,
            data={
                "definition_hash": fingerprint,
                "release": release.version,
                "shown": total.display,
            },
        )
    program_total = public_count(int(program["total"]))
    rows = []
    for category in UBR_VALUES:
        program_cell = public_count(int(program.get(category, 0)))
        rows.append(
            MakeupRow(
                category=category,
                cohort=cells[category],
                cohort_share=researcher_share(cells[category], total),
                program=program_cell,
                program_share=None
                if program_cell.hidden
                else public_percentage(program_cell, program_total),
            )
        )
    return CountResult(
        count=total, makeup=rows, program_total=program_total, definition_hash=fingerprint
    )


def _cohort_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise CohortRefused(gettext("Give the cohort a name."), field="name")
    if len(name) > COHORT_NAME_MAX:
        raise CohortRefused(
            gettext("A cohort's name is at most %(limit)d characters.")
            % {"limit": COHORT_NAME_MAX},
            field="name",
        )
    return name


def cohort_save(
    *,
    user: Any,
    workspace_id: Any,
    name: str,
    definition: CohortDefinition,
    description: str = "",
    cohort_id: int | None = None,
) -> SavedCohort:
    """Save a definition in a workspace the researcher belongs to (Http404 otherwise, as for
    a missing one): a new cohort, or `cohort_id`'s definition replaced. A name the workspace
    already uses is refused (CohortRefused); nothing is saved then."""
    workspace = workspace_for(user, workspace_id, write=True)
    _require_registered(user, workspace)
    name = _cohort_name(name)
    if len(description) > COHORT_DESCRIPTION_MAX:
        raise CohortRefused(gettext("The description is too long."), field="description")
    data = definition_dump(definition)
    try:
        with transaction.atomic():
            if cohort_id is None:
                cohort = SavedCohort.objects.create(
                    workspace=workspace,
                    name=name,
                    description=description,
                    definition=data,
                    created_by=user,
                )
            else:
                cohort = _cohort_of(workspace, cohort_id, lock=True)
                cohort.name, cohort.description, cohort.definition = name, description, data
                cohort.save()
            research_log_record(
                user=user,
                action=ResearchLogEntry.Action.COHORT_SAVED,
                summary=f"Saved cohort “{name}”",
                workspace=workspace,
                data={"cohort": cohort.pk, "definition_hash": definition_hash(definition)},
            )
    except IntegrityError:
        raise CohortRefused(
            gettext("This workspace already has a cohort of that name."), field="name"
        ) from None
    return cohort


def _cohort_of(workspace: Workspace, cohort_id: Any, *, lock: bool = False) -> SavedCohort:
    from django.http import Http404

    cohorts = SavedCohort.objects.filter(workspace=workspace)
    if lock:
        cohorts = cohorts.select_for_update()
    try:
        return cohorts.get(pk=int(cohort_id))
    except (SavedCohort.DoesNotExist, TypeError, ValueError, OverflowError):
        raise Http404 from None


def cohort_rename(*, user: Any, workspace_id: Any, cohort_id: Any, name: str) -> SavedCohort:
    """Rename a saved cohort of a workspace the researcher belongs to."""
    workspace = workspace_for(user, workspace_id, write=True)
    _require_registered(user, workspace)
    name = _cohort_name(name)
    try:
        with transaction.atomic():
            cohort = _cohort_of(workspace, cohort_id, lock=True)
            old = cohort.name
            cohort.name = name
            cohort.save(update_fields=["name", "updated_at"])
            research_log_record(
                user=user,
                action=ResearchLogEntry.Action.COHORT_SAVED,
                summary=f"Renamed cohort “{old}” to “{name}”",
                workspace=workspace,
                data={"cohort": cohort.pk, "renamed_from": old},
            )
    except IntegrityError:
        raise CohortRefused(
            gettext("This workspace already has a cohort of that name."), field="name"
        ) from None
    return cohort


def cohort_delete(*, user: Any, workspace_id: Any, cohort_id: Any) -> None:
    """Delete a saved cohort no dataset uses (CohortRefused if one does)."""
    workspace = workspace_for(user, workspace_id, write=True)
    _require_registered(user, workspace)
    with transaction.atomic():
        cohort = _cohort_of(workspace, cohort_id, lock=True)
        if cohort.datasets.exists():
            raise CohortRefused(gettext("A dataset uses this cohort: delete the dataset first."))
        research_log_record(
            user=user,
            action=ResearchLogEntry.Action.COHORT_SAVED,
            summary=f"Deleted cohort “{cohort.name}”",
            workspace=workspace,
            data={"cohort": cohort.pk, "deleted": True},
        )
        cohort.delete()
