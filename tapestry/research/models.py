"""A data release and the summaries the public pages and the diversity dashboard serve.

The participant-level data stays in the warehouse (DuckDB over Parquet, warehouse/); these
tables hold only aggregate counts, computed once per release. They are raw counts: every count
that leaves the server goes through privacy.py first (see selectors.py).
"""

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
