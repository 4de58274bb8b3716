"""Forms of the staff compliance pages: the people search, bypasses, the audit filter and the
report's grouping."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tapestry.learning.models import AuditEntry, Requirement
from tapestry.learning.reports import Grouping


class PeopleSearchForm(forms.Form):
    q = forms.CharField(label=_("Name or email"), required=False, max_length=200)
    page = forms.IntegerField(required=False, min_value=1, max_value=100_000)

    def clean_q(self) -> str:
        return str(self.cleaned_data.get("q") or "").strip()


class BypassForm(forms.Form):
    requirement = forms.ModelChoiceField(
        label=_("Requirement"), queryset=Requirement.objects.none(), empty_label=None
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=1000,
        widget=forms.Textarea,
        help_text=_("Why this person meets the requirement without the course."),
    )
    ends_on = forms.DateField(
        label=_("Ends on (optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Leave empty for a bypass that lasts until it is withdrawn."),
    )

    def __init__(self, *args: Any, requirement_ids: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["requirement"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Requirement.objects.filter(pk__in=requirement_ids).select_related("course")


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=1000, widget=forms.Textarea)


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(
        label=_("Action"),
        required=False,
        choices=[("", _("Every action")), *AuditEntry.Action.choices],
    )
    page = forms.IntegerField(required=False, min_value=1, max_value=100_000)


class ReportForm(forms.Form):
    group_by = forms.ChoiceField(
        label=_("Count by"), choices=Grouping.choices, required=False, initial=Grouping.ROLE
    )
