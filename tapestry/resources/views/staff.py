"""The staff pages under /resources/staff/: every resource and its languages, a new resource,
and one text's page (its words and the editor, readability, review, publication, the other
language, the trail). For the people who write resources (`services.may_author`) and who review
them (`services.may_review`); anyone else gets 403. Every write goes through a service; its
refusal comes back as a message on the same page with everything typed kept."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tapestry.resources import clear_communication, services, staff_selectors
from tapestry.resources.forms import (
    PublishForm,
    ResourceAboutForm,
    ResourceNewForm,
    ReturnForm,
    ScoreSheetForm,
    StaffSearchForm,
    TextForm,
    WithdrawForm,
)
from tapestry.resources.models import MAX_BODY_CHARACTERS, Language, Resource, ResourceText, Status

TEMPLATES = "resources/staff"


def staff_only(view: Any) -> Any:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not (services.may_author(request.user) or services.may_review(request.user)):
            raise PermissionDenied(
                _("These pages are for the people who write and review resources.")
            )
        response: HttpResponseBase = view(request, *args, **kwargs)
        return response

    return login_required(wrapped)


def _language() -> str:
    language = (get_language() or "en")[:2]
    return language if language in Language.values else Language.ENGLISH


def _text_of(text_id: int) -> ResourceText:
    text = staff_selectors.text_get(text_id)
    if text is None:
        raise Http404
    return text


def _resource_of(resource_id: int) -> Resource:
    resource = staff_selectors.resource_get(resource_id)
    if resource is None:
        raise Http404
    return resource


def _text_url(text: ResourceText) -> str:
    return reverse("resources:staff_text", args=[text.pk])


# --- the list ------------------------------------------------------------------------------


@staff_only
@require_GET
def staff_list(request: HttpRequest) -> HttpResponse:
    form = StaffSearchForm(request.GET or None)
    query, needs_review = "", False
    status = 200
    if form.is_bound and form.is_valid():
        query = form.cleaned_data["q"]
        needs_review = form.cleaned_data["needs_review"]
    elif form.is_bound:
        status = 400
    page, rows = staff_selectors.resources_page(
        viewer=request.user, query=query, needs_review=needs_review, page=request.GET.get("page")
    )
    return render(
        request,
        f"{TEMPLATES}/list.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "pagination": {
                "page": page.number,
                "num_pages": page.paginator.num_pages,
                "has_previous": page.has_previous(),
                "has_next": page.has_next(),
            },
            "filtered": bool(query.strip() or needs_review),
            "may_author": services.may_author(request.user),
            "page_language": _language(),
        },
        status=status,
    )


# --- a new resource and a translation ------------------------------------------------------


def _words(form: TextForm) -> dict[str, str]:
    return {
        "title": form.cleaned_data["title"],
        "summary": form.cleaned_data["summary"],
        "body": form.cleaned_data["body"],
        "transcript": form.cleaned_data["transcript"],
        "url": form.cleaned_data["url"],
    }


@staff_only
@require_http_methods(["GET", "POST"])
def staff_new(request: HttpRequest) -> HttpResponse:
    if not services.may_author(request.user):
        raise PermissionDenied(_("Only program staff and health educators may write resources."))
    language = _language()
    form = ResourceNewForm(
        request.POST or None,
        language=language,
        initial={"language": language, "kind": "article"},
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                text = services.resource_create(
                    actor=request.user,
                    language=form.cleaned_data["language"],
                    kind=form.cleaned_data["kind"],
                    focus_areas=form.cleaned_data["focus_areas"],
                    audiences=form.cleaned_data["audiences"],
                    critical=form.cleaned_data["critical"],
                    **_words(form),
                )
            except services.ResourceError as refusal:
                form.add_error(None, str(refusal))
                status = refusal.status
            else:
                messages.success(
                    request,
                    _("The resource is saved as a draft. Send it for review when it is ready."),
                )
                return redirect(_text_url(text))  # type: ignore[return-value]
    return render(
        request,
        f"{TEMPLATES}/new.html",
        {"form": form, "editor_language": form["language"].value() or language},
        status=status,
    )


@staff_only
@require_http_methods(["GET", "POST"])
def staff_translation_add(request: HttpRequest, resource_id: int, language: str) -> HttpResponse:
    resource = _resource_of(resource_id)
    if language not in Language.values:
        raise Http404
    if not services.may_author(request.user):
        raise PermissionDenied(_("Only program staff and health educators may write resources."))
    existing = resource.texts.filter(language=language).first()
    if existing is not None:
        return redirect(_text_url(existing))  # type: ignore[return-value]
    original = resource.texts.exclude(language=language).first()
    form = TextForm(request.POST or None, kind=resource.kind)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                text = services.translation_add(
                    actor=request.user, resource=resource, language=language, **_words(form)
                )
            except services.ResourceError as refusal:
                form.add_error(None, str(refusal))
                status = refusal.status
            else:
                messages.success(request, _("The translation is saved as a draft."))
                return redirect(_text_url(text))  # type: ignore[return-value]
    return render(
        request,
        f"{TEMPLATES}/translation_add.html",
        {
            "form": form,
            "resource": resource,
            "language": language,
            "language_label": Language(language).label,
            "original": original,
            "editor_language": language,
        },
        status=status,
    )


@staff_only
@require_http_methods(["GET", "POST"])
def staff_about(request: HttpRequest, resource_id: int) -> HttpResponse:
    """What a resource is and who it is for: kind, focus areas, audiences, critical."""
    resource = _resource_of(resource_id)
    if not services.may_author(request.user):
        raise PermissionDenied(_("Only program staff and health educators may write resources."))
    back = resource.texts.order_by("language").first()
    form = ResourceAboutForm(
        request.POST or None,
        language=_language(),
        initial={
            "kind": resource.kind,
            "focus_areas": [area.slug for area in resource.focus_areas.all()],
            "audiences": [group.slug for group in resource.audiences.all()],
            "critical": resource.critical,
        },
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.resource_update(
                    actor=request.user,
                    resource=resource,
                    kind=form.cleaned_data["kind"],
                    focus_areas=form.cleaned_data["focus_areas"],
                    audiences=form.cleaned_data["audiences"],
                    critical=form.cleaned_data["critical"],
                )
            except services.ResourceError as refusal:
                form.add_error(None, str(refusal))
                status = refusal.status
            else:
                messages.success(request, _("Saved. Readability is scored again for the target."))
                target = _text_url(back) if back else reverse("resources:staff_list")
                return redirect(target)  # type: ignore[return-value]
    return render(
        request,
        f"{TEMPLATES}/about.html",
        {"form": form, "resource": resource, "back": back},
        status=status,
    )


# --- one text's page -----------------------------------------------------------------------


def _text_page(
    request: HttpRequest,
    text: ResourceText,
    *,
    status: int = 200,
    **forms: Any,
) -> HttpResponse:
    """The text's page; `forms` replaces the blank form of the action that failed, so what
    was typed comes back with the message."""
    user = request.user
    other = staff_selectors.other_text(text)
    page_language = _language()
    may_author = services.may_author(user)
    may_review = (
        text.status == Status.IN_REVIEW
        and services.may_review(user)
        and user.pk not in (text.author_id, text.last_edited_by_id)
    )
    sheet = services.latest_sheet(text)
    words_form = forms.get("words_form") or TextForm(
        initial={
            "title": text.title,
            "summary": text.summary,
            "body": text.body,
            "transcript": text.transcript,
            "url": text.url,
        },
        kind=text.resource.kind,
    )
    context = {
        "text": text,
        "resource": text.resource,
        "other": other,
        "other_language": next(code for code in Language.values if code != text.language),
        "other_language_label": Language(
            next(code for code in Language.values if code != text.language)
        ).label,
        "behind_other": services.translation_out_of_date(text, other),
        "other_behind": other is not None and services.translation_out_of_date(other, text),
        "panel": staff_selectors.text_readability(text),
        "may_author": may_author,
        "may_review": may_review,
        "own_text": text.status == Status.IN_REVIEW
        and services.may_review(user)
        and not may_review,
        "may_withdraw": text.is_live and services.may_review(user),
        "sheet": sheet,
        "passing_score": clear_communication.PASSING_SCORE,
        "public_differs": staff_selectors.public_copy_differs(text),
        "trail": staff_selectors.trail(text),
        "focus_areas": [area.name(page_language) for area in text.resource.focus_areas.all()],
        "audiences": [group.name(page_language) for group in text.resource.audiences.all()],
        "words_form": words_form,
        "sheet_form": forms.get("sheet_form") or ScoreSheetForm(language=page_language),
        "return_form": forms.get("return_form") or ReturnForm(),
        "publish_form": forms.get("publish_form") or PublishForm(),
        "withdraw_form": forms.get("withdraw_form") or WithdrawForm(),
        "refusal": forms.get("refusal"),
        "editor_language": text.language,
        "statuses": Status,
    }
    return render(request, f"{TEMPLATES}/text.html", context, status=status)


def _refused(
    request: HttpRequest, text: ResourceText, refusal: services.ResourceError, **forms: Any
) -> HttpResponse:
    # The text may have moved on (a double submit, a colleague's change): show it as it is now.
    fresh = staff_selectors.text_get(text.pk) or text
    return _text_page(request, fresh, status=refusal.status, refusal=str(refusal), **forms)


@staff_only
@require_http_methods(["GET", "POST"])
def staff_text(request: HttpRequest, text_id: int) -> HttpResponse:
    text = _text_of(text_id)
    if request.method == "GET":
        return _text_page(request, text)
    form = TextForm(request.POST, kind=text.resource.kind)
    if not form.is_valid():
        return _text_page(request, text, status=400, words_form=form)
    try:
        saved = services.text_save(actor=request.user, text=text, **_words(form))
    except services.ResourceError as refusal:
        return _refused(request, text, refusal, words_form=form)
    if text.status != Status.DRAFT and saved.status == Status.DRAFT:
        messages.success(
            request, _("Saved. The text is a draft again: send it for review when it is ready.")
        )
    else:
        messages.success(request, _("Saved."))
    return redirect(_text_url(saved))  # type: ignore[return-value]


def _step(
    request: HttpRequest,
    text_id: int,
    *,
    form_class: type[Form] | None,
    form_name: str,
    step: Callable[[ResourceText, dict[str, Any]], object],
    done: str,
) -> HttpResponse:
    """One step of a text's review (POST): the form, then the service; a refusal comes back on
    the text's page with what was typed, success as a message on it."""
    text = _text_of(text_id)
    form = form_class(request.POST) if form_class else None
    if form is not None and not form.is_valid():
        return _text_page(request, text, status=400, **{form_name: form})
    try:
        step(text, form.cleaned_data if form is not None else {})
    except services.ResourceError as refusal:
        return _refused(request, text, refusal, **({form_name: form} if form else {}))
    messages.success(request, done)
    return redirect(_text_url(text))  # type: ignore[return-value]


@staff_only
@require_POST
def staff_submit(request: HttpRequest, text_id: int) -> HttpResponse:
    return _step(
        request,
        text_id,
        form_class=None,
        form_name="",
        step=lambda text, data: services.text_submit(actor=request.user, text=text),
        done=_("Sent for review. A colleague will read it and score it."),
    )


@staff_only
@require_POST
def staff_sheet(request: HttpRequest, text_id: int) -> HttpResponse:
    text = _text_of(text_id)
    form = ScoreSheetForm(request.POST, language=_language())
    if not form.is_valid():
        return _text_page(request, text, status=400, sheet_form=form)
    try:
        sheet = services.clear_communication_record(
            actor=request.user, text=text, answers=form.answers()
        )
    except services.ResourceError as refusal:
        return _refused(request, text, refusal, sheet_form=form)
    if sheet.passed:
        messages.success(
            request, _("Score sheet saved: %(score)s/100, passes.") % {"score": sheet.score}
        )
    else:
        messages.warning(
            request,
            _(
                "Score sheet saved: %(score)s/100, below the %(passing)s needed. Return the "
                "text to its author with what to change."
            )
            % {"score": sheet.score, "passing": clear_communication.PASSING_SCORE},
        )
    return redirect(f"{_text_url(text)}#review")  # type: ignore[return-value]


@staff_only
@require_POST
def staff_return(request: HttpRequest, text_id: int) -> HttpResponse:
    return _step(
        request,
        text_id,
        form_class=ReturnForm,
        form_name="return_form",
        step=lambda text, data: services.text_return(
            actor=request.user, text=text, note=data["note"]
        ),
        done=_("Returned to the author with your note."),
    )


@staff_only
@require_POST
def staff_publish(request: HttpRequest, text_id: int) -> HttpResponse:
    return _step(
        request,
        text_id,
        form_class=PublishForm,
        form_name="publish_form",
        step=lambda text, data: services.text_publish(
            actor=request.user, text=text, above_target_reason=data["above_target_reason"]
        ),
        done=_("Published: the public now reads this version."),
    )


@staff_only
@require_POST
def staff_withdraw(request: HttpRequest, text_id: int) -> HttpResponse:
    return _step(
        request,
        text_id,
        form_class=WithdrawForm,
        form_name="withdraw_form",
        step=lambda text, data: services.text_withdraw(
            actor=request.user, text=text, reason=data["reason"]
        ),
        done=_("Withdrawn: the public pages no longer show this text."),
    )


@staff_only
@require_POST
def staff_in_step(request: HttpRequest, text_id: int) -> HttpResponse:
    return _step(
        request,
        text_id,
        form_class=None,
        form_name="",
        step=lambda text, data: services.text_mark_in_step(actor=request.user, text=text),
        done=_("Marked as needing no change."),
    )


@staff_only
@require_POST
def staff_preview(request: HttpRequest) -> HttpResponse:
    """The editor's live preview: the body as it would be saved, and its readability."""
    language = request.POST.get("language", "")
    if language not in Language.values:
        language = _language()
    body = request.POST.get("body", "")
    cleaned, panel = staff_selectors.draft_readability(
        language=language,
        critical=request.POST.get("critical") in ("on", "true", "1"),
        summary=request.POST.get("summary", "")[:2000],
        body=body[: 2 * MAX_BODY_CHARACTERS],
        transcript=request.POST.get("transcript", "")[: 2 * MAX_BODY_CHARACTERS],
    )
    return render(
        request,
        f"{TEMPLATES}/_preview.html",
        {"preview_html": cleaned, "panel": panel, "editor_language": language},
    )


urlpatterns: list[URLPattern] = [
    path("staff/", staff_list, name="staff_list"),
    path("staff/new/", staff_new, name="staff_new"),
    path("staff/preview/", staff_preview, name="staff_preview"),
    path("staff/texts/<int:text_id>/", staff_text, name="staff_text"),
    path("staff/texts/<int:text_id>/submit/", staff_submit, name="staff_submit"),
    path("staff/texts/<int:text_id>/score-sheet/", staff_sheet, name="staff_sheet"),
    path("staff/texts/<int:text_id>/return/", staff_return, name="staff_return"),
    path("staff/texts/<int:text_id>/publish/", staff_publish, name="staff_publish"),
    path("staff/texts/<int:text_id>/withdraw/", staff_withdraw, name="staff_withdraw"),
    path("staff/texts/<int:text_id>/in-step/", staff_in_step, name="staff_in_step"),
    path("staff/resources/<int:resource_id>/about/", staff_about, name="staff_about"),
    path(
        "staff/resources/<int:resource_id>/add/<str:language>/",
        staff_translation_add,
        name="staff_translation_add",
    ),
]
