"""Activity report forms: the report's facts, its rows (a formset), a CSV upload, a review."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tapestry.core.geography import zip_lookup
from tapestry.engagement.models import ActivityDelivery, ActivityType, ProfessionalRole
from tapestry.engagement.report_csv import ReportRow


class ReportForm(forms.Form):
    organization_id = forms.TypedChoiceField(label=_("Organization"), coerce=int)
    title = forms.CharField(label=_("Title"), max_length=200)
    activity_type = forms.ChoiceField(label=_("Activity type"), choices=ActivityType.choices)
    delivery = forms.ChoiceField(label=_("Delivery"), choices=ActivityDelivery.choices)
    activity_date = forms.DateField(
        label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    event_id = forms.TypedChoiceField(
        label=_("Event (optional)"),
        coerce=int,
        required=False,
        empty_value=None,
        help_text=_("The event this report is about, if it was one of yours."),
    )

    def __init__(
        self,
        *args: Any,
        organizations: list[tuple[int, str]],
        events: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization_id"].choices = organizations  # type: ignore[attr-defined]
        self.fields["event_id"].choices = [("", _("None")), *events]  # type: ignore[attr-defined]


class ReportRowForm(forms.Form):
    participants = forms.IntegerField(
        label=_("Participants"),
        min_value=1,
        max_value=100000,
        error_messages={"invalid": _("Participants must be a whole number.")},
    )
    zip_code = forms.CharField(
        label=_("ZIP code"),
        max_length=5,
        min_length=5,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    role = forms.ChoiceField(label=_("Professional role"), choices=ProfessionalRole.choices)

    def clean_zip_code(self) -> str:
        zip_code: str = self.cleaned_data["zip_code"].strip()
        if not zip_code.isdigit() or zip_lookup(zip_code) is None:
            raise forms.ValidationError(
                _("%(zip)s is not a known U.S. ZIP code."), params={"zip": zip_code}
            )
        return zip_code


def formset_rows(formset: forms.BaseFormSet) -> list[ReportRow]:  # type: ignore[type-arg]
    """The rows of a valid row formset, those marked for removal left out."""
    return [
        ReportRow(
            participants=form.cleaned_data["participants"],
            zip_code=form.cleaned_data["zip_code"],
            role=form.cleaned_data["role"],
        )
        for form in formset.forms
        if form.cleaned_data and not form.cleaned_data.get("DELETE")
    ]


ReportRowFormSet = forms.formset_factory(
    ReportRowForm, extra=0, can_delete=True, max_num=500, absolute_max=500
)


class CsvUploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("Columns participants, zip_code and role; the rows replace the report's rows."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("accept", _("Accept")), ("return", _("Return with comments"))],
        widget=forms.RadioSelect,
    )
    comments = forms.CharField(
        label=_("Comments"),
        max_length=4000,
        required=False,
        widget=forms.Textarea,
        help_text=_("Required when you return the report: say what needs to change."),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("decision") == "return" and not cleaned.get("comments", "").strip():
            self.add_error("comments", _("Say what needs to change when you return a report."))
        return cleaned
