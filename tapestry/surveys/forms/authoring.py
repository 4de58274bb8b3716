"""Forms for staff building instruments: settings, sections, questions, choices, the
condition builder and the translation page."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from tapestry.surveys import logic
from tapestry.surveys.forms import OPERATOR_LABELS
from tapestry.surveys.models import Choice, Instrument, Question, Section
from tapestry.surveys.services import likert_presets


def _no_control_characters(value: str) -> None:
    if any((ord(c) < 32 and c not in "\n\r\t") or 127 <= ord(c) < 160 for c in value):
        raise forms.ValidationError(_("Remove the control characters from this field."))


class _TextsMixin:
    """Text fields refuse control characters (they break exports and REDCap files)."""

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean()  # type: ignore[misc]
        for name, value in cleaned.items():
            if isinstance(value, str):
                try:
                    _no_control_characters(value)
                except forms.ValidationError as error:
                    self.add_error(name, error)  # type: ignore[attr-defined]
        return cleaned


class StaffListForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Search by title"), required=False, max_length=200)
    page = forms.IntegerField(
        required=False, min_value=1, max_value=100000, widget=forms.HiddenInput
    )


class _DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M")


class InstrumentSettingsForm(_TextsMixin, forms.ModelForm):
    """An instrument's settings. Once there are responses, the link name and the mode are
    shown but not editable (`answered`)."""

    class Meta:
        model = Instrument
        fields = [
            "title_en",
            "title_es",
            "introduction_en",
            "introduction_es",
            "slug",
            "purpose",
            "mode",
            "allow_multiple",
            "opens_at",
            "closes_at",
        ]
        widgets = {"opens_at": _DateTimeInput(), "closes_at": _DateTimeInput()}

    def __init__(self, *args: Any, answered: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("opens_at", "closes_at"):
            cast(forms.DateTimeField, self.fields[name]).input_formats = [
                "%Y-%m-%dT%H:%M",
                "%Y-%m-%d %H:%M",
            ]
            # The shared field template writes the value as it is: give it the form a
            # datetime-local input reads, in the site's time zone, or a save would clear it.
            value = self.initial.get(name)
            if isinstance(value, datetime.datetime):
                self.initial[name] = timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")
        if answered:
            for name in ("slug", "mode"):
                self.fields[name].disabled = True
                self.fields[name].help_text = _("It cannot change once there are responses.")

    def validate_unique(self) -> None:
        # The service says "already used" in the same words for a new instrument and an edit.
        pass

    def settings(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class SectionForm(_TextsMixin, forms.ModelForm):
    class Meta:
        model = Section
        fields = ["title_en", "title_es", "introduction_en", "introduction_es"]


class QuestionForm(_TextsMixin, forms.ModelForm):
    class Meta:
        model = Question
        fields = [
            "code",
            "kind",
            "label_en",
            "label_es",
            "help_en",
            "help_es",
            "required",
            "minimum",
            "maximum",
            "whole_number",
            "describes",
        ]
        help_texts = {
            "code": gettext_lazy(
                "Lower-case letters, digits and underscores, as REDCap variable names, for "
                "example needs_topics."
            ),
            "minimum": gettext_lazy("Number questions only."),
            "maximum": gettext_lazy("Number questions only."),
            "describes": gettext_lazy(
                "Single-choice questions only: the answer places the respondent in a group "
                "that results can filter by."
            ),
        }

    def validate_unique(self) -> None:
        # Codes are unique per instrument; the service checks it with the instrument locked.
        pass

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        kind = cleaned.get("kind")
        if kind and kind != Question.Kind.NUMBER:
            for name in ("minimum", "maximum"):
                if cleaned.get(name) is not None:
                    self.add_error(name, _("Only number questions have a range."))
        if cleaned.get("describes") and kind and kind != Question.Kind.SINGLE:
            self.add_error(
                "describes",
                _("A question that describes the respondent must be single choice."),
            )
        return cleaned


class ChoiceForm(_TextsMixin, forms.ModelForm):
    class Meta:
        model = Choice
        fields = ["code", "label_en", "label_es"]

    def validate_unique(self) -> None:
        pass


def _preset_choices() -> list[tuple[str, str]]:
    spanish = (get_language() or "en").startswith("es")
    return [
        (key, preset.name_es if spanish else preset.name_en)
        for key, preset in likert_presets().items()
    ]


class PresetForm(forms.Form):
    preset = forms.ChoiceField(label=gettext_lazy("Ready-made scale"), choices=_preset_choices)


class PublishForm(forms.Form):
    english_only = forms.BooleanField(
        label=gettext_lazy(
            "Publish in English only for now (Spanish speakers see the English text)"
        ),
        required=False,
    )


class TextsForm(_TextsMixin, forms.Form):
    """One item's texts in both languages, on the translation page."""

    def __init__(self, *args: Any, item: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        names = {
            "title": (_("Title (English)"), _("Title (Spanish)")),
            "introduction": (_("Introduction (English)"), _("Introduction (Spanish)")),
            "label": (_("Wording (English)"), _("Wording (Spanish)")),
            "help": (_("Help text (English)"), _("Help text (Spanish)")),
        }
        for name in item.TEXT_FIELDS:
            model_field = item._meta.get_field(f"{name}_en")
            long_text = model_field.get_internal_type() == "TextField"
            for language, label in zip(("en", "es"), names[name], strict=True):
                key = f"{name}_{language}"
                self.fields[key] = forms.CharField(
                    label=label,
                    required=language == "en" and not model_field.blank,
                    max_length=getattr(model_field, "max_length", None) or 5000,
                    widget=forms.Textarea if long_text else forms.TextInput,
                    initial=getattr(item, key),
                )


# The condition builder: rows of [earlier question] [operator] [value], joined by "all of
# these" or "any of these". One level only; a deeper condition (from REDCap) is shown in words.

OPERATORS_BY_KIND: dict[str, tuple[str, ...]] = {
    Question.Kind.SINGLE: ("=", "!="),
    Question.Kind.LIKERT: ("=", "!=", "<", "<=", ">", ">="),
    Question.Kind.MULTIPLE: ("checked", "unchecked"),
    Question.Kind.NUMBER: logic.COMPARISONS,
    Question.Kind.DATE: logic.COMPARISONS,
    Question.Kind.TEXT: ("=", "!="),
}


def is_simple(condition: Any) -> bool:
    """Whether the builder can show this condition: none, one comparison, or one group of
    comparisons."""
    if not condition:
        return True
    if condition["op"] not in logic.GROUPS:
        return True
    return all(arg["op"] not in logic.GROUPS for arg in condition["args"])


@dataclass
class ConditionRow:
    question: Question
    op: str
    value: str
    choices: list[Choice]
    error: str = ""

    @property
    def operators(self) -> list[tuple[str, str]]:
        return [(op, str(OPERATOR_LABELS[op])) for op in OPERATORS_BY_KIND[self.question.kind]]

    @property
    def uses_choices(self) -> bool:
        return self.question.kind in Question.CHOICE_KINDS

    @property
    def input_type(self) -> str:
        return {"number": "number", "date": "date"}.get(self.question.kind, "text")

    def node(self) -> dict[str, Any]:
        if self.question.kind == Question.Kind.MULTIPLE:
            return {"op": self.op, "question": self.question.code, "choice": self.value}
        return {"op": self.op, "question": self.question.code, "value": self.value}


@dataclass
class ConditionBuilder:
    """The builder's state, from the saved condition or from the posted rows."""

    earlier: list[Question]
    choices: dict[str, list[Choice]]
    rows: list[ConditionRow] = field(default_factory=list)
    join: str = "and"
    errors: list[str] = field(default_factory=list)

    def _row(self, code: str, op: str = "", value: str = "") -> ConditionRow | None:
        question = next((q for q in self.earlier if q.code == code), None)
        if question is None:
            return None
        allowed = OPERATORS_BY_KIND[question.kind]
        return ConditionRow(
            question=question,
            op=op if op in allowed else allowed[0],
            value=value,
            choices=self.choices.get(code, []),
        )

    @classmethod
    def from_condition(
        cls, condition: Any, *, earlier: list[Question], choices: dict[str, list[Choice]]
    ) -> ConditionBuilder:
        builder = cls(earlier=earlier, choices=choices)
        if not condition or not is_simple(condition):
            return builder
        leaves = condition["args"] if condition["op"] in logic.GROUPS else [condition]
        builder.join = condition["op"] if condition["op"] in logic.GROUPS else "and"
        for leaf in leaves:
            row = builder._row(
                leaf["question"], leaf["op"], leaf.get("choice", leaf.get("value", ""))
            )
            if row is not None:
                builder.rows.append(row)
        return builder

    @classmethod
    def from_post(
        cls, data: Any, *, earlier: list[Question], choices: dict[str, list[Choice]]
    ) -> ConditionBuilder:
        builder = cls(earlier=earlier, choices=choices)
        builder.join = "or" if data.get("join") == "or" else "and"
        try:
            count = min(int(data.get("rows", "0")), logic.MAX_NODES)
        except ValueError:
            count = 0
        for index in range(count):
            code = data.get(f"row-{index}-question", "")
            row = builder._row(
                code, data.get(f"row-{index}-op", ""), data.get(f"row-{index}-value", "")
            )
            if row is None:
                builder.errors.append(
                    _("A row named a question that does not come before this one.")
                )
                continue
            builder.rows.append(row)
        return builder

    def add(self, code: str) -> None:
        row = self._row(code)
        if row is None:
            self.errors.append(_("Choose a question that comes before this one."))
            return
        if row.uses_choices and row.choices:
            row.value = row.choices[0].code
        self.rows.append(row)

    def remove(self, index: int) -> None:
        if 0 <= index < len(self.rows):
            del self.rows[index]

    def is_valid(self) -> bool:
        for row in self.rows:
            row.error = self._row_error(row)
        return not self.errors and not any(row.error for row in self.rows)

    def _row_error(self, row: ConditionRow) -> str:
        kind = row.question.kind
        value = row.value.strip()
        row.value = value
        if value == "":
            if kind == Question.Kind.MULTIPLE:
                return _("Choose a choice.")
            if row.op not in ("=", "!="):
                return _("Give a value to compare with.")
            return ""
        if kind in Question.CHOICE_KINDS and value not in {c.code for c in row.choices}:
            return _("Choose one of the question's choices.")
        if kind == Question.Kind.NUMBER:
            try:
                number = Decimal(value)
            except InvalidOperation:
                return _("Enter a number.")
            if not number.is_finite():
                return _("Enter a number.")
        if kind == Question.Kind.DATE:
            try:
                datetime.date.fromisoformat(value)
            except ValueError:
                return _("Enter a date.")
        if kind == Question.Kind.LIKERT and row.op not in ("=", "!="):
            try:
                Decimal(value)
            except InvalidOperation:
                return _("Only numbered choices can be compared as more or less.")
        return ""

    def condition(self) -> dict[str, Any] | None:
        nodes = [row.node() for row in self.rows]
        if not nodes:
            return None
        if len(nodes) == 1:
            return nodes[0]
        return {"op": self.join, "args": nodes}
