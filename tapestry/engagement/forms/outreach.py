"""The outreach dashboard's filters: a period, a region, a state, and how to group."""

import datetime
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from tapestry.engagement.outreach import OutreachFilters, default_period, months_between

GROUP_CHOICES = [("region", _("Region")), ("state", _("State")), ("month", _("Month"))]


def _date_widget() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class OutreachFilterForm(forms.Form):
    date_from = forms.DateField(label=_("From"), required=False, widget=_date_widget())
    date_to = forms.DateField(label=_("To (included)"), required=False, widget=_date_widget())
    region = forms.ChoiceField(label=_("Region"), required=False)
    state = forms.ChoiceField(label=_("State"), required=False)
    group_by = forms.ChoiceField(
        label=_("Group the figures by"), choices=GROUP_CHOICES, required=False
    )

    def __init__(
        self,
        *args: Any,
        regions: list[tuple[str, str]],
        states: list[tuple[str, str]],
        today: datetime.date,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["region"].choices = [("", _("All your regions")), *regions]  # type: ignore[attr-defined]
        self.fields["state"].choices = [("", _("Every state")), *states]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        first, last = default_period(self.today)
        date_from = cleaned.get("date_from") or first
        date_to = cleaned.get("date_to") or last
        if "date_from" in self.errors or "date_to" in self.errors:
            return cleaned
        if date_to < date_from:
            raise forms.ValidationError(_("The period must end on or after the day it starts."))
        if len(months_between(date_from, date_to)) > settings.ENGAGEMENT_OUTREACH_MAX_MONTHS:
            raise forms.ValidationError(
                _("Choose a period of at most %(months)s months.")
                % {"months": settings.ENGAGEMENT_OUTREACH_MAX_MONTHS}
            )
        cleaned["date_from"], cleaned["date_to"] = date_from, date_to
        return cleaned

    def filters(self) -> OutreachFilters:
        """The validated filters (call after is_valid())."""
        data = self.cleaned_data
        return OutreachFilters(
            date_from=data["date_from"],
            date_to=data["date_to"],
            region_code=data.get("region") or "",
            state_code=data.get("state") or "",
            group_by=data.get("group_by") or "region",
        )
