"""Health information resources: a resource and its text in each language (ADR 0027).

A `Resource` is the work (its kind, focus areas, audiences, whether it gives critical
instructions); a `ResourceText` is that work in one language, written, scored, reviewed and
published on its own. The working copy (title, summary, body, transcript) is what authors edit;
publishing copies it to the `published_*` fields, which are all the public ever reads, so an
edit of a published text waits for review while the reviewed text stays up.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

MAX_BODY_CHARACTERS = 60_000
MAX_TITLE_CHARACTERS = 200
MAX_SUMMARY_CHARACTERS = 600


class Language(models.TextChoices):
    ENGLISH = "en", _("English")
    SPANISH = "es", _("Spanish")


class Kind(models.TextChoices):
    ARTICLE = "article", pgettext_lazy("resource kind", "Article")
    HANDOUT = "handout", pgettext_lazy("resource kind", "Handout")
    VIDEO = "video", pgettext_lazy("resource kind", "Video")
    LINK = "link", pgettext_lazy("resource kind", "Link to a trusted source")


class Status(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("resource text", "Draft")
    IN_REVIEW = "in_review", pgettext_lazy("resource text", "In review")
    PUBLISHED = "published", pgettext_lazy("resource text", "Published")


class FocusArea(models.Model):
    """One of the network's five literacies (rows from `data/focus_areas.csv`)."""

    slug = models.SlugField(unique=True)
    name_en = models.CharField(_("name"), max_length=100)
    name_es = models.CharField(_("name in Spanish"), max_length=100)
    summary_en = models.CharField(_("summary"), max_length=300)
    summary_es = models.CharField(_("summary in Spanish"), max_length=300)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        verbose_name = _("focus area")
        verbose_name_plural = _("focus areas")

    def __str__(self) -> str:
        return self.name_en

    def name(self, language: str) -> str:
        return self.name_es if language == Language.SPANISH else self.name_en

    def summary(self, language: str) -> str:
        return self.summary_es if language == Language.SPANISH else self.summary_en


class Audience(models.Model):
    """Who a resource is written for (rows from `data/audiences.csv`)."""

    slug = models.SlugField(unique=True)
    name_en = models.CharField(_("name"), max_length=100)
    name_es = models.CharField(_("name in Spanish"), max_length=100)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        verbose_name = _("audience")
        verbose_name_plural = _("audiences")

    def __str__(self) -> str:
        return self.name_en

    def name(self, language: str) -> str:
        return self.name_es if language == Language.SPANISH else self.name_en


class Resource(models.Model):
    """The work, in one language or both."""

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    focus_areas = models.ManyToManyField(FocusArea, verbose_name=_("focus areas"))
    audiences = models.ManyToManyField(Audience, verbose_name=_("audiences"))
    # Critical instructions (how to take a medicine, what to do in an emergency) aim at grade 6.
    critical = models.BooleanField(_("gives critical instructions"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("resource")
        verbose_name_plural = _("resources")

    def __str__(self) -> str:
        text = self.texts.first()
        return text.title if text else f"Resource {self.pk}"


class ResourceText(models.Model):
    """A resource in one language: its own draft, scores, review and publication."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="texts")
    language = models.CharField(_("language"), max_length=2, choices=Language.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    # The working copy.
    title = models.CharField(_("title"), max_length=MAX_TITLE_CHARACTERS)
    summary = models.CharField(_("summary"), max_length=MAX_SUMMARY_CHARACTERS, blank=True)
    body = models.TextField(_("text"), blank=True)  # HTML, cleaned with nh3 on every save
    transcript = models.TextField(_("transcript"), blank=True)  # videos: plain text
    url = models.URLField(_("address"), max_length=500, blank=True)  # links and videos
    # Readability of the working copy, scored on every save ({formula: value}).
    readability = models.JSONField(default=dict, blank=True)
    meets_target = models.BooleanField(default=False)
    above_target_reason = models.TextField(_("why it is published above the target"), blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    last_edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    review_note = models.TextField(_("reviewer's note"), blank=True)
    # When the words last changed (not the status): the other language is out of date when
    # this is later than its own, unless someone confirmed it needs no change since.
    content_changed_at = models.DateTimeField()
    in_step_confirmed_at = models.DateTimeField(null=True, blank=True)
    # What the public reads: a copy of the working text when it was last published.
    slug = models.SlugField(max_length=120)
    published_title = models.CharField(max_length=MAX_TITLE_CHARACTERS, blank=True)
    published_summary = models.CharField(max_length=MAX_SUMMARY_CHARACTERS, blank=True)
    published_body = models.TextField(blank=True)
    published_transcript = models.TextField(blank=True)
    published_url = models.URLField(max_length=500, blank=True)
    published_readability = models.JSONField(default=dict, blank=True)
    first_published_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["resource", "language"]
        verbose_name = _("resource text")
        verbose_name_plural = _("resource texts")
        constraints = [
            models.UniqueConstraint(fields=["resource", "language"], name="one_text_per_language"),
            models.UniqueConstraint(fields=["language", "slug"], name="unique_slug_per_language"),
            models.CheckConstraint(
                condition=Q(reviewer__isnull=True) | ~Q(reviewer=models.F("author")),
                name="reviewer_is_not_author",
            ),
        ]
        indexes = [models.Index(fields=["language", "-published_at"], name="resources_live")]

    def __str__(self) -> str:
        return f"{self.title} ({self.language})"

    @property
    def is_live(self) -> bool:
        return self.published_at is not None


class ClearCommunicationReview(models.Model):
    """A reviewer's CDC Clear Communication Index score sheet for one text (20 items)."""

    text = models.ForeignKey(ResourceText, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # {"1": "yes" | "no" | "na", ...}: one answer per item of data/clear_communication_index.csv.
    answers = models.JSONField()
    score = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    passed = models.BooleanField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("Clear Communication Index score sheet")
        verbose_name_plural = _("Clear Communication Index score sheets")

    def __str__(self) -> str:
        return f"{self.score}/100"


class ResourceEvent(models.Model):
    """Who did what to a text and why: the trail shown on the staff page."""

    class Action(models.TextChoices):
        CREATED = "created", pgettext_lazy("resource event", "Created")
        EDITED = "edited", pgettext_lazy("resource event", "Edited")
        SUBMITTED = "submitted", pgettext_lazy("resource event", "Sent for review")
        RETURNED = "returned", pgettext_lazy("resource event", "Returned to the author")
        SCORED = "scored", pgettext_lazy("resource event", "Clear Communication Index filled in")
        PUBLISHED = "published", pgettext_lazy("resource event", "Published")
        WITHDRAWN = "withdrawn", pgettext_lazy("resource event", "Withdrawn")
        IN_STEP = (
            "in_step",
            pgettext_lazy("resource event", "Marked in step with the other language"),
        )

    text = models.ForeignKey(ResourceText, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=20, choices=Action.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.action
