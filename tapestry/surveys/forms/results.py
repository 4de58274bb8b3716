"""The results page's filters: one group of one dimension (anonymous instruments), any groups
(identified ones), and a breakdown by one dimension."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tapestry.surveys.results import DIMENSIONS, dimension_name


class ResultsFilterForm(forms.Form):
    breakdown = forms.ChoiceField(label=_("Break down by"), required=False)

    def __init__(
        self, *args: Any, groups: dict[str, list[tuple[str, str]]], anonymous: bool, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.anonymous = anonymous
        self.dimensions = [dim for dim in DIMENSIONS if dim in groups]
        for dim in self.dimensions:
            self.fields[dim] = forms.ChoiceField(
                label=dimension_name(dim),
                required=False,
                # "" is "everyone"; a group whose code is "" (not stated) is sent as "-".
                choices=[("", _("All"))] + [(code or "-", label) for code, label in groups[dim]],
            )
        breakdown = self.fields["breakdown"]
        assert isinstance(breakdown, forms.ChoiceField)
        breakdown.choices = [("", _("Nothing (totals only)"))] + [
            (dim, dimension_name(dim)) for dim in self.dimensions
        ]
        self.order_fields([*self.dimensions, "breakdown"])

    def selection(self) -> dict[str, str]:
        """The groups chosen, by dimension (after `is_valid`)."""
        return {
            dim: ("" if self.cleaned_data[dim] == "-" else self.cleaned_data[dim])
            for dim in self.dimensions
            if self.cleaned_data.get(dim)
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        chosen = [dim for dim in self.dimensions if cleaned.get(dim)]
        if self.anonymous and len(chosen) > 1:
            raise forms.ValidationError(
                _(
                    "This survey is anonymous: its results can be filtered by one thing at a "
                    "time (a role, a region, a language or a course), so that small groups stay "
                    "hidden."
                ),
                code="one_filter",
            )
        if self.anonymous and chosen and cleaned.get("breakdown"):
            raise forms.ValidationError(
                _("This survey is anonymous: choose either a filter or a breakdown, not both."),
                code="filter_and_breakdown",
            )
        return cleaned
