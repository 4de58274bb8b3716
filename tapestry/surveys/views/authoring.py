"""Staff build instruments: the list, settings, sections, questions, choices, conditions, the
translation page, publishing and closing. Program staff and administrators only (with a
two-factor session, which the accounts middleware enforces for those roles)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from tapestry.accounts.api import AuthenticatedRequest, Role, user_has_role
from tapestry.surveys import logic, selectors, services
from tapestry.surveys.forms import describe_words
from tapestry.surveys.forms.authoring import (
    ChoiceForm,
    ConditionBuilder,
    InstrumentSettingsForm,
    PresetForm,
    PublishForm,
    QuestionForm,
    SectionForm,
    StaffListForm,
    TextsForm,
    is_simple,
)
from tapestry.surveys.models import Answer, Choice, Instrument, Question, Response, Section

View = Callable[..., HttpResponse]


def can_author(user: Any) -> bool:
    """Program staff and administrators build instruments; nobody else."""
    return user_has_role(user, Role.PROGRAM_STAFF, Role.ADMINISTRATOR)


def staff_only(view: View) -> View:
    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not can_author(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def _instrument(instrument_id: int) -> Instrument:
    instrument = Instrument.objects.filter(pk=instrument_id).first()
    if instrument is None:
        raise Http404
    return instrument


def condition_in_words(
    condition: Any, labels: dict[str, str], choice_labels: dict[tuple[str, str], str]
) -> str:
    """A condition in the page's language, without the outer group's parentheses."""
    words = logic.describe(condition, labels, choice_labels, describe_words())
    if condition and condition["op"] in logic.GROUPS:
        return words[1:-1]
    return words


def _language() -> str:
    return "es" if (get_language() or "en").startswith("es") else "en"


def _back(instrument: Instrument, anchor: str = "") -> HttpResponse:
    url = reverse("surveys:authoring_instrument", args=[instrument.pk])
    return redirect(f"{url}#{anchor}" if anchor else url)


def _other_pages(instrument: Instrument) -> list[tuple[str, str]]:
    """Links to the instrument's pages outside authoring."""
    pages = [
        ("surveys:landing", _("Public page")),
        ("surveys:poster", _("Printable QR code")),
        ("surveys:instrument_results", _("Results")),
        ("surveys:redcap_dictionary", _("REDCap data dictionary")),
        ("surveys:redcap_records", _("REDCap records")),
    ]
    return [(reverse(name, args=[instrument.slug]), label) for name, label in pages]


# The list


@staff_only
@require_http_methods(["GET"])
def instrument_list(request: HttpRequest) -> HttpResponse:
    form = StaffListForm(request.GET or None)
    if request.GET and not form.is_valid():
        return render(request, "surveys/authoring/list.html", {"form": form}, status=400)
    search = form.cleaned_data.get("q", "") if request.GET else ""
    page_number = (form.cleaned_data.get("page") if request.GET else None) or 1
    paginator = Paginator(
        selectors.instruments_for_staff(search=search), settings.NETWORK_PAGE_SIZE
    )
    page = paginator.get_page(page_number)
    return render(
        request,
        "surveys/authoring/list.html",
        {
            "form": form,
            "page": page,
            "result": {
                "page": page.number,
                "num_pages": paginator.num_pages,
                "has_previous": page.has_previous(),
                "has_next": page.has_next(),
            },
            "search": search,
            "language": _language(),
        },
    )


# Settings


@staff_only
@require_http_methods(["GET", "POST"])
def instrument_new(request: AuthenticatedRequest) -> HttpResponse:
    form = InstrumentSettingsForm(request.POST if request.method == "POST" else None)
    context = {"form": form, "instrument": None, "time_zone": settings.TIME_ZONE}
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "surveys/authoring/settings.html", context, status=400)
        try:
            instrument = services.instrument_new(actor=request.user, settings=form.settings())
        except services.SurveyError as error:
            form.add_error(None, str(error))
            return render(request, "surveys/authoring/settings.html", context, status=409)
        messages.success(request, _("The instrument was created as a draft. Add its questions."))
        return _back(instrument)
    return render(request, "surveys/authoring/settings.html", context)


@staff_only
@require_http_methods(["GET", "POST"])
def instrument_settings(request: AuthenticatedRequest, instrument_id: int) -> HttpResponse:
    instrument = _instrument(instrument_id)
    answered = Response.objects.filter(instrument=instrument).exists()
    form = InstrumentSettingsForm(
        request.POST if request.method == "POST" else None, instance=instrument, answered=answered
    )
    context = {
        "form": form,
        "instrument": instrument,
        "answered": answered,
        "time_zone": settings.TIME_ZONE,
    }
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "surveys/authoring/settings.html", context, status=400)
        try:
            services.instrument_settings_update(
                actor=request.user, instrument_id=instrument.pk, settings=form.settings()
            )
        except services.SurveyError as error:
            form.add_error(None, str(error))
            return render(request, "surveys/authoring/settings.html", context, status=409)
        messages.success(request, _("The settings were saved."))
        return _back(instrument)
    return render(request, "surveys/authoring/settings.html", context)


# The instrument's page


def _instrument_context(instrument: Instrument, **extra: Any) -> dict[str, Any]:
    structure = selectors.instrument_structure(instrument=instrument)
    language = _language()
    labels = {q.code: q.code for q in structure.questions}
    choice_labels = selectors.choice_labels(structure=structure, language=language)
    answer_counts = dict(
        Answer.objects.filter(question__instrument=instrument)
        .values_list("question_id")
        .order_by()
        .annotate(count=_count_responses())
        .values_list("question_id", "count")
    )
    sections = [
        {
            "section": section,
            "questions": [
                {
                    "question": question,
                    "condition": condition_in_words(question.show_if, labels, choice_labels),
                    "answers": answer_counts.get(question.pk, 0),
                    "choices": structure.choices[question.code],
                }
                for question in structure.section_questions(section)
            ],
        }
        for section in structure.sections
    ]
    responses = Response.objects.filter(instrument=instrument).count()
    return {
        "instrument": instrument,
        "sections": sections,
        "question_count": len(structure.questions),
        "responses": responses,
        "language": language,
        "other_pages": _other_pages(instrument),
        "publish_form": extra.pop("publish_form", None) or PublishForm(),
        "translation_problems": services.translation_problems(instrument=instrument)
        if instrument.status == Instrument.Status.DRAFT
        else [],
        "time_zone": settings.TIME_ZONE,
        **extra,
    }


def _count_responses() -> Any:
    from django.db.models import Count

    return Count("response_id", distinct=True)


@staff_only
@require_http_methods(["GET"])
def instrument_detail(request: HttpRequest, instrument_id: int) -> HttpResponse:
    instrument = _instrument(instrument_id)
    return render(request, "surveys/authoring/instrument.html", _instrument_context(instrument))


def _refused(
    request: HttpRequest, instrument: Instrument, error: Exception, status: int = 409, **extra: Any
) -> HttpResponse:
    """The instrument's page again, saying why the change was refused."""
    instrument.refresh_from_db()
    context = _instrument_context(instrument, refusal=str(error), **extra)
    return render(request, "surveys/authoring/instrument.html", context, status=status)


def _act(
    request: HttpRequest,
    instrument: Instrument,
    action: Callable[[], Any],
    done: str,
    anchor: str = "",
) -> HttpResponse:
    try:
        action()
    except services.NotInInstrument:
        raise Http404 from None
    except services.AuthoringRefused as error:
        return _refused(request, instrument, error)
    except services.SurveyError as error:
        return _refused(request, instrument, error, status=400)
    messages.success(request, done)
    return _back(instrument, anchor)


def _direction(request: HttpRequest) -> bool:
    direction = request.POST.get("direction")
    if direction not in ("up", "down"):
        raise services.SurveyError(_("Say whether to move it up or down."))
    return direction == "up"


# Status


@staff_only
@require_POST
def instrument_publish(request: AuthenticatedRequest, instrument_id: int) -> HttpResponse:
    instrument = _instrument(instrument_id)
    form = PublishForm(request.POST)
    english_only = form.is_valid() and form.cleaned_data["english_only"]
    try:
        services.instrument_publish(
            actor=request.user, instrument_id=instrument.pk, english_only=english_only
        )
    except services.PublishRefused as error:
        return _refused(
            request, instrument, error, publish_problems=error.problems, publish_form=form
        )
    except services.SurveyError as error:
        return _refused(request, instrument, error)
    messages.success(request, _("The instrument is published."))
    return _back(instrument)


@staff_only
@require_POST
def instrument_archive(request: AuthenticatedRequest, instrument_id: int) -> HttpResponse:
    instrument = _instrument(instrument_id)
    return _act(
        request,
        instrument,
        lambda: services.instrument_archive(actor=request.user, instrument_id=instrument.pk),
        _("The instrument is archived: it takes no more responses, and its responses are kept."),
    )


@staff_only
@require_POST
def instrument_close(request: AuthenticatedRequest, instrument_id: int) -> HttpResponse:
    instrument = _instrument(instrument_id)
    return _act(
        request,
        instrument,
        lambda: services.instrument_close_now(actor=request.user, instrument_id=instrument.pk),
        _("The instrument is closed: it takes no more responses."),
    )


# Sections


@staff_only
@require_http_methods(["GET", "POST"])
def section_edit(
    request: AuthenticatedRequest, instrument_id: int, section_id: int | None = None
) -> HttpResponse:
    instrument = _instrument(instrument_id)
    section = None
    if section_id is not None:
        section = Section.objects.filter(instrument=instrument, pk=section_id).first()
        if section is None:
            raise Http404
    form = SectionForm(request.POST if request.method == "POST" else None, instance=section)
    context = {"instrument": instrument, "section": section, "form": form}
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "surveys/authoring/section.html", context, status=400)
        texts = {name: form.cleaned_data[name] for name in form.fields}
        try:
            if section is None:
                section = services.section_add(
                    actor=request.user, instrument_id=instrument.pk, texts=texts
                )
            else:
                services.section_update(
                    actor=request.user,
                    instrument_id=instrument.pk,
                    section_id=section.pk,
                    texts=texts,
                )
        except services.SurveyError as error:
            form.add_error(None, str(error))
            return render(request, "surveys/authoring/section.html", context, status=409)
        messages.success(request, _("The section was saved."))
        return _back(instrument, f"section-{section.pk}")
    return render(request, "surveys/authoring/section.html", context)


@staff_only
@require_POST
def section_move(
    request: AuthenticatedRequest, instrument_id: int, section_id: int
) -> HttpResponse:
    instrument = _instrument(instrument_id)
    return _act(
        request,
        instrument,
        lambda: services.section_move(
            actor=request.user,
            instrument_id=instrument.pk,
            section_id=section_id,
            up=_direction(request),
        ),
        _("The section was moved."),
        f"section-{section_id}",
    )


@staff_only
@require_POST
def section_delete(
    request: AuthenticatedRequest, instrument_id: int, section_id: int
) -> HttpResponse:
    instrument = _instrument(instrument_id)
    return _act(
        request,
        instrument,
        lambda: services.section_delete(
            actor=request.user, instrument_id=instrument.pk, section_id=section_id
        ),
        _("The section was deleted."),
    )


# Questions


@staff_only
@require_http_methods(["GET", "POST"])
def question_new(
    request: AuthenticatedRequest, instrument_id: int, section_id: int
) -> HttpResponse:
    instrument = _instrument(instrument_id)
    section = Section.objects.filter(instrument=instrument, pk=section_id).first()
    if section is None:
        raise Http404
    form = QuestionForm(request.POST if request.method == "POST" else None)
    context = {"instrument": instrument, "section": section, "form": form, "question": None}
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "surveys/authoring/question.html", context, status=400)
        try:
            question = services.question_add(
                actor=request.user,
                instrument_id=instrument.pk,
                section_id=section.pk,
                details=form.cleaned_data,
            )
        except services.SurveyError as error:
            form.add_error(None, str(error))
            return render(request, "surveys/authoring/question.html", context, status=409)
        messages.success(request, _("The question was added."))
        if question.kind in Question.CHOICE_KINDS:
            return redirect("surveys:authoring_question", instrument.pk, question.pk)
        return _back(instrument, f"question-{question.pk}")
    return render(request, "surveys/authoring/question.html", context)


def _question_context(
    instrument: Instrument, question: Question, form: QuestionForm, **extra: Any
) -> dict[str, Any]:
    choices = list(question.choices.order_by("position", "pk"))
    answered = dict(
        Answer.objects.filter(question=question, choice__isnull=False)
        .values_list("choice_id")
        .order_by()
        .annotate(count=_count_responses())
        .values_list("choice_id", "count")
    )
    return {
        "instrument": instrument,
        "question": question,
        "section": question.section,
        "form": form,
        "choices": [(choice, answered.get(choice.pk, 0)) for choice in choices],
        "choice_form": extra.pop("choice_form", None) or ChoiceForm(prefix="choice"),
        "preset_form": extra.pop("preset_form", None) or PresetForm(),
        "answers": Answer.objects.filter(question=question)
        .values("response_id")
        .distinct()
        .count(),
        "responses": Response.objects.filter(instrument=instrument).exists(),
        "has_choices": question.kind in Question.CHOICE_KINDS,
        **extra,
    }


@staff_only
@require_http_methods(["GET", "POST"])
def question_edit(
    request: AuthenticatedRequest, instrument_id: int, question_id: int
) -> HttpResponse:
    instrument = _instrument(instrument_id)
    question = Question.objects.filter(instrument=instrument, pk=question_id).first()
    if question is None:
        raise Http404
    form = QuestionForm(request.POST if request.method == "POST" else None, instance=question)
    if request.method == "POST":
        # The ModelForm wrote the posted values onto `question`; the service reads it fresh.
        if not form.is_valid():
            question.refresh_from_db()
            return render(
                request,
                "surveys/authoring/question.html",
                _question_context(instrument, question, form),
                status=400,
            )
        try:
            services.question_update(
                actor=request.user,
                instrument_id=instrument.pk,
                question_id=question.pk,
                details=form.cleaned_data,
            )
        except services.SurveyError as error:
            question.refresh_from_db()
            form.add_error(None, str(error))
            status = 409 if isinstance(error, services.AuthoringRefused) else 400
            return render(
                request,
                "surveys/authoring/question.html",
                _question_context(instrument, question, form),
                status=status,
            )
        messages.success(request, _("The question was saved."))
        return _back(instrument, f"question-{question.pk}")
    return render(
        request, "surveys/authoring/question.html", _question_context(instrument, question, form)
    )


@staff_only
@require_POST
def question_move(
    request: AuthenticatedRequest, instrument_id: int, question_id: int
) -> HttpResponse:
    instrument = _instrument(instrument_id)
    return _act(
        request,
        instrument,
        lambda: services.question_move(
            actor=request.user,
            instrument_id=instrument.pk,
            question_id=question_id,
            up=_direction(request),
        ),
        _("The question was moved."),
        f"question-{question_id}",
    )


@staff_only
@require_POST
def question_delete(
    request: AuthenticatedRequest, instrument_id: int, question_id: int
) -> HttpResponse:
    instrument = _instrument(instrument_id)
    return _act(
        request,
        instrument,
        lambda: services.question_delete(
            actor=request.user, instrument_id=instrument.pk, question_id=question_id
        ),
        _("The question was deleted."),
    )


# The condition builder


@staff_only
@require_http_methods(["GET", "POST"])
def question_condition(
    request: AuthenticatedRequest, instrument_id: int, question_id: int
) -> HttpResponse:
    instrument = _instrument(instrument_id)
    structure = selectors.instrument_structure(instrument=instrument)
    question = next((q for q in structure.questions if q.pk == question_id), None)
    if question is None:
        raise Http404
    earlier = structure.questions[: structure.questions.index(question)]
    choices = {q.code: structure.choices[q.code] for q in earlier}
    language = _language()
    described = condition_in_words(
        question.show_if,
        {q.code: q.code for q in structure.questions},
        selectors.choice_labels(structure=structure, language=language),
    )
    action = request.POST.get("action", "") if request.method == "POST" else ""
    replacing = action == "replace" or bool(request.POST.get("replacing"))
    if request.method == "POST" and action != "replace":
        builder = ConditionBuilder.from_post(request.POST, earlier=earlier, choices=choices)
    elif action == "replace":
        builder = ConditionBuilder(earlier=earlier, choices=choices)
    else:
        builder = ConditionBuilder.from_condition(
            question.show_if, earlier=earlier, choices=choices
        )
    context = {
        "instrument": instrument,
        "question": question,
        "builder": builder,
        "earlier": earlier,
        "described": described,
        "nested": not is_simple(question.show_if) and not replacing,
        "replacing": replacing,
        "language": language,
    }
    template = "surveys/authoring/condition.html"
    if action == "add":
        builder.add(request.POST.get("add_question", ""))
        return render(request, template, context, status=400 if builder.errors else 200)
    if action.startswith("remove-"):
        with contextlib.suppress(ValueError):
            builder.remove(int(action.removeprefix("remove-")))
        return render(request, template, context)
    if action in ("save", "always"):
        if action == "always":
            builder.rows = []
        elif not builder.is_valid():
            return render(request, template, context, status=400)
        try:
            services.question_condition_set(
                actor=request.user,
                instrument_id=instrument.pk,
                question_id=question.pk,
                condition=builder.condition(),
            )
        except services.SurveyError as error:
            builder.errors.append(str(error))
            return render(request, template, context, status=409)
        messages.success(
            request,
            _("The condition was saved.") if builder.rows else _("The question always shows."),
        )
        return _back(instrument, f"question-{question.pk}")
    return render(request, template, context)


# Choices


@staff_only
@require_POST
def choice_new(request: AuthenticatedRequest, instrument_id: int, question_id: int) -> HttpResponse:
    instrument = _instrument(instrument_id)
    question = Question.objects.filter(instrument=instrument, pk=question_id).first()
    if question is None:
        raise Http404
    choice_form = ChoiceForm(request.POST, prefix="choice")
    status = 400
    if choice_form.is_valid():
        try:
            services.choice_add(
                actor=request.user,
                instrument_id=instrument.pk,
                question_id=question.pk,
                details=choice_form.cleaned_data,
            )
        except services.SurveyError as error:
            choice_form.add_error(None, str(error))
            status = 409
        else:
            messages.success(request, _("The choice was added."))
            return redirect(
                reverse("surveys:authoring_question", args=[instrument.pk, question.pk])
                + "#choices"
            )
    context = _question_context(
        instrument, question, QuestionForm(instance=question), choice_form=choice_form
    )
    return render(request, "surveys/authoring/question.html", context, status=status)


@staff_only
@require_POST
def choices_preset(
    request: AuthenticatedRequest, instrument_id: int, question_id: int
) -> HttpResponse:
    instrument = _instrument(instrument_id)
    question = Question.objects.filter(instrument=instrument, pk=question_id).first()
    if question is None:
        raise Http404
    preset_form = PresetForm(request.POST)
    status = 400
    if preset_form.is_valid():
        try:
            services.choices_preset_apply(
                actor=request.user,
                instrument_id=instrument.pk,
                question_id=question.pk,
                preset=preset_form.cleaned_data["preset"],
            )
        except services.SurveyError as error:
            preset_form.add_error(None, str(error))
            status = 409
        else:
            messages.success(request, _("The scale's choices were set, in English and Spanish."))
            return redirect(
                reverse("surveys:authoring_question", args=[instrument.pk, question.pk])
                + "#choices"
            )
    context = _question_context(
        instrument, question, QuestionForm(instance=question), preset_form=preset_form
    )
    return render(request, "surveys/authoring/question.html", context, status=status)


def _choice_of(instrument: Instrument, choice_id: int) -> Choice:
    choice = (
        Choice.objects.filter(question__instrument=instrument, pk=choice_id)
        .select_related("question")
        .first()
    )
    if choice is None:
        raise Http404
    return choice


@staff_only
@require_http_methods(["GET", "POST"])
def choice_edit(request: AuthenticatedRequest, instrument_id: int, choice_id: int) -> HttpResponse:
    instrument = _instrument(instrument_id)
    choice = _choice_of(instrument, choice_id)
    answered = Answer.objects.filter(choice=choice).exists()
    form = ChoiceForm(request.POST if request.method == "POST" else None, instance=choice)
    if answered:
        form.fields["code"].disabled = True
        form.fields["code"].help_text = _("It cannot change: respondents chose it.")
    context = {
        "instrument": instrument,
        "choice": choice,
        "question": choice.question,
        "form": form,
    }
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "surveys/authoring/choice.html", context, status=400)
        try:
            services.choice_update(
                actor=request.user,
                instrument_id=instrument.pk,
                choice_id=choice.pk,
                details=form.cleaned_data,
            )
        except services.SurveyError as error:
            form.add_error(None, str(error))
            return render(request, "surveys/authoring/choice.html", context, status=409)
        messages.success(request, _("The choice was saved."))
        return redirect(
            reverse("surveys:authoring_question", args=[instrument.pk, choice.question_id])
            + "#choices"
        )
    return render(request, "surveys/authoring/choice.html", context)


def _choice_action(
    request: AuthenticatedRequest,
    instrument: Instrument,
    choice: Choice,
    action: Callable[[], Any],
    done: str,
) -> HttpResponse:
    question = choice.question
    try:
        action()
    except services.NotInInstrument:
        raise Http404 from None
    except services.SurveyError as error:
        status = 409 if isinstance(error, services.AuthoringRefused) else 400
        context = _question_context(
            instrument, question, QuestionForm(instance=question), refusal=str(error)
        )
        return render(request, "surveys/authoring/question.html", context, status=status)
    messages.success(request, done)
    return redirect(
        reverse("surveys:authoring_question", args=[instrument.pk, question.pk]) + "#choices"
    )


@staff_only
@require_POST
def choice_move(request: AuthenticatedRequest, instrument_id: int, choice_id: int) -> HttpResponse:
    instrument = _instrument(instrument_id)
    choice = _choice_of(instrument, choice_id)
    return _choice_action(
        request,
        instrument,
        choice,
        lambda: services.choice_move(
            actor=request.user,
            instrument_id=instrument.pk,
            choice_id=choice.pk,
            up=_direction(request),
        ),
        _("The choice was moved."),
    )


@staff_only
@require_POST
def choice_delete(
    request: AuthenticatedRequest, instrument_id: int, choice_id: int
) -> HttpResponse:
    instrument = _instrument(instrument_id)
    choice = _choice_of(instrument, choice_id)
    return _choice_action(
        request,
        instrument,
        choice,
        lambda: services.choice_delete(
            actor=request.user, instrument_id=instrument.pk, choice_id=choice.pk
        ),
        _("The choice was removed."),
    )


# The translation page


def _translation_rows(
    instrument: Instrument, bound: tuple[str, int, TextsForm] | None, editing: str = ""
) -> list[dict[str, Any]]:
    structure = selectors.instrument_structure(instrument=instrument)
    items: list[tuple[str, str, Any]] = [("instrument", _("Instrument"), instrument)]
    for section in structure.sections:
        items.append(
            ("section", _("Section %(number)s") % {"number": section.position + 1}, section)
        )
        for question in structure.section_questions(section):
            items.append(("question", _("Question %(code)s") % {"code": question.code}, question))
            for choice in structure.choices[question.code]:
                items.append(
                    (
                        "choice",
                        _("Choice %(choice)s of %(code)s")
                        % {"choice": choice.code, "code": question.code},
                        choice,
                    )
                )
    rows = []
    for kind, name, item in items:
        form = (
            bound[2]
            if bound and bound[0] == kind and bound[1] == item.pk
            else TextsForm(item=item, prefix=f"{kind}-{item.pk}")
        )
        rows.append(
            {
                "kind": kind,
                "name": name,
                "item": item,
                "form": form,
                "texts": [
                    (getattr(item, f"{field}_en"), getattr(item, f"{field}_es"))
                    for field in item.TEXT_FIELDS
                    if getattr(item, f"{field}_en") or getattr(item, f"{field}_es")
                ],
                "missing": any(
                    getattr(item, f"{field}_en").strip()
                    and not getattr(item, f"{field}_es").strip()
                    for field in item.TEXT_FIELDS
                ),
                "anchor": f"{kind}-{item.pk}",
                "editing": form.is_bound or editing == f"{kind}-{item.pk}",
            }
        )
    return rows


@staff_only
@require_http_methods(["GET"])
def translation(request: HttpRequest, instrument_id: int) -> HttpResponse:
    instrument = _instrument(instrument_id)
    return render(
        request,
        "surveys/authoring/translation.html",
        {
            "instrument": instrument,
            "rows": _translation_rows(instrument, None, request.GET.get("edit", "")),
        },
    )


def _translation_item(instrument: Instrument, kind: str, item_id: int) -> Any:
    try:
        return services.translatable_item(instrument, kind, item_id)
    except services.SurveyError:
        raise Http404 from None


@staff_only
@require_POST
def translation_edit(
    request: AuthenticatedRequest, instrument_id: int, kind: str, item_id: int
) -> HttpResponse:
    instrument = _instrument(instrument_id)
    item = _translation_item(instrument, kind, item_id)
    form = TextsForm(request.POST, item=item, prefix=f"{kind}-{item.pk}")
    status = 400
    if form.is_valid():
        try:
            services.translation_update(
                actor=request.user,
                instrument_id=instrument.pk,
                kind=kind,
                item_id=item.pk,
                texts=form.cleaned_data,
            )
        except services.SurveyError as error:
            form.add_error(None, str(error))
            status = 409
        else:
            messages.success(request, _("The text was saved."))
            return redirect(
                reverse("surveys:authoring_translation", args=[instrument.pk])
                + f"#{kind}-{item.pk}"
            )
    return render(
        request,
        "surveys/authoring/translation.html",
        {"instrument": instrument, "rows": _translation_rows(instrument, (kind, item.pk, form))},
        status=status,
    )


@staff_only
@require_POST
def translation_confirm(
    request: AuthenticatedRequest, instrument_id: int, kind: str, item_id: int
) -> HttpResponse:
    instrument = _instrument(instrument_id)
    item = _translation_item(instrument, kind, item_id)
    flagged = item.translation_outdated
    services.translation_confirm(
        actor=request.user, instrument_id=instrument.pk, kind=kind, item_id=item.pk
    )
    if flagged == "en":
        messages.success(request, _("The English is marked up to date."))
    else:
        messages.success(request, _("The Spanish is marked up to date."))
    return redirect(
        reverse("surveys:authoring_translation", args=[instrument.pk]) + f"#{kind}-{item.pk}"
    )
