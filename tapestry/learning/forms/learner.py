"""Forms of the learner pages: the catalog's filters, the learner's organization, and the
quiz answers as a submission carries them."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tapestry.accounts.api import Role
from tapestry.learning.models import Language

# The quiz page names each question's inputs "question-<id>" and carries the attempt's id.
QUESTION_PREFIX = "question-"
ATTEMPT_FIELD = "attempt"


class CatalogFilterForm(forms.Form):
    q = forms.CharField(
        label=gettext_lazy("Search titles and summaries"),
        required=False,
        max_length=100,
        strip=True,
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    language = forms.ChoiceField(
        label=gettext_lazy("Language"),
        required=False,
        choices=[("", gettext_lazy("Any language")), *Language.choices],
    )
    audience = forms.ChoiceField(
        label=gettext_lazy("Written for"),
        required=False,
        choices=[("", gettext_lazy("Anyone")), *Role.choices],
    )
    credit = forms.BooleanField(label=gettext_lazy("Approved for CE credit"), required=False)
    page = forms.IntegerField(
        required=False, min_value=1, max_value=100000, widget=forms.HiddenInput
    )

    def filters(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "language": data.get("language") or "",
            "audience": data.get("audience") or "",
            "approved_for_credit": bool(data.get("credit")),
            "text": data.get("q") or "",
        }


class LearnerProfileForm(forms.Form):
    organization = forms.TypedChoiceField(
        label=gettext_lazy("The member organization you work for"),
        help_text=gettext_lazy(
            "Type a few letters of its name to narrow the list. Leave it empty if you do not "
            "work for a member organization."
        ),
        required=False,
        coerce=int,
        empty_value=None,
    )

    def __init__(self, *args: Any, choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organization"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", _("None")), *choices]


class AnswersUnreadable(ValueError):
    """The submission names a question or an option that is not a number."""


def answers_from_post(data: QueryDict) -> dict[int, list[int]]:
    """The ticked options by question, {question id: [option ids]}, from the quiz's inputs.
    Whether they belong to the attempt is the service's to check; this only reads them."""
    answers: dict[int, list[int]] = {}
    for name in data:
        if not name.startswith(QUESTION_PREFIX):
            continue
        try:
            question_id = int(name.removeprefix(QUESTION_PREFIX))
            options = [int(value) for value in data.getlist(name) if value.strip()]
        except ValueError:
            raise AnswersUnreadable(
                _("The answers could not be read. Reload the page and try again.")
            ) from None
        if options:
            answers[question_id] = list(dict.fromkeys(options))
    return answers


def attempt_id_from_post(data: QueryDict) -> int:
    try:
        return int(data.get(ATTEMPT_FIELD, ""))
    except ValueError:
        raise AnswersUnreadable(
            _("The answers could not be read. Reload the page and try again.")
        ) from None
