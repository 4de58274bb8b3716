"""The form a person adds a CE class taken elsewhere with."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tapestry.learning.credit import competency_choices


class DateInput(forms.DateInput):
    input_type = "date"


class CreditEntryForm(forms.Form):
    title = forms.CharField(label=_("Class title"), max_length=200)
    provider = forms.CharField(
        label=_("Provider"),
        max_length=200,
        help_text=_("Who offered the class, for example the Medical Library Association."),
    )
    earned_on = forms.DateField(
        label=_("Date you finished it"),
        widget=DateInput(format="%Y-%m-%d"),
        help_text=_("Today or earlier."),
    )
    hours = forms.DecimalField(
        label=_("Hours"),
        min_value=Decimal("0.5"),
        max_value=Decimal("40"),
        max_digits=4,
        decimal_places=1,
        help_text=_("Between 0.5 and 40, in tenths of an hour."),
    )
    approved = forms.BooleanField(label=_("Approved for CHIS credit by MLA"), required=False)
    competencies = forms.MultipleChoiceField(
        label=_("Competencies the class covered"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one competency the class covered.")},
    )

    def __init__(self, *args: Any, language: str = "en", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["competencies"].choices = competency_choices(language)  # type: ignore[attr-defined]

    def clean_title(self) -> str:
        return str(self.cleaned_data["title"]).strip()

    def clean_provider(self) -> str:
        return str(self.cleaned_data["provider"]).strip()

    def clean_earned_on(self) -> datetime.date:
        earned_on: datetime.date = self.cleaned_data["earned_on"]
        if earned_on > timezone.localdate():
            raise forms.ValidationError(_("The date cannot be in the future."))
        return earned_on
