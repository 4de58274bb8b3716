"""A data release and the summaries the public pages and the diversity dashboard serve.

The participant-level data stays in the warehouse (DuckDB over Parquet, warehouse/); these
tables hold only aggregate counts, computed once per release. They are raw counts: every count
that leaves the server goes through privacy.py first (see selectors.py).
"""

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Release(models.Model):
    class Status(models.TextChoices):
        BUILDING = "building", _("Being built")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    version = models.CharField(_("version"), max_length=40, unique=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.BUILDING
    )
    source_path = models.CharField(_("generated data"), max_length=500)
    warehouse_path = models.CharField(_("warehouse"), max_length=500, blank=True)
    participants = models.PositiveIntegerField(_("participants"), default=0)
    events = models.PositiveBigIntegerField(_("events"), default=0)
    cutoff_date = models.DateField(_("data cutoff"), null=True, blank=True)
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    seconds = models.FloatField(_("build seconds"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    # The process building it (core.api.process_id_make), so a build whose process died can be
    # told from one still running (ADR 0031).
    builder = models.CharField(_("built by"), max_length=64, blank=True)
    # The FORHP rural ZIP lists the build used: [{"name", "effective_from", "zip_codes"}], or
    # [] when none was loaded (geography is then unknown for every participant).
    rural_zip_lists = models.JSONField(_("rural ZIP lists"), default=list, blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["status", "-finished_at"], name="release_status_finished")]
        verbose_name = _("data release")
        verbose_name_plural = _("data releases")

    def __str__(self) -> str:
        return self.version

    @property
    def geography_known(self) -> bool:
        """Whether the build had a rural ZIP list; without one geography is unknown."""
        return bool(self.rural_zip_lists)


class RuralZipList(models.Model):
    """A FORHP rural ZIP code list as an operator loaded it (research_load_rural_zips).

    Reference data from the government, not code: a new cycle's list is loaded beside the old
    ones, and each participant is judged by the list in force on their consent date.
    """

    name = models.CharField(_("name"), max_length=40, unique=True)
    source_file = models.CharField(_("source file"), max_length=255)
    effective_from = models.DateField(_("in force from"))
    loaded_at = models.DateTimeField(_("loaded"), auto_now=True)
    zip_codes = models.JSONField(_("ZIP codes"), default=list)  # five-digit strings
    count = models.PositiveIntegerField(_("ZIP codes listed"), default=0)

    class Meta:
        ordering = ["-effective_from"]
        verbose_name = _("rural ZIP code list")
        verbose_name_plural = _("rural ZIP code lists")

    def __str__(self) -> str:
        return f"{self.name} ({self.effective_from:%Y-%m-%d})"


class Domain(models.TextChoices):
    CONDITION = "Condition", _("Conditions")
    DRUG = "Drug", _("Drugs")
    MEASUREMENT = "Measurement", _("Measurements")
    PROCEDURE = "Procedure", _("Procedures")
    OBSERVATION = "Observation", _("Observations")
    VISIT = "Visit", _("Visits")


class DomainSummary(models.Model):
    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(max_length=20, choices=Domain.choices)
    participants = models.PositiveIntegerField()
    concepts = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["release", "domain"], name="domain_summary_unique")
        ]

    def __str__(self) -> str:
        return f"{self.release} {self.domain}"


class ConceptSummary(models.Model):
    """One concept in one release: participants with it or any descendant, and breakdowns."""

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="concepts")
    concept_id = models.BigIntegerField()
    name = models.CharField(max_length=255)  # the standard (English) name
    # The team's Spanish name (concept_synonym, kind "name"); blank where there is none.
    name_es = models.CharField(max_length=255, blank=True, default="")
    code = models.CharField(max_length=50)
    vocabulary = models.CharField(max_length=30)
    domain = models.CharField(max_length=20, choices=Domain.choices)
    participants = models.PositiveIntegerField()
    # The published (rounded) count, privacy.round_count(participants): lists are ordered by
    # it, so their order says nothing the shown counts do not (two "≤ 20" concepts by name).
    participants_shown = models.PositiveIntegerField(default=0)
    # {"male": n, ...}, {"18-29": n, ...}, {"black": n, ...}: raw counts, protected on output.
    by_sex = models.JSONField(default=dict)
    by_age = models.JSONField(default=dict)
    by_race = models.JSONField(default=dict)
    # Measurements: {"unit": "mg/dL", "bins": [[low, high, count], ...]}; else {}.
    histogram = models.JSONField(default=dict)
    # The concept's parents and children (concept_ancestor, one level apart): concept ids.
    parents = models.JSONField(default=list)
    children = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["release", "concept_id"], name="concept_summary_unique")
        ]
        indexes = [
            models.Index(fields=["release", "-participants_shown"], name="concept_release_count"),
        ]

    def __str__(self) -> str:
        return f"{self.release} {self.concept_id} {self.name}"


class ConceptTerm(models.Model):
    """One text that finds a concept: its names, synonyms (lay terms too), its code and the
    codes of source concepts that map to it (ICD-10-CM, CPT4, ...).

    `normalized` is `search.normalize(text)`, computed in Python so SQLite and PostgreSQL
    agree; it is searched through a full-text index that migration 0002_concept_search
    creates per database (SQLite FTS5, PostgreSQL GIN over to_tsvector): see
    docs/adr/0017-concept-search-index.md.
    """

    class Kind(models.TextChoices):
        NAME = "name", _("name")
        SYNONYM = "synonym", _("synonym")
        CODE = "code", _("code")
        SOURCE_CODE = "source_code", _("source code")

    concept = models.ForeignKey(ConceptSummary, on_delete=models.CASCADE, related_name="terms")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    language = models.CharField(max_length=8, blank=True)  # "en", "es"; blank for codes
    text = models.CharField(max_length=255)
    normalized = models.CharField(max_length=255)

    def __str__(self) -> str:
        return f"{self.concept_id} {self.language} {self.text}"


class EnrollmentSummary(models.Model):
    """Participants who consented in a month at a site, and how many of them are UBR."""

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="enrollment")
    site = models.CharField(max_length=40)
    site_name = models.CharField(max_length=100)
    month = models.DateField()  # the first of the month
    participants = models.PositiveIntegerField()
    minority = models.PositiveIntegerField()
    ubr = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["release", "site", "month"], name="enrollment_summary_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.release} {self.site} {self.month:%Y-%m}"


class CategorySummary(models.Model):
    """Participants at a site in one underrepresentation category."""

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="categories")
    site = models.CharField(max_length=40)
    category = models.CharField(max_length=40)
    participants = models.PositiveIntegerField()
    # Participants who did not answer (skipped, preferred not to answer, missing, or a ZIP
    # code with no rural list in force): neither in the category nor known to be outside it.
    not_answered = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["release", "site", "category"], name="category_summary_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.release} {self.site} {self.category}"


class SurveyQuestionSummary(models.Model):
    """One survey question in one release: who answered it and how many chose each answer."""

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="survey_questions")
    survey = models.CharField(max_length=40)  # "the_basics", ... (labels.SURVEY_LABELS)
    question_code = models.CharField(max_length=60)
    position = models.PositiveIntegerField()  # the question's place in the survey
    concept_id = models.BigIntegerField()
    name = models.CharField(max_length=300)
    name_es = models.CharField(max_length=300, blank=True)
    # "Select all that apply": the answers add up to more than the participants.
    several_answers = models.BooleanField(default=False)
    participants = models.PositiveIntegerField()  # answered, skipping included
    # [{"code", "concept_id", "name", "name_es", "participants"}, ...], every option listed,
    # skip and prefer-not-to-answer included; raw counts, protected on output.
    answers = models.JSONField(default=list)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(
                fields=["release", "question_code"], name="survey_question_summary_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.release} {self.question_code}"


# --- The researcher workbench: access, workspaces, cohorts, datasets, the research log ------
#
# Registered and controlled access are worked out from these rows at each request (access.py),
# never stored as a flag: access ends the moment a requirement lapses and returns when it is met.


class Tier(models.TextChoices):
    PUBLIC = "public", _("Public")
    REGISTERED = "registered", _("Registered")
    CONTROLLED = "controlled", _("Controlled")


class Institution(models.Model):
    """A research institution. Its people qualify while its data-use agreement is in force;
    they are recognized by the domain of their verified email address."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    agreement_signed_on = models.DateField(_("data-use agreement signed"), null=True, blank=True)
    agreement_expires_on = models.DateField(_("data-use agreement ends"), null=True, blank=True)
    controlled_tier = models.BooleanField(_("agreement covers the controlled tier"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("research institution")
        verbose_name_plural = _("research institutions")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(agreement_expires_on__isnull=True)
                | models.Q(
                    agreement_signed_on__isnull=False,
                    agreement_expires_on__gt=models.F("agreement_signed_on"),
                ),
                name="institution_agreement_ends_after_signed",
            )
        ]

    def __str__(self) -> str:
        return self.name


class InstitutionDomain(models.Model):
    """An email domain of an institution ("uab.edu" also covers "med.uab.edu")."""

    institution = models.ForeignKey(Institution, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(_("email domain"), max_length=253, unique=True)

    class Meta:
        ordering = ["domain"]
        verbose_name = _("institution email domain")
        verbose_name_plural = _("institution email domains")

    def __str__(self) -> str:
        return self.domain


class ConductVersion(models.Model):
    """A version of the Data User Code of Conduct. The current one is the latest published;
    publishing a new version asks every researcher to sign again."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    text_en = models.TextField(_("text (English)"))
    text_es = models.TextField(_("text (Spanish)"))
    published_at = models.DateTimeField(_("published"), null=True, blank=True)

    class Meta:
        ordering = ["-version"]
        verbose_name = _("Data User Code of Conduct version")
        verbose_name_plural = _("Data User Code of Conduct versions")

    def __str__(self) -> str:
        return f"v{self.version}"


class ConductSignature(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conduct_signatures"
    )
    version = models.ForeignKey(ConductVersion, on_delete=models.PROTECT, related_name="signatures")
    typed_name = models.CharField(_("name typed as signature"), max_length=200)
    signed_at = models.DateTimeField(_("signed"), auto_now_add=True)

    class Meta:
        ordering = ["-signed_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "version"], name="conduct_signed_once")
        ]

    def __str__(self) -> str:
        return f"{self.typed_name} ({self.version})"


class IdentityAttestation(models.Model):
    """Program staff confirmed who the researcher is. Withdrawn rows stay for the record."""

    class Method(models.TextChoices):
        IN_PERSON = "in_person", _("In person, with a photo ID")
        VIDEO = "video", _("Video call, with a photo ID")
        INSTITUTION = "institution", _("Confirmed by the institution's signing official")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="identity_attestations"
    )
    method = models.CharField(_("how"), max_length=20, choices=Method.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    attested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    attested_at = models.DateTimeField(_("confirmed"), auto_now_add=True)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-attested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(withdrawn_at__isnull=True),
                name="identity_attested_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_method_display()} ({self.attested_at:%Y-%m-%d})"


class Requirement(models.TextChoices):
    """What registered (and controlled) access needs; access.py checks each."""

    IDENTITY = "identity", _("Identity confirmed")
    TWO_FACTOR = "two_factor", _("Two-factor sign-in")
    TRAINING = "training", _("Registered-tier training")
    CONDUCT = "conduct", _("Data User Code of Conduct signed")
    INSTITUTION = "institution", _("Institution with a data-use agreement")
    CONTROLLED_TRAINING = "controlled_training", _("Controlled-tier training")


class AccessBypass(models.Model):
    """Program staff let a requirement count as met until `ends_on` (audited, with a reason)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="research_bypasses"
    )
    requirement = models.CharField(_("requirement"), max_length=30, choices=Requirement.choices)
    reason = models.CharField(_("reason"), max_length=500)
    ends_on = models.DateField(_("ends on"))
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    granted_at = models.DateTimeField(_("granted"), auto_now_add=True)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-granted_at"]
        verbose_name = _("access bypass")
        verbose_name_plural = _("access bypasses")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "requirement"],
                condition=models.Q(withdrawn_at__isnull=True),
                name="research_bypass_one_active",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_requirement_display()} until {self.ends_on}"


class Workspace(models.Model):
    """A research project: its stated purpose is public (the project list); its cohorts and
    datasets are its members' alone."""

    public_id = models.UUIDField(_("public id"), unique=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("project name"), max_length=200)
    purpose = models.TextField(_("research purpose"))
    tier = models.CharField(
        _("data tier"), max_length=12, choices=Tier.choices, default=Tier.REGISTERED
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="research_workspaces"
    )
    institution = models.ForeignKey(
        Institution, on_delete=models.PROTECT, related_name="workspaces"
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="research_workspace_memberships", blank=True
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    archived_at = models.DateTimeField(_("archived"), null=True, blank=True)
    # search.normalize(name + purpose), kept by the services: the public project list finds
    # "glucosa" in "Glucosa" and "medicion" in "medición" alike on SQLite and PostgreSQL.
    search_text = models.TextField(editable=False, default="")

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("research workspace")
        verbose_name_plural = _("research workspaces")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(tier="public"), name="workspace_tier_not_public"
            )
        ]

    def __str__(self) -> str:
        return self.name


class SavedCohort(models.Model):
    """A cohort definition (cohort_definition.py JSON) saved in a workspace."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="cohorts")
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    definition = models.JSONField(_("definition"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="cohort_name_per_workspace")
        ]

    def __str__(self) -> str:
        return self.name


class Dataset(models.Model):
    """Rows of a cohort's participants for chosen concept sets and columns, exported into the
    workspace as Parquet or CSV by a background task."""

    class Format(models.TextChoices):
        PARQUET = "parquet", _("Parquet")
        CSV = "csv", _("CSV")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting to start")
        BUILDING = "building", _("Being built")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="datasets")
    cohort = models.ForeignKey(SavedCohort, on_delete=models.PROTECT, related_name="datasets")
    release = models.ForeignKey(Release, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=200)
    # [{"domain", "concept_id", "descendants"}] and the column names chosen per table.
    concept_sets = models.JSONField(_("concept sets"), default=list)
    columns = models.JSONField(_("columns"), default=list)
    format = models.CharField(_("format"), max_length=10, choices=Format.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    rows = models.PositiveBigIntegerField(_("rows"), default=0)
    file_path = models.CharField(_("file"), max_length=500, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "name"], name="dataset_name_per_workspace"
            ),
            models.CheckConstraint(
                condition=models.Q(progress__lte=100), name="dataset_progress_percent"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class AppendOnly(Exception):
    """A change to the research log was attempted."""


class _LogQuerySet(models.QuerySet["ResearchLogEntry"]):
    def update(self, **kwargs: object) -> int:
        raise AppendOnly("the research log is append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnly("the research log is append-only")


class ResearchLogEntry(models.Model):
    """The research log: every research action, append-only (database triggers refuse changes,
    migration 0008, and so does the model). Researchers read their own; program staff search
    all."""

    class Action(models.TextChoices):
        LOGIN = "login", _("Signed in")
        ACCESS_CHANGE = "access_change", _("Access changed")
        BYPASS = "bypass", _("Bypass granted or withdrawn")
        IDENTITY = "identity", _("Identity confirmed or withdrawn")
        CONDUCT_SIGNED = "conduct_signed", _("Code of conduct signed")
        WORKSPACE = "workspace", _("Workspace created or changed")
        COHORT_COUNT = "cohort_count", _("Cohort counted")
        COHORT_SAVED = "cohort_saved", _("Cohort saved")
        COHORT_IMPORT = "cohort_import", _("Cohort imported or exported")
        DATASET_BUILD = "dataset_build", _("Dataset built")
        DATASET_EXPORT = "dataset_export", _("Dataset downloaded")
        REFUSED = "refused", _("Refused")

    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="research_log",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )  # who did it, when not the researcher themself (staff)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    workspace = models.ForeignKey(
        Workspace, on_delete=models.PROTECT, null=True, blank=True, related_name="log"
    )
    summary = models.CharField(_("summary"), max_length=500)
    data = models.JSONField(_("details"), default=dict, blank=True)

    objects = _LogQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["user", "-at"], name="research_log_user_at")]
        verbose_name = _("research log entry")
        verbose_name_plural = _("research log")

    def __str__(self) -> str:
        return self.summary

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnly("the research log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnly("the research log is append-only")


class CountLedgerEntry(models.Model):
    """A count a researcher has been shown, with its true value (never shown), per release:
    the differencing defence (ADR 0025) answers a new count near one already seen with the
    same display."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=60)  # "total", or "ubr:<category>" for the make-up
    true_count = models.PositiveIntegerField()
    shown = models.PositiveIntegerField()  # the number shown; 0 stands for "≤ 20"
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["user", "release", "key", "true_count"], name="count_ledger_lookup"
            )
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.shown}"
