"""Answering forms: the hidden fields a section page carries, the answers read from a post,
and each question as the section template draws it.

The answers are checked by `services.answers_check`, the same check the submission runs, so
a page and the final submit can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tapestry.surveys import logic
from tapestry.surveys.forms import describe_words
from tapestry.surveys.models import Question, Section
from tapestry.surveys.selectors import Structure
from tapestry.surveys.services import TEXT_LIMIT


class SectionNavigationForm(forms.Form):
    """The hidden fields and the button pressed. Anything else is a tampered page (400)."""

    ACTIONS = ("back", "next", "save", "submit")

    revision = forms.IntegerField(min_value=1)
    section = forms.IntegerField(min_value=0)
    action = forms.ChoiceField(
        choices=[(action, action) for action in ACTIONS],
        error_messages={"invalid_choice": gettext_lazy("That button is not one of this page's.")},
    )

    def __init__(self, *args: Any, section_count: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.section_count = section_count

    def clean_section(self) -> int:
        section: int = self.cleaned_data["section"]
        if section >= self.section_count:
            raise forms.ValidationError(_("This survey has no such section."))
        return section


def field_name(code: str) -> str:
    """The name a question's input has in the form: prefixed, so no question code can clash
    with the page's own fields (a question may well be called "action")."""
    return f"q-{code}"


def answers_from_post(questions: list[Question], data: QueryDict) -> dict[str, logic.Answer]:
    """One section's answers as the person gave them (blank ones left out)."""
    answers: dict[str, logic.Answer] = {}
    for question in questions:
        name = field_name(question.code)
        if question.kind == Question.Kind.MULTIPLE:
            ticked = list(dict.fromkeys(_clean(value) for value in data.getlist(name) if value))
            if ticked:
                answers[question.code] = ticked
        else:
            value = _clean(data.get(name, "")).strip()
            if value:
                answers[question.code] = value
    return answers


def _clean(value: str) -> str:
    # NUL characters cannot be stored (PostgreSQL refuses them in text and JSON) and no one
    # types them.
    return value.replace("\x00", "")


@dataclass
class ChoiceOption:
    code: str
    label: str
    checked: bool
    input_id: str


@dataclass
class QuestionField:
    """One question as the section page draws it."""

    question: Question
    label: str
    help: str
    value: str
    options: list[ChoiceOption] = field(default_factory=list)
    error: str = ""
    # Shown or hidden as the person answers this same section (branching.js); without script
    # it stays in view with `condition_words` saying when to answer it.
    live: bool = False
    condition_words: str = ""

    @property
    def name(self) -> str:
        return field_name(self.question.code)

    @property
    def input_id(self) -> str:
        return field_name(self.question.code)

    @property
    def is_group(self) -> bool:
        return self.question.kind in Question.CHOICE_KINDS

    @property
    def input_type(self) -> str:
        return "checkbox" if self.question.kind == Question.Kind.MULTIPLE else "radio"

    @property
    def first_input_id(self) -> str:
        return self.options[0].input_id if self.options else self.input_id

    @property
    def described_by(self) -> str:
        ids = []
        if self.help:
            ids.append(f"{self.input_id}-hint")
        if self.condition_words:
            ids.append(f"{self.input_id}-condition")
        if self.error:
            ids.append(f"{self.input_id}-error")
        return " ".join(ids)

    @property
    def text_limit(self) -> int:
        return TEXT_LIMIT

    @property
    def input_mode(self) -> str:
        return "numeric" if self.question.whole_number else "decimal"


@dataclass
class SectionPage:
    """Everything a section page draws: its questions and the data branching.js reads."""

    section: Section
    fields: list[QuestionField]
    branching: dict[str, Any]  # for the page's <script type="application/json">

    @property
    def has_live(self) -> bool:
        return any(item.live for item in self.fields)


def section_page(
    *,
    structure: Structure,
    section: Section,
    answers: dict[str, logic.Answer],
    errors: dict[str, str],
    language: str,
) -> SectionPage:
    """The questions of a section that may show: those that show for the answers so far, and
    those whose condition reads a question on this same page (they show or hide as the person
    answers). Earlier sections' questions that are hidden never appear."""
    questions = structure.section_questions(section)
    here = {question.code for question in questions}
    shown, kept = structure.visible(answers)
    labels = {question.code: question.text("label", language) for question in structure.questions}
    choice_labels = {
        (code, choice.code): choice.text("label", language)
        for code, choices in structure.choices.items()
        for choice in choices
    }
    words = describe_words()
    fields: list[QuestionField] = []
    for question in questions:
        live = bool(logic.references(question.show_if) & here)
        if question.code not in shown and not live:
            continue
        value = answers.get(question.code)
        ticked = value if isinstance(value, list) else [value] if value else []
        condition_words = ""
        if live:
            condition_words = logic.describe(question.show_if, labels, choice_labels, words)
            if condition_words.startswith("(") and condition_words.endswith(")"):
                condition_words = condition_words[1:-1]
        fields.append(
            QuestionField(
                question=question,
                label=question.text("label", language),
                help=question.text("help", language),
                value=value if isinstance(value, str) else "",
                options=[
                    ChoiceOption(
                        code=choice.code,
                        label=choice.text("label", language),
                        checked=choice.code in ticked,
                        input_id=f"{field_name(question.code)}-{index}",
                    )
                    for index, choice in enumerate(structure.choices[question.code])
                ],
                error=errors.get(question.code, ""),
                live=live,
                condition_words=condition_words,
            )
        )
    earlier = {code: answer for code, answer in kept.items() if code not in here}
    branching = {
        "kinds": {question.code: question.kind for question in structure.questions},
        "answers": earlier,
        "questions": [
            {"code": item.question.code, "show_if": item.question.show_if} for item in fields
        ],
    }
    return SectionPage(section=section, fields=fields, branching=branching)
