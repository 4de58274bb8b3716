"""The Django admin of the training platform, for administrators. Staff write courses on the
authoring pages (views/authoring.py), which check what a course needs before it is published;
an edit here is audited too, and a change to a published course's content raises its version
as the pages do. Records learners make (completions, certificates, statements) and the
append-only audit trail are shown, never changed: revoking a certificate goes through its
staff page, which asks for the reason and audits it."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import F
from django.http import HttpRequest

from tapestry.core.api import audit_record
from tapestry.learning.models import (
    AuditEntry,
    Certificate,
    Completion,
    Course,
    CreditEntry,
    Enrollment,
    Lesson,
    Module,
    Quiz,
    QuizOption,
    QuizQuestion,
    Requirement,
    SigningKey,
    Statement,
)
from tapestry.learning.reports import standing_rebuild_on_commit
from tapestry.learning.services import html_clean


def _audited(request: HttpRequest, target: Any, verb: str) -> None:
    audit_record(
        actor=request.user,
        action="learning.admin_change",
        target=target,
        summary=f"{verb} {target._meta.verbose_name} {target.pk} in the admin",
    )


def _content_changed(course_id: int) -> None:
    """As on the authoring pages: a published course's version goes up with each change."""
    Course.objects.filter(pk=course_id, status=Course.Status.PUBLISHED).update(
        version=F("version") + 1
    )


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Shown, never added, changed or deleted here."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ModuleInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Module
    extra = 0
    fields = ["position", "title"]


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["title", "slug", "language", "status", "version", "compliance", "ce_hours"]
    list_filter = ["status", "language", "compliance", "approved_for_credit"]
    search_fields = ["title", "slug"]
    readonly_fields = ["version", "created_at", "updated_at"]
    raw_id_fields = ["translation_of"]
    filter_horizontal = ["prerequisites"]
    inlines = [ModuleInline]

    def save_model(self, request: HttpRequest, obj: Course, form: Any, change: bool) -> None:
        rule_changed = change and "completion_rule" in form.changed_data
        super().save_model(request, obj, form, change)
        if rule_changed:
            _content_changed(obj.pk)
        if "translation_of" in form.changed_data:
            standing_rebuild_on_commit()
        _audited(request, obj, "Changed" if change else "Added")


@admin.register(Lesson)
class LessonAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["title", "module", "position", "minutes"]
    list_filter = ["module__course"]
    search_fields = ["title", "module__course__title"]
    raw_id_fields = ["module"]

    def save_model(self, request: HttpRequest, obj: Lesson, form: Any, change: bool) -> None:
        obj.body = html_clean(obj.body)
        super().save_model(request, obj, form, change)
        _content_changed(obj.module.course_id)
        _audited(request, obj, "Changed" if change else "Added")


class QuestionInline(admin.StackedInline):  # type: ignore[type-arg]
    model = QuizQuestion
    extra = 0
    fields = ["position", "kind", "text"]
    show_change_link = True


@admin.register(Quiz)
class QuizAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["title", "module", "pass_mark", "attempts_allowed", "randomize"]
    list_filter = ["module__course"]
    search_fields = ["title", "module__course__title"]
    raw_id_fields = ["module"]
    inlines = [QuestionInline]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        _content_changed(form.instance.module.course_id)
        _audited(request, form.instance, "Changed" if change else "Added")


class OptionInline(admin.TabularInline):  # type: ignore[type-arg]
    model = QuizOption
    extra = 0
    fields = ["position", "text", "correct", "feedback"]


@admin.register(QuizQuestion)
class QuizQuestionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["__str__", "quiz", "kind", "position"]
    list_filter = ["kind"]
    raw_id_fields = ["quiz"]
    inlines = [OptionInline]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        _content_changed(form.instance.quiz.module.course_id)
        _audited(request, form.instance, "Changed" if change else "Added")


@admin.register(Requirement)
class RequirementAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["role", "course", "due_days"]
    list_filter = ["role"]
    raw_id_fields = ["course"]

    def save_model(self, request: HttpRequest, obj: Requirement, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        _audited(request, obj, "Changed" if change else "Added")
        standing_rebuild_on_commit()

    def delete_model(self, request: HttpRequest, obj: Requirement) -> None:
        _audited(request, obj, "Deleted")
        super().delete_model(request, obj)
        standing_rebuild_on_commit()

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for requirement in queryset:
            _audited(request, requirement, "Deleted")
        super().delete_queryset(request, queryset)
        standing_rebuild_on_commit()


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Only the due date may be changed here (a person's deadline moved); the rest is the
    learner's record."""

    list_display = ["user", "course", "source", "enrolled_at", "due_on", "cycle"]
    list_filter = ["source", "course"]
    search_fields = ["user__email", "course__title"]
    fields = ["user", "course", "source", "enrolled_at", "due_on", "cycle", "resume_at"]
    readonly_fields = ["user", "course", "source", "enrolled_at", "cycle", "resume_at"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Enrollment, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        _audited(request, obj, "Changed")


@admin.register(Completion)
class CompletionAdmin(ReadOnlyAdmin):
    list_display = ["user", "course", "course_version", "completed_at", "expires_at", "provenance"]
    list_filter = ["provenance", "course"]
    search_fields = ["user__email", "course__title", "source_system"]
    date_hierarchy = "completed_at"


@admin.register(Certificate)
class CertificateAdmin(ReadOnlyAdmin):
    list_display = ["code", "completion", "issued_at", "revoked_at"]
    search_fields = ["code"]
    exclude = ["credential_jwt"]


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["occurred_at", "action", "actor", "person", "subject"]
    list_filter = ["action"]
    search_fields = ["subject", "reason"]


@admin.register(CreditEntry)
class CreditEntryAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["user", "title", "provider", "earned_on", "hours", "approved"]
    list_filter = ["approved"]
    search_fields = ["user__email", "title", "provider"]
    raw_id_fields = ["user", "completion"]

    def save_model(self, request: HttpRequest, obj: CreditEntry, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        _audited(request, obj, "Changed" if change else "Added")


@admin.register(Statement)
class StatementAdmin(ReadOnlyAdmin):
    list_display = ["stored", "verb", "activity", "agent_key"]
    list_filter = ["verb"]
    search_fields = ["activity", "agent_key"]


@admin.register(SigningKey)
class SigningKeyAdmin(ReadOnlyAdmin):
    # The private half never leaves the database.
    list_display = ["kid", "algorithm", "created_at", "retired_at"]
    exclude = ["private_pem"]
