"""The request forms: a library's request, a lender's answer, a patron's request and the
library's approval. Forms parse; the services in `services.py` decide."""

import datetime
import uuid
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tapestry.sharing.models import CopyrightCompliance, Delivery, Lender, Request, Urgency

MAX_COST = Decimal("1000.00")


def cents(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


class DateInput(forms.DateInput):
    input_type = "date"


def _money_field(label: Any, help_text: Any = "") -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        help_text=help_text,
        min_value=Decimal("0"),
        max_value=MAX_COST,
        decimal_places=2,
        max_digits=7,
    )


class CitationForm(forms.Form):
    """What is asked for: an article (journal, ISSN, year …) or a book (ISBN)."""

    kind = forms.ChoiceField(
        label=_("What do you need?"),
        choices=Request.Kind.choices,
        widget=forms.RadioSelect,
        initial=Request.Kind.ARTICLE,
    )
    title = forms.CharField(label=_("Article or book title"), max_length=500)
    authors = forms.CharField(label=_("Authors"), max_length=500, required=False)
    journal_title = forms.CharField(label=_("Journal"), max_length=300, required=False)
    issn = forms.CharField(
        label=_("ISSN"),
        max_length=12,
        required=False,
        help_text=_("Eight characters, such as 0028-0836 (for an article)."),
    )
    year = forms.IntegerField(label=_("Year"), required=False, min_value=1600, max_value=2200)
    volume = forms.CharField(label=_("Volume"), max_length=20, required=False)
    issue = forms.CharField(label=_("Issue"), max_length=20, required=False)
    pages = forms.CharField(label=_("Pages"), max_length=30, required=False)
    pmid = forms.IntegerField(
        label=_("PubMed ID (optional)"), required=False, min_value=1, max_value=999_999_999
    )
    isbn = forms.CharField(
        label=_("ISBN"), max_length=17, required=False, help_text=_("10 or 13 digits (for a book).")
    )
    needed_by = forms.DateField(label=_("Needed by"), widget=DateInput)

    def citation(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "title": data["title"],
            "authors": data["authors"],
            "journal_title": data["journal_title"],
            "issn": data["issn"],
            "year": data["year"],
            "volume": data["volume"],
            "issue": data["issue"],
            "pages": data["pages"],
            "pmid": data["pmid"],
            "isbn": data["isbn"],
            "needed_by": data["needed_by"],
        }


class RequestForm(CitationForm):
    max_cost = _money_field(
        _("Most your library will pay, in dollars"),
        _("Lenders that charge more are not asked. 0 asks only libraries that lend for free."),
    )
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices)
    patron_reference = forms.CharField(
        label=_("Your reference for the patron (optional)"),
        max_length=60,
        required=False,
        help_text=_("Your library's own number or initials, never the patron's name."),
    )
    compliance = forms.ChoiceField(
        label=_("Copyright"), choices=CopyrightCompliance.choices, widget=forms.RadioSelect
    )
    submission_token = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)

    field_order = ["kind", "title", "authors", "journal_title", "issn", "year", "volume"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # As the inputs read them: an ISO date and a point for cents, whatever the language
        # (a localized "15,00" is no number to a number input).
        in_two_weeks = timezone.localdate() + datetime.timedelta(days=14)
        self.fields["needed_by"].initial = in_two_weeks.isoformat()
        self.fields["max_cost"].initial = "15.00"


class NotFillForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Why your library cannot fill it"), choices=Lender.Reason.choices
    )
    note = forms.CharField(
        label=_("Note to the borrowing library (optional)"), max_length=300, required=False
    )


class FillForm(forms.Form):
    method = forms.ChoiceField(
        label=_("How you send it"), choices=Delivery.Method.choices, widget=forms.RadioSelect
    )
    file = forms.FileField(
        label=_("The PDF (for secure electronic delivery)"),
        required=False,
        help_text=_("A PDF of at most 25 MB. Only the borrowing library can open it."),
    )


class ApproveForm(forms.Form):
    patron_reference = forms.CharField(
        label=_("Your reference for the patron (optional)"), max_length=60, required=False
    )
    max_cost = _money_field(_("Most your library will pay, in dollars"))
    compliance = forms.ChoiceField(
        label=_("Copyright"), choices=CopyrightCompliance.choices, widget=forms.RadioSelect
    )


class DeclineForm(forms.Form):
    note = forms.CharField(label=_("Why (the person is told)"), max_length=300)


class AgreementForm(forms.Form):
    is_health_professional = forms.BooleanField(
        label=_("I am a health professional without a library of my own"), required=False
    )


class PatronRequestForm(CitationForm):
    note = forms.CharField(
        label=_("Note to the library (optional)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea,
    )


class RequestFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), max_length=100, required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All")), ("open", _("Open"))]
        + [
            (value, label)
            for value, label in Request.Status.choices
            if value != "awaiting_approval"
        ],
    )
