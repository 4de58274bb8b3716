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

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["status", "-finished_at"], name="release_status_finished")]
        verbose_name = _("data release")
        verbose_name_plural = _("data releases")

    def __str__(self) -> str:
        return self.version


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
    # {"male": n, ...}, {"18-29": n, ...}, {"black": n, ...}: raw counts, protected on output.
    by_sex = models.JSONField(default=dict)
    by_age = models.JSONField(default=dict)
    by_race = models.JSONField(default=dict)
    # Measurements: {"unit": "mg/dL", "bins": [[low, high, count], ...]}; else {}.
    histogram = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["release", "concept_id"], name="concept_summary_unique")
        ]
        indexes = [
            models.Index(fields=["release", "-participants"], name="concept_release_count"),
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

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["release", "site", "category"], name="category_summary_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.release} {self.site} {self.category}"
