"""The Data Browser's search form, shared by the pages and the JSON API."""

import datetime
import unicodedata
from typing import Any, cast

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tapestry.research.models import Domain, IdentityAttestation, Requirement, ResearchLogEntry
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


# --- Researcher access, workspaces and the research log ------------------------------------


def _no_control_characters(text: str) -> str:
    if any(
        unicodedata.category(character) == "Cc" and character not in "\r\n\t" for character in text
    ):
        raise forms.ValidationError(
            _("Remove the control characters from the text."), code="control_characters"
        )
    return text


class ConductSignForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)
    typed_name = forms.CharField(
        label=_("Type your full name to sign"),
        help_text=_("As it is on your account."),
        max_length=200,
    )

    def clean_typed_name(self) -> str:
        return _no_control_characters(self.cleaned_data["typed_name"])


class WorkspaceForm(forms.Form):
    """A new workspace; `tiers` are the tiers the researcher may open one at."""

    name = forms.CharField(label=_("Project name"), max_length=200)
    purpose = forms.CharField(
        label=_("Research purpose"),
        help_text=_(
            "What you want to learn and why, in plain language. It is shown to the public in "
            "the list of projects."
        ),
        widget=forms.Textarea,
        max_length=5000,
    )
    tier = forms.ChoiceField(label=_("Data tier"), widget=forms.RadioSelect)

    def __init__(
        self, *args: Any, tiers: list[tuple[str, str]] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        choice = cast(forms.ChoiceField, self.fields["tier"])
        choice.choices = tiers or []
        if tiers:
            choice.initial = tiers[0][0]

    def clean_name(self) -> str:
        return _no_control_characters(self.cleaned_data["name"])

    def clean_purpose(self) -> str:
        purpose = _no_control_characters(self.cleaned_data["purpose"])
        if len(purpose) < settings.RESEARCH_PURPOSE_MIN_LENGTH:
            raise forms.ValidationError(
                _(
                    "Describe the research purpose in at least %(count)d characters (you "
                    "entered %(entered)d)."
                )
                % {"count": settings.RESEARCH_PURPOSE_MIN_LENGTH, "entered": len(purpose)},
                code="min_length",
            )
        return purpose


class WorkspaceEditForm(WorkspaceForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["tier"]


class MemberAddForm(forms.Form):
    email = forms.EmailField(
        label=_("Email address of the researcher to add"),
        help_text=_("They need access to this tier of the data."),
        max_length=254,
    )


class ProjectSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search projects by name or purpose"),
        required=False,
        max_length=SEARCH_MAX_LENGTH,
        strip=True,
    )

    def clean_q(self) -> str:
        return _no_control_characters(self.cleaned_data["q"])


def _action_field() -> forms.ChoiceField:
    return forms.ChoiceField(
        label=_("Action"),
        required=False,
        choices=[("", _("All actions")), *ResearchLogEntry.Action.choices],
    )


class LogFilterForm(forms.Form):
    action = _action_field()


class StaffLogSearchForm(forms.Form):
    email = forms.CharField(
        label=_("Person's email (or part of it)"), required=False, max_length=254
    )
    action = _action_field()
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    workspace = forms.CharField(label=_("Workspace (name or id)"), required=False, max_length=200)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end date is before the start date."))
        return cleaned


class ResearcherSearchForm(forms.Form):
    q = forms.CharField(label=_("Name or email"), required=False, max_length=200, strip=True)


class IdentityAttestForm(forms.Form):
    method = forms.ChoiceField(
        label=_("How you confirmed their identity"),
        choices=IdentityAttestation.Method.choices,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note (what you saw, for the record)"), required=False, max_length=500
    )


class IdentityWithdrawForm(forms.Form):
    reason = forms.CharField(label=_("Why the confirmation is withdrawn"), max_length=500)


class BypassGrantForm(forms.Form):
    requirement = forms.ChoiceField(label=_("Requirement"), choices=Requirement.choices)
    reason = forms.CharField(label=_("Reason"), max_length=500)
    ends_on = forms.DateField(
        label=_("Ends on"),
        help_text=_("At most one year from today."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean_ends_on(self) -> datetime.date:
        ends_on: datetime.date = self.cleaned_data["ends_on"]
        today = timezone.localdate()
        latest = today + datetime.timedelta(days=settings.RESEARCH_BYPASS_MAX_DAYS)
        if not today <= ends_on <= latest:
            raise forms.ValidationError(
                _("Choose a day between today and %(date)s.") % {"date": latest.isoformat()}
            )
        return ends_on
