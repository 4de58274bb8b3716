"""The training archive for staff: download the whole platform as one ZIP (streamed), or
upload one to import it into this Tapestry."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods

from tapestry.accounts.api import AuthenticatedRequest, Role, user_has_role
from tapestry.core.api import audit_record
from tapestry.learning.archive import archive_chunks, archive_import, archive_name
from tapestry.learning.forms.archive import ArchiveImportForm
from tapestry.learning.services import LearningError

TEMPLATE = "learning/archive/page.html"
# Room for the multipart envelope and the other fields around the file.
_ENVELOPE_BYTES = 64 * 1024


def _staff_only(request: HttpRequest) -> None:
    # Two-factor sign-in for these roles is enforced by RequireStaffTwoFactorMiddleware.
    if not user_has_role(request.user, Role.PROGRAM_STAFF, Role.ADMINISTRATOR):
        raise PermissionDenied


def _page(
    request: HttpRequest, form: ArchiveImportForm, *, status: int = 200, **extra: Any
) -> HttpResponse:
    context = {"form": form, "max_bytes": settings.LEARNING_ARCHIVE_MAX_BYTES, **extra}
    return render(request, TEMPLATE, context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def archive(request: AuthenticatedRequest) -> HttpResponse:
    _staff_only(request)
    if request.method == "GET":
        return _page(request, ArchiveImportForm())
    declared = int(request.META.get("CONTENT_LENGTH") or 0)
    if declared > settings.LEARNING_ARCHIVE_MAX_BYTES + _ENVELOPE_BYTES:
        # Refuse before reading the upload at all.
        form = ArchiveImportForm()
        form.too_large = True
        return _page(request, form, status=413, too_large=True)
    form = ArchiveImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, form, status=413 if form.too_large else 400, too_large=form.too_large)
    try:
        result = archive_import(file=form.cleaned_data["archive"], actor=request.user)
    except LearningError as error:
        return _page(request, form, status=error.status, error=str(error))
    return _page(request, ArchiveImportForm(), result=result)


@login_required
@require_GET
def archive_download(request: AuthenticatedRequest) -> StreamingHttpResponse:
    _staff_only(request)
    # The archive holds every learner's name and email: who took one is on record.
    audit_record(actor=request.user, action="learning.archive_exported", summary=archive_name())
    response = StreamingHttpResponse(archive_chunks(), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{archive_name()}"'
    response["Cache-Control"] = "no-store"
    return response
