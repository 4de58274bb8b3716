"""The Data Browser's search form, shared by the pages and the JSON API."""

import unicodedata
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from tapestry.research.models import Domain
from tapestry.research.selectors import SEARCH_MAX_LENGTH


class ConceptSearchForm(forms.Form):
    """A concept search: words of a name (English or Spanish), a synonym, a code (the
    concept's own or an ICD-10-CM or CPT4 code that maps to it) or a concept id, optionally
    in one domain. The page number is read by the view (a bad one shows page 1).

    Quotes, angle brackets and SQL-looking text are ordinary characters here: the search is a
    parameterized query and the page escapes what it shows, so "' OR 1=1 --" simply finds
    nothing. Only control characters, which no one types, are refused.
    """

    q = forms.CharField(
        label=_("Search by name or code"),
        # Each example must find something in either language (tests/test_search.py).
        help_text=_("For example: diabetes, metformin, high blood pressure, HbA1c or I10."),
        required=False,
        max_length=SEARCH_MAX_LENGTH,
        strip=True,
        error_messages={
            "max_length": _(
                "Search for at most %(limit_value)d characters (you entered %(show_value)d)."
            )
        },
    )
    domain = forms.ChoiceField(label=_("Domain"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["domain"]).choices = [
            ("", _("All domains")),
            *Domain.choices,
        ]

    def clean_q(self) -> str:
        query = self.cleaned_data["q"]
        if any(unicodedata.category(character) == "Cc" for character in query):
            raise forms.ValidationError(
                _("Remove the control characters from your search."), code="control_characters"
            )
        return query
