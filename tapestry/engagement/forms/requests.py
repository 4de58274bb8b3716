"""Engagement request forms: the request, a message, a status change, a milestone."""

import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tapestry.engagement.models import EngagementRequest, EventLanguage, FocusArea


def _date_widget() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class EngagementRequestForm(forms.Form):
    organization_id = forms.TypedChoiceField(
        label=_("Your organization"), coerce=int, required=False, empty_value=None
    )
    state_code = forms.ChoiceField(
        label=_("State"),
        required=False,
        help_text=_(
            "Where the program would take place, if you are not an organization's liaison."
        ),
    )
    audience = forms.CharField(
        label=_("Audience"),
        max_length=200,
        help_text=_("Who it is for, such as “older adults” or “teen volunteers”."),
    )
    focus_area = forms.ChoiceField(label=_("Topic"), choices=FocusArea.choices)
    language = forms.ChoiceField(label=_("Language"), choices=EventLanguage.choices)
    preferred_date_1 = forms.DateField(label=_("First preferred date"), widget=_date_widget())
    preferred_date_2 = forms.DateField(label=_("Second preferred date"), widget=_date_widget())
    preferred_date_3 = forms.DateField(
        label=_("Third preferred date (optional)"), required=False, widget=_date_widget()
    )
    expected_attendance = forms.IntegerField(
        label=_("Expected attendance"), min_value=1, max_value=100000
    )
    notes = forms.CharField(
        label=_("Notes"), max_length=4000, required=False, widget=forms.Textarea
    )

    def __init__(
        self,
        *args: Any,
        organizations: list[tuple[int, str]],
        states: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if organizations:
            self.fields["organization_id"].choices = organizations  # type: ignore[attr-defined]
            self.fields["organization_id"].required = True
            del self.fields["state_code"]
        else:
            del self.fields["organization_id"]
            self.fields["state_code"].choices = [("", _("Choose a state")), *states]  # type: ignore[attr-defined]
            self.fields["state_code"].required = True

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        today = timezone.localdate()
        for name in ("preferred_date_1", "preferred_date_2", "preferred_date_3"):
            day: datetime.date | None = cleaned.get(name)
            if day is not None and day <= today:
                self.add_error(name, _("Choose a date after today."))
        days = [
            cleaned.get(name)
            for name in ("preferred_date_1", "preferred_date_2", "preferred_date_3")
        ]
        given = [day for day in days if day is not None]
        if len(given) == len(set(given)) or self.errors:
            return cleaned
        self.add_error("preferred_date_2", _("Give different dates."))
        return cleaned


class MessageForm(forms.Form):
    body = forms.CharField(label=_("Message"), max_length=4000, widget=forms.Textarea)


class StatusForm(forms.Form):
    """On the request's page beside the milestone form: its own ids, so labels stay unique."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_status_%s")
        super().__init__(*args, **kwargs)

    status = forms.ChoiceField(label=_("New status"), choices=EngagementRequest.Status.choices)
    note = forms.CharField(label=_("Note (optional)"), max_length=250, required=False)


class MilestoneForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_milestone_%s")
        super().__init__(*args, **kwargs)

    on = forms.DateField(label=_("Date"), widget=_date_widget())
    note = forms.CharField(label=_("Milestone"), max_length=300)
