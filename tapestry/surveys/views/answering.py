"""Answering: the public link's landing page, one section at a time, save and resume, submit,
the thank-you page, and the QR code and poster that lead to the public link.

Two ways in: anonymous instruments answer through a one-time link (`/r/<secret>/`, made when
the person presses Start, or sent in an invitation by another app); identified instruments
answer signed in (`/answer/`), one draft per person.
"""

from __future__ import annotations

import io

import segno
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tapestry.core.api import client_address, site_info
from tapestry.surveys import logic
from tapestry.surveys.forms.answering import (
    SectionNavigationForm,
    answers_from_post,
    section_page,
)
from tapestry.surveys.models import AccessToken, Draft, Instrument, token_hash
from tapestry.surveys.selectors import Structure, instrument_structure
from tapestry.surveys.services import (
    AlreadyAnswered,
    AnswersInvalid,
    InstrumentChanged,
    LinkNotYours,
    LinkUnknown,
    LinkUsed,
    SurveyError,
    WindowClosed,
    answering_start,
    answers_check,
    answers_fitting,
    draft_for_link,
    draft_for_person,
    draft_save,
    response_submit,
)

TEMPLATES = "surveys/answering"
# The one-time links this browser started, by instrument slug, so pressing Start again (a
# reload, the back button, a second tab) resumes the same answers instead of making a new link.
STARTED_SESSION_KEY = "surveys_started"


def _published(slug: str) -> Instrument:
    """Draft and archived instruments do not exist for the public."""
    instrument = Instrument.objects.filter(slug=slug, status=Instrument.Status.PUBLISHED).first()
    if instrument is None:
        raise Http404(_("There is no open survey at this address."))
    return instrument


def _language() -> str:
    return "es" if (get_language() or "en").startswith("es") else "en"


def _problem(
    request: HttpRequest,
    instrument: Instrument,
    *,
    status: int,
    heading: str,
    message: str,
) -> HttpResponse:
    return render(
        request,
        f"{TEMPLATES}/problem.html",
        {
            "instrument": instrument,
            "title": instrument.text("title", _language()),
            "heading": heading,
            "message": message,
        },
        status=status,
    )


def _closed(request: HttpRequest, instrument: Instrument) -> HttpResponse:
    return render(
        request,
        f"{TEMPLATES}/closed.html",
        {
            "instrument": instrument,
            "title": instrument.text("title", _language()),
            "not_yet_open": bool(instrument.opens_at and instrument.opens_at > timezone.now()),
        },
        status=403,
    )


def _refusal(request: HttpRequest, instrument: Instrument, error: SurveyError) -> HttpResponse:
    if isinstance(error, WindowClosed):
        return _closed(request, instrument)
    if isinstance(error, LinkUsed):
        return _problem(
            request, instrument, status=410, heading=_("Already answered"), message=str(error)
        )
    if isinstance(error, LinkUnknown):
        return _problem(
            request, instrument, status=400, heading=_("Link not found"), message=str(error)
        )
    if isinstance(error, LinkNotYours):
        return _problem(
            request, instrument, status=403, heading=_("Not your link"), message=str(error)
        )
    if isinstance(error, AlreadyAnswered):
        return _problem(
            request, instrument, status=409, heading=_("Already answered"), message=str(error)
        )
    return _problem(
        request, instrument, status=400, heading=_("Something went wrong"), message=str(error)
    )


@require_GET
def landing(request: HttpRequest, slug: str) -> HttpResponse:
    instrument = _published(slug)
    if not instrument.is_open():
        return _closed(request, instrument)
    language = _language()
    return render(
        request,
        f"{TEMPLATES}/landing.html",
        {
            "instrument": instrument,
            "title": instrument.text("title", language),
            "introduction": instrument.text("introduction", language),
            "anonymous": instrument.mode == Instrument.Mode.ANONYMOUS,
            "section_count": instrument.sections.count(),
        },
    )


@require_POST
def start(request: HttpRequest, slug: str) -> HttpResponse:
    instrument = _published(slug)
    if instrument.mode == Instrument.Mode.IDENTIFIED:
        return redirect("surveys:answer_person", slug=slug)
    started: dict[str, str] = request.session.get(STARTED_SESSION_KEY, {})
    earlier = started.get(slug)
    if (
        earlier
        and AccessToken.objects.filter(
            secret_hash=token_hash(earlier), used_at__isnull=True
        ).exists()
    ):
        return redirect("surveys:answer_token", slug=slug, secret=earlier)
    if not _start_allowed(request):
        return _problem(
            request,
            instrument,
            status=429,
            heading=_("Too many surveys started"),
            message=_(
                "Many surveys were started from your connection in the last hour. Please try "
                "again later, or ask for an invitation link."
            ),
        )
    try:
        secret = answering_start(instrument=instrument, language=_language())
    except SurveyError as error:
        return _refusal(request, instrument, error)
    request.session[STARTED_SESSION_KEY] = {**started, slug: secret}
    return redirect("surveys:answer_token", slug=slug, secret=secret)


def _start_allowed(request: HttpRequest) -> bool:
    """At most SURVEYS_STARTS_PER_ADDRESS_PER_HOUR anonymous starts per address and hour."""
    hour = timezone.now().strftime("%Y%m%d%H")
    key = f"surveys:starts:{client_address(request)}:{hour}"
    cache.add(key, 0, timeout=3600)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr: count this start as the first
        count = 1
    return count <= settings.SURVEYS_STARTS_PER_ADDRESS_PER_HOUR


@require_http_methods(["GET", "POST"])
def answer_token(request: HttpRequest, slug: str, secret: str) -> HttpResponse:
    instrument = _published(slug)
    if instrument.mode == Instrument.Mode.IDENTIFIED and not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    try:
        draft = draft_for_link(
            instrument=instrument, secret=secret, user=request.user, language=_language()
        )
    except LinkUsed as error:
        if request.method == "POST":
            return _problem(
                request,
                instrument,
                status=409,
                heading=_("Already answered"),
                message=_("This link has already been used."),
            )
        return _refusal(request, instrument, error)
    except SurveyError as error:
        return _refusal(request, instrument, error)
    return _answer(request, instrument, draft, request.path)


@require_http_methods(["GET", "POST"])
def answer_person(request: HttpRequest, slug: str) -> HttpResponse:
    instrument = _published(slug)
    if instrument.mode != Instrument.Mode.IDENTIFIED:
        # Anonymous instruments answer through one-time links, started from the landing page.
        return redirect("surveys:landing", slug=slug)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    try:
        draft = draft_for_person(instrument=instrument, person=request.user, language=_language())
    except SurveyError as error:
        return _refusal(request, instrument, error)
    return _answer(request, instrument, draft, request.path)


def _pages(structure: Structure, answers: dict[str, logic.Answer]) -> list[int]:
    """The sections (by index) that have a question to show for these answers; a section
    whose every question is hidden by earlier answers is skipped."""
    pages = []
    for index, section in enumerate(structure.sections):
        page = section_page(
            structure=structure, section=section, answers=answers, errors={}, language="en"
        )
        if page.fields:
            pages.append(index)
    return pages or [0]


def _nearest(pages: list[int], index: int) -> int:
    later = [page for page in pages if page >= index]
    return later[0] if later else pages[-1]


def _answer(request: HttpRequest, instrument: Instrument, draft: Draft, url: str) -> HttpResponse:
    structure = instrument_structure(instrument=instrument)
    if request.method == "GET":
        changed = draft.revision != instrument.revision
        answers: dict[str, logic.Answer] = (
            answers_fitting(structure=structure, answers=draft.answers)
            if changed
            else dict(draft.answers)
        )
        index = _nearest(_pages(structure, answers), draft.section_position)
        if changed:
            draft_save(
                draft=draft,
                structure=structure,
                answers=answers,
                section_position=index,
                language=_language(),
            )
        return _section(
            request, structure, draft, url, index=index, answers=answers, changed=changed
        )

    navigation = SectionNavigationForm(request.POST, section_count=len(structure.sections))
    if not navigation.is_valid():
        return _problem(
            request,
            instrument,
            status=400,
            heading=_("We could not read this page"),
            message=_(
                "The page sent something we did not expect, so nothing was saved. Open the "
                "survey's link again and go on from your last saved answers."
            ),
        )
    index = int(navigation.cleaned_data["section"])
    action: str = navigation.cleaned_data["action"]
    section = structure.sections[index]
    here = structure.section_questions(section)
    answers = {
        code: answer
        for code, answer in draft.answers.items()
        if code not in {question.code for question in here}
    }
    answers.update(answers_from_post(here, request.POST))

    if navigation.cleaned_data["revision"] != instrument.revision:
        fitting = answers_fitting(structure=structure, answers=answers)
        index = _nearest(_pages(structure, fitting), index)
        draft_save(
            draft=draft,
            structure=structure,
            answers=fitting,
            section_position=index,
            language=_language(),
        )
        return _section(
            request, structure, draft, url, index=index, answers=fitting, changed=True, status=409
        )

    _kept, errors = answers_check(
        structure=structure,
        answers=answers,
        codes=[question.code for question in here],
        required=action in ("next", "submit"),
    )
    if errors:
        return _section(
            request, structure, draft, url, index=index, answers=answers, errors=errors, status=400
        )
    pages = _pages(structure, answers)
    later = [page for page in pages if page > index]
    if action == "back":
        earlier = [page for page in pages if page < index]
        draft_save(
            draft=draft,
            structure=structure,
            answers=answers,
            section_position=earlier[-1] if earlier else index,
            language=_language(),
        )
        return redirect(url)
    if action in ("next", "submit") and later:
        # Submit pressed where this section's answers just opened a later one: that one next.
        draft_save(
            draft=draft,
            structure=structure,
            answers=answers,
            section_position=later[0],
            language=_language(),
        )
        return redirect(url)
    draft_save(
        draft=draft,
        structure=structure,
        answers=answers,
        section_position=index,
        language=_language(),
    )
    if action == "save":
        return render(
            request,
            f"{TEMPLATES}/saved.html",
            {
                "instrument": instrument,
                "title": instrument.text("title", _language()),
                "anonymous": instrument.mode == Instrument.Mode.ANONYMOUS,
                "resume_url": request.build_absolute_uri(url),
                "url": url,
            },
        )
    return _submit(request, structure, draft, url, index=index, revision=instrument.revision)


def _submit(
    request: HttpRequest, structure: Structure, draft: Draft, url: str, *, index: int, revision: int
) -> HttpResponse:
    instrument = structure.instrument
    try:
        response_submit(draft=draft, structure=structure, revision=revision, language=_language())
    except AnswersInvalid as error:
        pages = _pages(structure, draft.answers)
        wrong = [
            page
            for page in pages
            if {q.code for q in structure.section_questions(structure.sections[page])}
            & set(error.errors)
        ]
        index = wrong[0] if wrong else index
        draft_save(
            draft=draft,
            structure=structure,
            answers=draft.answers,
            section_position=index,
            language=_language(),
        )
        return _section(
            request,
            structure,
            draft,
            url,
            index=index,
            answers=draft.answers,
            errors=error.errors,
            status=400,
        )
    except InstrumentChanged:
        return _section(
            request,
            structure,
            draft,
            url,
            index=index,
            answers=draft.answers,
            changed=True,
            status=409,
        )
    except LinkUsed as error:
        return _problem(
            request, instrument, status=409, heading=_("Already answered"), message=str(error)
        )
    except SurveyError as error:
        return _refusal(request, instrument, error)
    return redirect("surveys:thanks", slug=instrument.slug)


def _section(
    request: HttpRequest,
    structure: Structure,
    draft: Draft,
    url: str,
    *,
    index: int,
    answers: dict[str, logic.Answer],
    errors: dict[str, str] | None = None,
    changed: bool = False,
    status: int = 200,
) -> HttpResponse:
    language = _language()
    instrument = structure.instrument
    section = structure.sections[index]
    page = section_page(
        structure=structure,
        section=section,
        answers=answers,
        errors=errors or {},
        language=language,
    )
    pages = _pages(structure, answers)
    number = pages.index(index) + 1 if index in pages else index + 1
    return render(
        request,
        f"{TEMPLATES}/section.html",
        {
            "instrument": instrument,
            "title": instrument.text("title", language),
            "section_title": section.text("title", language),
            "section_introduction": section.text("introduction", language),
            "page": page,
            "number": number,
            "count": len(pages),
            "index": index,
            "is_first": not [other for other in pages if other < index],
            "is_last": not [other for other in pages if other > index],
            "errors": [item for item in page.fields if item.error],
            "changed": changed,
            "url": url,
        },
        status=status,
    )


@require_GET
def thanks(request: HttpRequest, slug: str) -> HttpResponse:
    instrument = _published(slug)
    return render(
        request,
        f"{TEMPLATES}/thanks.html",
        {"instrument": instrument, "title": instrument.text("title", _language())},
    )


def _public_url(instrument: Instrument) -> str:
    return site_info().url.rstrip("/") + reverse(
        "surveys:landing", kwargs={"slug": instrument.slug}
    )


@require_GET
def qr_code(request: HttpRequest, slug: str) -> HttpResponse:
    instrument = _published(slug)
    buffer = io.BytesIO()
    segno.make(_public_url(instrument), error="m").save(
        buffer, kind="svg", scale=8, border=4, xmldecl=False, svgns=True
    )
    response = HttpResponse(buffer.getvalue(), content_type="image/svg+xml")
    response["Cache-Control"] = "public, max-age=3600"
    return response


@require_GET
def poster(request: HttpRequest, slug: str) -> HttpResponse:
    instrument = _published(slug)
    return render(
        request,
        f"{TEMPLATES}/poster.html",
        {
            "instrument": instrument,
            "public_url": _public_url(instrument),
            "short_url": _public_url(instrument).split("://", 1)[-1],
        },
    )
