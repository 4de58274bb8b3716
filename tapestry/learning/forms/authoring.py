"""Forms for program staff writing courses: the list's search, a course's settings, modules,
lessons (with their file), quizzes, questions with their answers, requirements and the
course's evaluation survey. The services check again what matters; the forms say it first,
next to the field."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import get_language, gettext_lazy, pgettext_lazy
from django.utils.translation import gettext as _

from tapestry.accounts.api import Role
from tapestry.learning import services
from tapestry.learning.credit import competency_choices
from tapestry.learning.models import Course, QuizQuestion

# Answer rows a question form offers (blank rows are left out).
OPTION_ROWS = 6


class PlainNumbersMixin(forms.BaseForm):
    """Number inputs show their initial value as plain digits ("1.5", "1000"): the templates
    would otherwise format it for the page's language ("1,5", "1 000"), which a number input
    cannot hold."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.is_bound:
            return
        for name, field in self.fields.items():
            if isinstance(field.widget, forms.NumberInput):
                value = self.initial.get(name, field.initial)
                if value is not None and not callable(value):
                    self.initial[name] = str(value)


class FormTokenMixin(forms.Form):
    """A one-time token: the same "add" form submitted twice adds one thing."""

    form_token = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("form_token", services.form_token_new())


class CourseListForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Search by title"), required=False, max_length=200)
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[
            ("", gettext_lazy("Any status")),
            (Course.Status.DRAFT, pgettext_lazy("course status", "Draft")),
            (Course.Status.PUBLISHED, pgettext_lazy("course status", "Published")),
            (Course.Status.RETIRED, pgettext_lazy("course status", "Retired")),
        ],
    )
    page = forms.IntegerField(required=False, min_value=1, max_value=100_000)


class CourseSettingsForm(PlainNumbersMixin, forms.ModelForm):  # type: ignore[type-arg]
    audiences = forms.MultipleChoiceField(
        label=gettext_lazy("Written for"),
        help_text=gettext_lazy("Leave all unticked for everyone."),
        choices=Role.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    ce_hours = forms.DecimalField(
        label=gettext_lazy("CE hours"),
        help_text=gettext_lazy("From 0 to 99, in steps of 0.5."),
        min_value=Decimal("0"),
        max_value=Decimal("99"),
        max_digits=4,
        decimal_places=1,
        initial=Decimal("0"),
        widget=forms.NumberInput(attrs={"step": "0.5", "min": "0", "max": "99"}),
    )
    completion_rule = forms.ChoiceField(
        label=gettext_lazy("Completion rule"),
        help_text=gettext_lazy("What a learner must do for the course to count as complete."),
        choices=[
            (
                Course.CompletionRule.ALL,
                pgettext_lazy("completion rule", "View every lesson and pass every quiz"),
            ),
            (Course.CompletionRule.QUIZZES, pgettext_lazy("completion rule", "Pass every quiz")),
            (Course.CompletionRule.LESSONS, pgettext_lazy("completion rule", "View every lesson")),
        ],
    )
    prerequisites = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Prerequisites"),
        help_text=gettext_lazy("Published courses a learner must complete first."),
        queryset=Course.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Course
        fields = [
            "title",
            "slug",
            "summary",
            "language",
            "translation_of",
            "audiences",
            "ce_hours",
            "competencies",
            "approved_for_credit",
            "prerequisites",
            "completion_rule",
            "compliance",
        ]
        labels = {
            "title": gettext_lazy("Title"),
            "slug": gettext_lazy("Link name"),
            "summary": gettext_lazy("Summary"),
            "language": gettext_lazy("Language"),
            "translation_of": gettext_lazy("Translation of"),
            "approved_for_credit": gettext_lazy("Approved for CE credit"),
            "compliance": gettext_lazy("Compliance course"),
        }
        help_texts = {
            "compliance": gettext_lazy(
                "Its completions expire and its quizzes need at least the network's pass mark."
            ),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        course = self.instance if self.instance.pk else None
        others = Course.objects.exclude(pk=course.pk) if course else Course.objects.all()
        prerequisites = self.fields["prerequisites"]
        prerequisites.queryset = others.filter(status=Course.Status.PUBLISHED)  # type: ignore[attr-defined]
        translation = self.fields["translation_of"]
        translation.queryset = others.exclude(status=Course.Status.RETIRED)  # type: ignore[attr-defined]
        translation.help_text = _("The same course in the other language, if there is one.")
        translation.empty_label = _("None")  # type: ignore[attr-defined]
        self.fields["slug"].help_text = _(
            "The course's address: lower-case letters, digits and hyphens."
        )
        self.fields["competencies"] = forms.MultipleChoiceField(
            label=_("Competencies"),
            choices=competency_choices(get_language() or "en"),
            required=False,
            widget=forms.CheckboxSelectMultiple,
        )

    def clean_ce_hours(self) -> Decimal:
        hours: Decimal = self.cleaned_data["ce_hours"]
        if (hours * 2) % 1 != 0:
            raise forms.ValidationError(_("Give the hours in steps of 0.5 (1, 1.5, 2...)."))
        return hours

    def clean_competencies(self) -> list[str]:
        return list(dict.fromkeys(self.cleaned_data.get("competencies") or []))

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        other: Course | None = cleaned.get("translation_of")
        language = cleaned.get("language")
        if other is not None and language:
            if other.language == language:
                self.add_error(
                    "translation_of",
                    _("Choose a course in the other language than this one."),
                )
            elif other.translation_of_id is not None:
                self.add_error(
                    "translation_of", _("That course is itself a translation of another course.")
                )
            elif (
                Course.objects.filter(translation_of=other)
                .exclude(pk=self.instance.pk or 0)
                .exists()
            ):
                self.add_error("translation_of", _("That course already has a translation."))
        return cleaned

    def settings_values(self) -> dict[str, Any]:
        return {
            name: self.cleaned_data[name]
            for name in services.COURSE_SETTINGS
            if name in self.cleaned_data
        }


class ModuleForm(FormTokenMixin):
    title = forms.CharField(label=gettext_lazy("Title of the new module"), max_length=200)


class ModuleRenameForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Module title"), max_length=200)


class LessonForm(PlainNumbersMixin, FormTokenMixin):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    body = forms.CharField(
        label=gettext_lazy("Text"),
        help_text=gettext_lazy(
            "HTML: paragraphs, headings, lists, links, tables. Anything else is removed."
        ),
        required=False,
        max_length=100_000,
        widget=forms.Textarea,
    )
    video_url = forms.URLField(
        label=gettext_lazy("Video link"),
        help_text=gettext_lazy("An https:// address."),
        required=False,
        assume_scheme="https",
    )
    transcript = forms.CharField(
        label=gettext_lazy("Video transcript"),
        help_text=gettext_lazy("Needed when the lesson has a video."),
        required=False,
        max_length=100_000,
        widget=forms.Textarea,
    )
    minutes = forms.IntegerField(
        label=gettext_lazy("Minutes to read"), min_value=1, max_value=600, initial=5
    )
    file = forms.FileField(label=gettext_lazy("Downloadable file"), required=False)
    remove_file = forms.BooleanField(label=gettext_lazy("Remove the current file"), required=False)

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        megabytes = settings.LEARNING_FILE_MAX_BYTES // (1024 * 1024)
        self.fields["file"].help_text = _(
            "PDF, Word (DOCX), PowerPoint (PPTX), PNG or JPEG, up to %(megabytes)d MB."
        ) % {"megabytes": megabytes}
        if editing:
            del self.fields["form_token"]
        else:
            del self.fields["remove_file"]

    def clean_video_url(self) -> str:
        url: str = self.cleaned_data.get("video_url", "")
        if url and not url.lower().startswith("https://"):
            raise forms.ValidationError(_("The video link must start with https://."))
        return url

    def clean_file(self) -> UploadedFile | None:
        upload: UploadedFile | None = self.cleaned_data.get("file")
        if not upload:
            return None
        try:
            return services.lesson_file_checked(upload)  # type: ignore[no-any-return]
        except services.LearningError as error:
            raise forms.ValidationError(str(error)) from error

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        if cleaned.get("video_url") and not (cleaned.get("transcript") or "").strip():
            self.add_error("transcript", _("A lesson with a video needs the video's transcript."))
        return cleaned

    def values(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name, "") for name in services.LESSON_FIELDS}


class QuizForm(PlainNumbersMixin, FormTokenMixin):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    pass_mark = forms.IntegerField(
        label=gettext_lazy("Pass mark (percent)"), min_value=1, max_value=100, initial=80
    )
    attempts_allowed = forms.IntegerField(
        label=gettext_lazy("Attempts allowed"),
        help_text=gettext_lazy("0 means no limit."),
        min_value=0,
        max_value=100,
    )
    randomize = forms.BooleanField(
        label=gettext_lazy("Shuffle questions and answers"), required=False, initial=True
    )

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["attempts_allowed"].initial = str(settings.LEARNING_ATTEMPTS_DEFAULT)
        if editing:
            del self.fields["form_token"]

    def values(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in services.QUIZ_FIELDS}


class QuestionForm(FormTokenMixin):
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind of question"),
        choices=[
            (QuizQuestion.Kind.SINGLE, pgettext_lazy("question kind", "One answer")),
            (QuizQuestion.Kind.MULTIPLE, pgettext_lazy("question kind", "Several answers")),
            (QuizQuestion.Kind.TRUE_FALSE, pgettext_lazy("question kind", "True or false")),
        ],
        widget=forms.RadioSelect,
        initial=QuizQuestion.Kind.SINGLE,
    )
    text = forms.CharField(label=gettext_lazy("Question"), max_length=2000, widget=forms.Textarea)

    def __init__(self, *args: Any, language: str, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.language = language
        for index in range(OPTION_ROWS):
            number = index + 1
            self.fields[f"option_{index}_text"] = forms.CharField(
                label=_("Text of answer %(number)d") % {"number": number},
                required=False,
                max_length=500,
            )
            self.fields[f"option_{index}_correct"] = forms.BooleanField(
                label=_("Answer %(number)d is correct") % {"number": number}, required=False
            )
            self.fields[f"option_{index}_feedback"] = forms.CharField(
                label=_("Feedback on answer %(number)d") % {"number": number},
                required=False,
                max_length=2000,
            )
        if editing:
            del self.fields["form_token"]
        self.options: list[dict[str, Any]] = []

    def rows(self) -> list[tuple[str, forms.BoundField, forms.BoundField, forms.BoundField]]:
        return [
            (
                _("Answer %(number)d") % {"number": index + 1},
                self[f"option_{index}_text"],
                self[f"option_{index}_correct"],
                self[f"option_{index}_feedback"],
            )
            for index in range(OPTION_ROWS)
        ]

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        kind = cleaned.get("kind")
        if not kind:
            return cleaned
        rows = [
            {
                "text": cleaned.get(f"option_{index}_text", ""),
                "correct": cleaned.get(f"option_{index}_correct", False),
                "feedback": cleaned.get(f"option_{index}_feedback", ""),
            }
            for index in range(OPTION_ROWS)
        ]
        try:
            self.options = services.question_options_checked(
                kind=kind, options=rows, language=self.language
            )
        except services.LearningError as error:
            raise forms.ValidationError(str(error)) from error
        return cleaned


def question_initial(question: Any) -> dict[str, Any]:
    """A saved question as the form's initial values."""
    initial: dict[str, Any] = {"kind": question.kind, "text": question.text}
    for index, option in enumerate(list(question.options.all())[:OPTION_ROWS]):
        initial[f"option_{index}_text"] = option.text
        initial[f"option_{index}_correct"] = option.correct
        initial[f"option_{index}_feedback"] = option.feedback
    return initial


class EvaluationForm(forms.Form):
    instrument = forms.ChoiceField(label=gettext_lazy("Evaluation survey"))

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["instrument"].choices = choices  # type: ignore[attr-defined]


class CourseSelect(forms.Select):
    """A select of courses whose options say which language each title is in."""

    def option_language(self, value: Any) -> str:
        instance = getattr(value, "instance", None)
        return instance.language if isinstance(instance, Course) else ""


class RequirementForm(PlainNumbersMixin, forms.Form):
    role = forms.ChoiceField(
        label=pgettext_lazy("training requirement", "Role"), choices=Role.choices
    )
    course = forms.ModelChoiceField(
        label=gettext_lazy("Course"),
        help_text=gettext_lazy("Published compliance courses."),
        queryset=Course.objects.filter(status=Course.Status.PUBLISHED, compliance=True),
        widget=CourseSelect,
    )
    due_days = forms.IntegerField(
        label=gettext_lazy("Days to complete"),
        help_text=gettext_lazy("Counted from the day the role is granted (or from today)."),
        min_value=1,
        max_value=3650,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["due_days"].initial = str(settings.LEARNING_REQUIREMENT_DUE_DAYS)
