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


# --- Datasets -------------------------------------------------------------------------------

DATASET_COLUMN_LABELS = {
    "year_of_birth": _("Year of birth"),
    "sex_at_birth": _("Sex at birth"),
    "race": _("Race"),
    "ethnicity": _("Ethnicity"),
    "zip3": _("ZIP code (first 3 digits)"),
    "site": _("Enrollment site"),
    "concept_id": _("Concept id"),
    "concept_name": _("Concept name"),
    "start_date": _("Start date"),
    "end_date": _("End date"),
    "date": _("Date"),
    "value": _("Value"),
    "unit": _("Unit"),
    "days_supply": _("Days supply"),
    "value_code": _("Answer code"),
}
DATASET_TABLE_LABELS = {
    "person": _("Participants"),
    "condition": _("Conditions"),
    "drug": _("Drugs"),
    "measurement": _("Measurements"),
    "procedure": _("Procedures"),
    "observation": _("Observations"),
}


class DatasetForm(forms.Form):
    """A new dataset: a name, one of the workspace's saved cohorts, the columns of each table
    (checkboxes) and the format. The concept sets come as `concept` values (`<domain>:<id>`)
    with `descendants` naming the ids whose descendants count too; the view reads them and
    services.dataset_create checks everything again."""

    name = forms.CharField(label=_("Dataset name"), max_length=200, strip=True)
    cohort = forms.ChoiceField(label=_("Saved cohort"))
    format = forms.ChoiceField(
        label=_("File format"),
        choices=[("parquet", _("Parquet")), ("csv", _("CSV"))],
        initial="parquet",
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, cohorts: list[tuple[int, str]], **kwargs: Any) -> None:
        from tapestry.research.warehouse.dataset import COLUMNS

        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["cohort"]).choices = [
            ("", _("Choose a cohort")),
            *[(str(pk), label) for pk, label in cohorts],
        ]
        for table, names in COLUMNS.items():
            self.fields[f"columns_{table}"] = forms.MultipleChoiceField(
                label=DATASET_TABLE_LABELS[table],
                choices=[(name, DATASET_COLUMN_LABELS[name]) for name in names],
                required=False,
                initial=list(names),
                widget=forms.CheckboxSelectMultiple,
            )

    def column_fields(self) -> list[forms.BoundField]:
        """The columns' checkbox groups, one per table."""
        return [self[name] for name in self.fields if name.startswith("columns_")]

    def columns(self) -> dict[str, list[str]]:
        """The chosen columns per table (after is_valid)."""
        return {
            name.removeprefix("columns_"): list(self.cleaned_data.get(name) or [])
            for name in self.fields
            if name.startswith("columns_")
        }
