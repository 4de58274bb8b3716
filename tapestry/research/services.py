import datetime
import hashlib
import json
import logging
import re
import shutil
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext as _

from tapestry.accounts.api import Role, people_with_role, person_get, user_has_role
from tapestry.core.api import (
    audit_record,
    checkpoint,
    client_address,
    disk_full,
    email_send,
    process_alive,
    process_heartbeat,
    process_id_make,
)
from tapestry.research import selectors
from tapestry.research.access import access_of, conduct_current
from tapestry.research.models import (
    AccessBypass,
    CategorySummary,
    ConceptSummary,
    ConceptTerm,
    ConductSignature,
    ConductVersion,
    CountLedgerEntry,
    Dataset,
    DomainSummary,
    EnrollmentSummary,
    IdentityAttestation,
    Institution,
    InstitutionDomain,
    Release,
    Requirement,
    ResearchLogEntry,
    RuralZipList,
    SavedCohort,
    SurveyQuestionSummary,
    Tier,
    Workspace,
)
from tapestry.research.permissions import can_manage_research_access, workspace_for
from tapestry.research.privacy import (
    LEDGER_NEAR,
    PublicCount,
    SeenCount,
    ledger_shown,
    public_cell,
    public_count,
    public_percentage,
    researcher_count,
    researcher_share,
    round_count,
)
from tapestry.research.search import normalize
from tapestry.research.selectors import identity_request_open
from tapestry.research.warehouse.cohort_definition import (
    UBR_VALUES,
    CohortDefinition,
    definition_dump,
)
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
    builder = process_id_make()
    with transaction.atomic():
        release, created = Release.objects.select_for_update().get_or_create(
            version=version, defaults={"source_path": str(source), "builder": builder}
        )
        if not created:
            # A build whose process died (ADR 0031) is taken over; one whose builder may
            # still run (or never said) is not.
            if release.status == Release.Status.BUILDING and (
                process_alive(process_id=release.builder) is not False
            ):
                raise ReleaseInProgress(f"Release {version} is already being built.")
            if release.status == Release.Status.READY:
                raise ReleaseInProgress(f"Release {version} already exists.")
            release.status, release.error, release.builder = Release.Status.BUILDING, "", builder
            release.save(update_fields=["status", "error", "builder"])
    with process_heartbeat(process_id=builder):
        return _release_build_publish(release, source=source, actor=actor)


def _release_build_publish(release: Release, *, source: Path, actor: object) -> Release:
    version = release.version
    target = Path(settings.RESEARCH_DATA_DIR) / "releases" / version
    started = time.perf_counter()
    rural_lists = rural_lists_loaded()
    try:
        summaries = release_build(source, target, rural_lists=rural_lists)
    except (ReleaseError, OSError) as error:
        # Nothing half-built stays behind: no one may take it for a release, and on a full
        # disk it would hold the space the next try needs.
        shutil.rmtree(target, ignore_errors=True)
        release.status, release.error = Release.Status.FAILED, _release_failure(error)
        release.save(update_fields=["status", "error"])
        raise ReleaseError(release.error) from error
    with transaction.atomic():
        _summaries_store(release, summaries)
        checkpoint("release-publish")
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
    _summary_statistics_refresh()
    return release


def _summary_statistics_refresh() -> None:
    """PostgreSQL plans the Data Browser's queries from table statistics; a release has just
    replaced the rows they describe. Until autovacuum gets to them (a minute, or never where it
    is off), the concept search was planned for one concept and took seconds instead of a
    millisecond (benchmarks/README.md, Load). So bring them up to date now."""
    if connection.vendor != "postgresql":
        return
    tables = [
        model._meta.db_table
        for model in (
            ConceptSummary,
            ConceptTerm,
            DomainSummary,
            EnrollmentSummary,
            CategorySummary,
            SurveyQuestionSummary,
        )
    ]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(t) for t in tables))


def _release_failure(error: Exception) -> str:
    # DuckDB reports a full disk as an IO error with the system's words, without an errno.
    if disk_full(error) or "No space left on device" in str(error):
        return f"The disk is full ({settings.RESEARCH_DATA_DIR}); free space, then build again. {error}"
    return str(error)


def releases_abandoned_fail() -> int:
    """Mark FAILED, with the reason, every release still `building` whose builder process is
    gone (killed, or its machine lost); run by task recovery (ADR 0031). Returns how many."""
    failed = 0
    for release in Release.objects.filter(status=Release.Status.BUILDING).exclude(builder=""):
        if process_alive(process_id=release.builder) is not False:
            continue
        with transaction.atomic():
            updated = Release.objects.filter(
                pk=release.pk, status=Release.Status.BUILDING, builder=release.builder
            ).update(
                status=Release.Status.FAILED,
                error=_("The build stopped before it finished: its process ended. Build it again."),
            )
        if updated:
            logger.error(
                "Release %s: its builder %s stopped; marked failed", release, release.builder
            )
            failed += updated
    return failed


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


# --- Researcher access, workspaces and the research log's own entries ----------------------
#
# Program staff act through these (the staff pages, the demo, the tests), never through the
# admin, so that every change to a person's access lands in the research log with who made it.


class AccessRefused(Exception):
    """A workbench action the rules refuse; the message says why, for the person to read."""


def _now_locked_user(user_id: int) -> Any:
    """The person's row, locked until the transaction ends: one person's access changes
    (attest, withdraw, request, sign) happen one after another, never interleaved."""
    user = get_user_model().objects.select_for_update().filter(pk=user_id, is_active=True).first()
    if user is None:
        raise AccessRefused(_("There is no such person."))
    return user


def _is_researcher(user: Any) -> bool:
    return user_has_role(user, Role.RESEARCHER)


def _staff_only(actor: Any, *, user_id: int | None = None) -> None:
    """Program staff only, and never about themselves (a researcher who is also staff asks a
    colleague)."""
    if not can_manage_research_access(actor):
        raise AccessRefused(_("Only program staff may change a researcher's access."))
    if user_id is not None and actor.pk == user_id:
        raise AccessRefused(_("Another member of program staff must make this change for you."))


def _workbench_url(name: str, *args: Any) -> str:
    return f"{settings.SITE_URL}{reverse(name, args=args)}"


def _email_person(user_id: int, template: str, context: dict[str, Any]) -> None:
    """Email a person in their own language once the transaction commits."""
    person = person_get(user_id=user_id)
    if person is None:
        return
    email_send(
        to=[person.email],
        template=f"research/email/{template}",
        context=context,
        language=person.language,
        recipient_name=person.name,
    )


def access_change_note(*, user: Any, tier: str, missing: list[str] | None = None) -> bool:
    """Write an ACCESS_CHANGE entry when the researcher's tier now differs from the tier of
    their last such entry (a researcher never logged before counts as public), so the log
    shows when access began, ended and returned. Returns whether an entry was written."""
    if not getattr(user, "is_authenticated", False) or not _is_researcher(user):
        return False
    if _last_logged_tier(user.pk) == str(tier):
        return False  # the usual case: no lock, no write
    with transaction.atomic():
        # Two requests at once must not both write the change: lock, then look again.
        _now_locked_user(user.pk)
        before = _last_logged_tier(user.pk)
        if before == str(tier):
            return False
        research_log_record(
            user=user,
            action=ResearchLogEntry.Action.ACCESS_CHANGE,
            summary=f"Access changed from {before} to {tier}",
            data={"from": before, "tier": str(tier), "missing": sorted(missing or [])},
        )
    return True


def _last_logged_tier(user_id: int) -> str:
    last = (
        ResearchLogEntry.objects.filter(
            user_id=user_id, action=ResearchLogEntry.Action.ACCESS_CHANGE
        )
        .order_by("-at", "-id")
        .values_list("data", flat=True)
        .first()
    )
    return str(last.get("tier", "public")) if last else "public"


def researcher_signed_in(*, sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """`user_logged_in` receiver (apps.py): a researcher's sign-in goes in the research log,
    and so does a change of tier since their last visit."""
    if not _is_researcher(user):
        return
    with transaction.atomic():
        research_log_record(
            user=user,
            action=ResearchLogEntry.Action.LOGIN,
            summary="Signed in",
            data={"ip": client_address(request) if request else ""},
        )
        state = access_of(user)
        access_change_note(
            user=user,
            tier=state.tier,
            missing=[item.requirement.value for item in state.missing()],
        )


def identity_check_request(*, user: Any) -> None:
    """A researcher asks program staff to confirm their identity. One open request at a time
    (open until staff answer or RESEARCH_IDENTITY_REQUEST_OPEN_DAYS pass); staff get an
    email each, in their language."""
    if not _is_researcher(user):
        raise AccessRefused(_("Only researchers may ask for this."))
    with transaction.atomic():
        _now_locked_user(user.pk)
        if IdentityAttestation.objects.filter(user_id=user.pk, withdrawn_at__isnull=True).exists():
            raise AccessRefused(_("Your identity is already confirmed."))
        if identity_request_open(user_id=user.pk) is not None:
            raise AccessRefused(
                _("You have already asked; program staff will contact you by email.")
            )
        research_log_record(
            user=user,
            action=ResearchLogEntry.Action.IDENTITY,
            summary="Asked program staff to confirm identity",
            data={"event": "requested"},
        )
        staff = {
            person.id: person
            for role in (Role.PROGRAM_STAFF, Role.ADMINISTRATOR)
            for person in people_with_role(role=role)
        }
        context = {
            "researcher_name": user.get_full_name(),
            "researcher_email": user.email,
            "staff_url": _workbench_url("research:staff_researcher", user.pk),
        }
        for person_id in sorted(staff):
            _email_person(person_id, "identity_requested", context)


def identity_attest(
    *, actor: Any, user_id: int, method: str, note: str = ""
) -> IdentityAttestation:
    """Program staff confirm a researcher's identity (method and a note of what they saw).
    Refused for a person without the researcher role or already confirmed."""
    _staff_only(actor, user_id=user_id)
    if method not in IdentityAttestation.Method.values:
        raise AccessRefused(_("Choose how you confirmed their identity."))
    with transaction.atomic():
        user = _now_locked_user(user_id)
        if not _is_researcher(user):
            raise AccessRefused(_("This person does not hold the researcher role."))
        if IdentityAttestation.objects.filter(user_id=user_id, withdrawn_at__isnull=True).exists():
            raise AccessRefused(_("This researcher's identity is already confirmed."))
        attestation = IdentityAttestation.objects.create(
            user=user, method=method, note=note.strip()[:500], attested_by=actor
        )
        research_log_record(
            user=user,
            actor=actor,
            action=ResearchLogEntry.Action.IDENTITY,
            summary=f"Identity confirmed ({method})",
            data={"event": "confirmed", "method": method, "note": attestation.note},
        )
        _email_person(
            user.pk, "identity_confirmed", {"access_url": _workbench_url("research:access")}
        )
    return attestation


def identity_withdraw(*, actor: Any, user_id: int, reason: str = "") -> IdentityAttestation:
    """Program staff withdraw a confirmation (it stays on record, marked withdrawn): the
    researcher's access ends at once."""
    _staff_only(actor, user_id=user_id)
    with transaction.atomic():
        user = _now_locked_user(user_id)
        attestation = (
            IdentityAttestation.objects.select_for_update()
            .filter(user_id=user_id, withdrawn_at__isnull=True)
            .first()
        )
        if attestation is None:
            raise AccessRefused(_("This researcher's identity is not confirmed."))
        attestation.withdrawn_at, attestation.withdrawn_by = timezone.now(), actor
        attestation.save(update_fields=["withdrawn_at", "withdrawn_by"])
        research_log_record(
            user=user,
            actor=actor,
            action=ResearchLogEntry.Action.IDENTITY,
            summary="Identity confirmation withdrawn",
            data={"event": "withdrawn", "reason": reason.strip()[:500]},
        )
        _email_person(
            user.pk, "identity_withdrawn", {"access_url": _workbench_url("research:access")}
        )
    return attestation


def bypass_grant(
    *, actor: Any, user_id: int, requirement: str, reason: str, ends_on: datetime.date
) -> AccessBypass:
    """Program staff let one requirement count as met until `ends_on` (today up to
    RESEARCH_BYPASS_MAX_DAYS ahead), with a reason. One bypass per requirement at a time; a
    bypass that ended on its own is closed first."""
    _staff_only(actor, user_id=user_id)
    today = timezone.localdate()
    if requirement not in Requirement.values:
        raise AccessRefused(_("Choose a requirement."))
    if not reason.strip():
        raise AccessRefused(_("Give the reason for the bypass."))
    latest = today + datetime.timedelta(days=settings.RESEARCH_BYPASS_MAX_DAYS)
    if not today <= ends_on <= latest:
        raise AccessRefused(
            _("A bypass ends between today and %(date)s.") % {"date": latest.isoformat()}
        )
    with transaction.atomic():
        user = _now_locked_user(user_id)
        if not _is_researcher(user):
            raise AccessRefused(_("This person does not hold the researcher role."))
        active = AccessBypass.objects.select_for_update().filter(
            user_id=user_id, requirement=requirement, withdrawn_at__isnull=True
        )
        # An ended bypass still holds the "one active" constraint's place: close it (no
        # withdrawn_by: it ended on its own).
        active.filter(ends_on__lt=today).update(withdrawn_at=timezone.now())
        if active.filter(ends_on__gte=today).exists():
            raise AccessRefused(
                _("This requirement is already bypassed; withdraw that bypass first.")
            )
        bypass = AccessBypass.objects.create(
            user=user,
            requirement=requirement,
            reason=reason.strip()[:500],
            ends_on=ends_on,
            granted_by=actor,
        )
        research_log_record(
            user=user,
            actor=actor,
            action=ResearchLogEntry.Action.BYPASS,
            summary=f"Bypass of {requirement} granted until {ends_on.isoformat()}",
            data={
                "event": "granted",
                "requirement": requirement,
                "ends_on": ends_on.isoformat(),
                "reason": bypass.reason,
            },
        )
        _email_person(
            user.pk,
            "bypass_granted",
            {
                "requirement": Requirement(requirement).label,
                "ends_on": ends_on,
                "access_url": _workbench_url("research:access"),
            },
        )
    return bypass


def bypass_withdraw(*, actor: Any, user_id: int, bypass_id: int) -> AccessBypass:
    """Program staff end a bypass early (the person's bypass, found by both ids)."""
    _staff_only(actor, user_id=user_id)
    with transaction.atomic():
        user = _now_locked_user(user_id)
        bypass = (
            AccessBypass.objects.select_for_update()
            .filter(pk=bypass_id, user_id=user_id, withdrawn_at__isnull=True)
            .first()
        )
        if bypass is None:
            raise AccessRefused(_("There is no such bypass in force."))
        bypass.withdrawn_at, bypass.withdrawn_by = timezone.now(), actor
        bypass.save(update_fields=["withdrawn_at", "withdrawn_by"])
        research_log_record(
            user=user,
            actor=actor,
            action=ResearchLogEntry.Action.BYPASS,
            summary=f"Bypass of {bypass.requirement} withdrawn",
            data={"event": "withdrawn", "requirement": bypass.requirement},
        )
        _email_person(
            user.pk,
            "bypass_withdrawn",
            {
                "requirement": Requirement(bypass.requirement).label,
                "access_url": _workbench_url("research:access"),
            },
        )
    return bypass


def _name_key(text: str) -> str:
    return normalize(text)


def conduct_sign(*, user: Any, version_id: int, typed_name: str) -> ConductSignature:
    """The researcher signs the current code of conduct by typing their name as it is on
    their account (case, accents and punctuation aside). Signing twice (a double submit)
    returns the first signature; a form for an older version is refused."""
    if not _is_researcher(user):
        raise AccessRefused(_("Only researchers sign the Data User Code of Conduct."))
    current = conduct_current()
    if current is None or current.pk != version_id:
        raise AccessRefused(
            _("A newer version of the code of conduct was published: read it and sign again.")
        )
    expected = user.get_full_name()
    if not _name_key(typed_name) or (expected and _name_key(typed_name) != _name_key(expected)):
        raise AccessRefused(
            _("Type your name as it is on your account: %(name)s.") % {"name": expected}
        )
    existing = ConductSignature.objects.filter(user_id=user.pk, version=current).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            signature = ConductSignature.objects.create(
                user=user, version=current, typed_name=typed_name.strip()[:200]
            )
            research_log_record(
                user=user,
                action=ResearchLogEntry.Action.CONDUCT_SIGNED,
                summary=f"Signed the Data User Code of Conduct, version {current.version}",
                data={"version": current.version},
            )
    except IntegrityError:
        # The same form sent twice at once: the unique constraint let one through.
        return ConductSignature.objects.get(user_id=user.pk, version=current)
    return signature


def conduct_publish(*, actor: Any, text_en: str, text_es: str) -> ConductVersion:
    """Publish the next version of the Data User Code of Conduct, in force at once: every
    researcher must sign it again before using the data."""
    _staff_only(actor)
    if not text_en.strip() or not text_es.strip():
        raise AccessRefused(_("Give the text in English and in Spanish."))
    with transaction.atomic():
        # Lock the newest version so two publications cannot take the same number.
        latest = ConductVersion.objects.select_for_update().order_by("-version").first()
        version = ConductVersion.objects.create(
            version=(latest.version + 1) if latest else 1,
            text_en=text_en.strip(),
            text_es=text_es.strip(),
            published_at=timezone.now(),
        )
        research_log_record(
            user=None,
            actor=actor,
            action=ResearchLogEntry.Action.ACCESS_CHANGE,
            summary=f"Data User Code of Conduct version {version.version} published",
            data={"event": "conduct_published", "version": version.version},
        )
    return version


_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def institution_domain_normalize(domain: str) -> str:
    """An email domain as stored: lower case, without "@" or dots around it; raises
    AccessRefused for text that is not a domain."""
    cleaned = domain.strip().lower().lstrip("@").strip(".")
    if not _DOMAIN.match(cleaned):
        raise AccessRefused(_("“%(domain)s” is not an email domain.") % {"domain": domain})
    return cleaned


def institution_save(
    *,
    actor: Any,
    name: str,
    domains: Iterable[str],
    agreement_signed_on: datetime.date | None,
    agreement_expires_on: datetime.date | None,
    controlled_tier: bool = False,
    institution: Institution | None = None,
) -> Institution:
    """Create or change an institution and its email domains (lower case, each domain
    belonging to one institution only). Its researchers qualify while the agreement is in
    force: signed on or before today and ending on or after it."""
    _staff_only(actor)
    name = name.strip()
    if not name:
        raise AccessRefused(_("Give the institution's name."))
    if agreement_expires_on is not None and (
        agreement_signed_on is None or agreement_expires_on <= agreement_signed_on
    ):
        raise AccessRefused(_("The agreement must end after the day it was signed."))
    wanted = sorted({institution_domain_normalize(domain) for domain in domains if domain.strip()})
    with transaction.atomic():
        taken = InstitutionDomain.objects.filter(domain__in=wanted)
        if institution is not None:
            taken = taken.exclude(institution=institution)
        clash = taken.values_list("domain", flat=True).first()
        if clash:
            raise AccessRefused(
                _("%(domain)s already belongs to another institution.") % {"domain": clash}
            )
        same_name = Institution.objects.filter(name__iexact=name)
        if institution is not None:
            same_name = same_name.exclude(pk=institution.pk)
        if same_name.exists():
            raise AccessRefused(_("There is already an institution with this name."))
        institution = institution or Institution()
        institution.name = name
        institution.agreement_signed_on = agreement_signed_on
        institution.agreement_expires_on = agreement_expires_on
        institution.controlled_tier = controlled_tier
        institution.save()
        institution.domains.exclude(domain__in=wanted).delete()
        for domain in wanted:
            InstitutionDomain.objects.get_or_create(institution=institution, domain=domain)
        audit_record(
            actor=actor,
            action="research.institution_save",
            target=institution,
            summary=name,
            data={
                "domains": wanted,
                "agreement_signed_on": str(agreement_signed_on or ""),
                "agreement_expires_on": str(agreement_expires_on or ""),
                "controlled_tier": controlled_tier,
            },
        )
    return institution


def _purpose_check(name: str, purpose: str) -> tuple[str, str]:
    name, purpose = name.strip(), purpose.strip()
    if not name:
        raise AccessRefused(_("Give the project a name."))
    if len(purpose) < settings.RESEARCH_PURPOSE_MIN_LENGTH:
        raise AccessRefused(
            _("Describe the research purpose in at least %(count)d characters.")
            % {"count": settings.RESEARCH_PURPOSE_MIN_LENGTH}
        )
    return name[:200], purpose


def workspace_create(*, user: Any, name: str, purpose: str, tier: str) -> Workspace:
    """A researcher with registered access opens a workspace for a stated purpose, at the
    institution their verified email matches; a controlled-tier workspace needs controlled
    access."""
    name, purpose = _purpose_check(name, purpose)
    if tier not in (Tier.REGISTERED, Tier.CONTROLLED):
        raise AccessRefused(_("Choose the registered or the controlled tier."))
    state = access_of(user)
    if not state.has(Tier(tier)) or state.institution is None:
        raise AccessRefused(_("You do not have access to this tier of the data."))
    with transaction.atomic():
        workspace = Workspace.objects.create(
            name=name,
            purpose=purpose,
            tier=tier,
            owner=user,
            institution=state.institution,
            search_text=normalize(f"{name} {purpose}"),
        )
        research_log_record(
            user=user,
            action=ResearchLogEntry.Action.WORKSPACE,
            workspace=workspace,
            summary=f"Workspace created: {name}",
            data={"event": "created", "tier": tier},
        )
    return workspace


def workspace_update(*, user: Any, workspace: Workspace, name: str, purpose: str) -> Workspace:
    """A member changes the project's name or purpose (an archived workspace cannot change)."""
    name, purpose = _purpose_check(name, purpose)
    with transaction.atomic():
        workspace = _workspace_locked(user, workspace)
        changed = [
            field
            for field, value in (("name", name), ("purpose", purpose))
            if getattr(workspace, field) != value
        ]
        workspace.name, workspace.purpose = name, purpose
        workspace.search_text = normalize(f"{name} {purpose}")
        workspace.save(update_fields=["name", "purpose", "search_text"])
        research_log_record(
            user=user,
            action=ResearchLogEntry.Action.WORKSPACE,
            workspace=workspace,
            summary=f"Workspace changed: {name}",
            data={"event": "updated", "changed": changed},
        )
    return workspace


def _workspace_locked(user: Any, workspace: Workspace, *, owner: bool = False) -> Workspace:
    """The workspace, locked, if the person may change it (a member; the owner when
    `owner`) and it is not archived."""
    rows = Workspace.objects.select_for_update().filter(pk=workspace.pk, archived_at__isnull=True)
    locked = rows.first()
    if locked is None:
        raise AccessRefused(_("This workspace is archived."))
    is_member = locked.owner_id == user.pk or locked.members.filter(pk=user.pk).exists()
    if not is_member or (owner and locked.owner_id != user.pk):
        raise AccessRefused(_("Only the workspace's owner may do this."))
    return locked


def workspace_member_add(*, user: Any, workspace: Workspace, email: str) -> int:
    """The owner adds a researcher by one of their verified email addresses; they need the
    workspace's tier of access now (at any institution). Returns the member's id."""
    email = email.strip()
    with transaction.atomic():
        workspace = _workspace_locked(user, workspace, owner=True)
        address = (
            EmailAddress.objects.select_related("user")
            .filter(email__iexact=email, verified=True, user__is_active=True)
            .first()
        )
        member = address.user if address is not None else None
        if member is None or not access_of(member).has(Tier(workspace.tier)):
            raise AccessRefused(
                _("No researcher with access to this tier of the data has this email address.")
            )
        if member.pk == workspace.owner_id or workspace.members.filter(pk=member.pk).exists():
            raise AccessRefused(_("This researcher is already a member."))
        workspace.members.add(member)
        research_log_record(
            user=user,
            action=ResearchLogEntry.Action.WORKSPACE,
            workspace=workspace,
            summary=f"Member added: {member.email}",
            data={"event": "member_added", "member_id": member.pk},
        )
        research_log_record(
            user=member,
            actor=user,
            action=ResearchLogEntry.Action.WORKSPACE,
            workspace=workspace,
            summary=f"Added to workspace: {workspace.name}",
            data={"event": "member_added", "by": user.pk},
        )
        _email_person(
            member.pk,
            "workspace_member_added",
            {
                "workspace_name": workspace.name,
                "owner_name": user.get_full_name(),
                "workspace_url": _workbench_url("research:workspace", workspace.public_id),
            },
        )
    return member.pk


def workspace_archive(*, user: Any, workspace: Workspace) -> Workspace:
    """The owner archives the workspace: it leaves the public list and can no longer change;
    its members may still read it."""
    with transaction.atomic():
        workspace = _workspace_locked(user, workspace, owner=True)
        workspace.archived_at = timezone.now()
        workspace.save(update_fields=["archived_at"])
        research_log_record(
            user=user,
            action=ResearchLogEntry.Action.WORKSPACE,
            workspace=workspace,
            summary=f"Workspace archived: {workspace.name}",
            data={"event": "archived"},
        )
    return workspace


def access_changes_review() -> int:
    """For every researcher, note a tier that changed since their last ACCESS_CHANGE entry
    (the daily job): a training or an agreement that lapsed overnight shows in the log on
    that day, even for a researcher who has not come back. Returns the entries written."""
    written = 0
    people = get_user_model().objects.filter(groups__name=Role.RESEARCHER.value, is_active=True)
    for person in people.distinct().order_by("pk").iterator(chunk_size=500):
        state = access_of(person)
        written += access_change_note(
            user=person,
            tier=state.tier,
            missing=[item.requirement.value for item in state.missing()],
        )
    return written


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
        # BUILDING too: a dataset's build is queued once, so a second run finds it BUILDING
        # only when task recovery runs the task again after its worker died (ADR 0031); the
        # export writes under temporary names and clears what a killed run left.
        if dataset.status not in (Dataset.Status.QUEUED, Dataset.Status.BUILDING):
            return dataset
        dataset.status, dataset.progress = Dataset.Status.BUILDING, 0
        dataset.save(update_fields=["status", "progress"])

    def progress(percent: int) -> None:
        Dataset.objects.filter(pk=dataset_id).update(progress=min(max(percent, 0), 99))
        if percent > 0:
            checkpoint("dataset-export")

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


# --- The cohort builder: counts through the ledger, saved cohorts ---------------------------
# (ADR 0025; the definition is warehouse/cohort_definition.py, the engine warehouse/cohort.py)


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
        # Every category is listed, so a 0 shows as "≤ 20" like 1 to 20 (as the public
        # breakdowns do): "0" would tell that nobody in the program is in it.
        program_cell = public_cell(int(program.get(category, 0)))
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


def cohort_circe_record(
    *, user: Any, workspace_id: Any, direction: str, definition: CohortDefinition
) -> Workspace:
    """Log a Circe import or export ("import"/"export") of a definition in a workspace the
    researcher belongs to (Http404 otherwise)."""
    workspace = workspace_for(user, workspace_id, write=direction == "import")
    _require_registered(user, workspace)
    with transaction.atomic():
        research_log_record(
            user=user,
            action=ResearchLogEntry.Action.COHORT_IMPORT,
            summary=f"Cohort definition {'imported from' if direction == 'import' else 'exported as'} Circe JSON",
            workspace=workspace,
            data={"direction": direction, "definition_hash": definition_hash(definition)},
        )
    return workspace
