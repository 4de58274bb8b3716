"""The Django admin for administrators. Staff build instruments on the surveys pages
(views/authoring.py), which check conditions and keep both languages in step; an edit here
still bumps the revision (so respondents are asked to check their answers) and is audited."""

from typing import Any

from django.contrib import admin
from django.db.models import F
from django.http import HttpRequest

from tapestry.core.api import audit_record
from tapestry.surveys.models import AccessToken, Choice, Instrument, Question, Response, Section


def _revision_bump(request: HttpRequest, instrument_id: int, target: Any) -> None:
    Instrument.objects.filter(pk=instrument_id).update(revision=F("revision") + 1)
    audit_record(
        actor=request.user,
        action="surveys.admin_change",
        target=target,
        summary=f"Changed {target._meta.verbose_name} {target.pk} in the admin",
    )


class SectionInline(admin.StackedInline):
    model = Section
    extra = 0
    fields = ["position", "title_en", "title_es", "introduction_en", "introduction_es"]


@admin.register(Instrument)
class InstrumentAdmin(admin.ModelAdmin):
    list_display = ["slug", "title_en", "purpose", "mode", "status", "opens_at", "closes_at"]
    list_filter = ["status", "purpose", "mode"]
    search_fields = ["slug", "title_en", "title_es"]
    readonly_fields = ["revision", "created_by", "created_at", "updated_at"]
    inlines = [SectionInline]

    def save_model(self, request: HttpRequest, obj: Instrument, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        _revision_bump(request, obj.pk, obj)


class ChoiceInline(admin.TabularInline):
    model = Choice
    extra = 0
    fields = ["position", "code", "label_en", "label_es", "translation_outdated"]


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["code", "instrument", "section", "position", "kind", "required"]
    list_filter = ["kind", "instrument"]
    search_fields = ["code", "label_en", "label_es"]
    raw_id_fields = ["instrument", "section"]
    inlines = [ChoiceInline]

    def save_model(self, request: HttpRequest, obj: Question, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        _revision_bump(request, obj.instrument_id, obj)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records that only the answering side writes: shown, never changed here."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Response)
class ResponseAdmin(ReadOnlyAdmin):
    # Anonymous responses hold no person; identified ones show the person's id only.
    list_display = ["pk", "instrument", "submitted_at", "language", "role", "region", "person_id"]
    list_filter = ["instrument", "language"]
    fields = readonly_fields = (
        "instrument",
        "revision",
        "language",
        "person_id",
        "sequence",
        "submitted_at",
        "role",
        "region",
        "subject_kind",
        "subject_ref",
    )


@admin.register(AccessToken)
class AccessTokenAdmin(ReadOnlyAdmin):
    # The secret itself is never stored: only its hash is shown.
    list_display = ["pk", "instrument", "secret_hash", "subject_kind", "subject_ref", "used_at"]
    list_filter = ["instrument"]
    fields = readonly_fields = (
        "instrument",
        "secret_hash",
        "subject_kind",
        "subject_ref",
        "created_at",
        "used_at",
    )
