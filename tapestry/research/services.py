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
