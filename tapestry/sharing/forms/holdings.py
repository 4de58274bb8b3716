"""The forms of a library's holdings, CSV import, lending policy, closures and preferred
lenders. They parse what was typed; the services in `tapestry.sharing.holdings` check it."""

from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tapestry.sharing.models import Holding, HoldingFormat


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class HoldingSearchForm(forms.Form):
    q = forms.CharField(label=_("Title or ISSN"), max_length=100, required=False)


class HoldingForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What it is"), choices=Holding.Kind.choices, widget=forms.RadioSelect
    )
    title = forms.CharField(label=_("Title"), max_length=300)
    issn = forms.CharField(
        label=_("ISSN (journals)"),
        max_length=20,
        required=False,
        help_text=_("Eight characters, such as 0028-0836."),
    )
    isbn = forms.CharField(
        label=_("ISBN (books)"),
        max_length=20,
        required=False,
        help_text=_("10 or 13 digits, with or without hyphens."),
    )
    holding_format = forms.ChoiceField(
        label=_("Format"), choices=HoldingFormat.choices, widget=forms.RadioSelect
    )
    licence_allows_lending = forms.BooleanField(
        label=_("The electronic licence allows interlibrary lending"), required=False
    )
    statement = forms.CharField(
        label=_("Years and volumes held (journals)"),
        max_length=1000,
        required=False,
        help_text=_(
            "Ranges separated by semicolons: “1990-1995; 1998-” (a dash with no end year means "
            "to the present), with volumes if you know them: “1990-1995 v.1-6; 1998- v.9-”."
        ),
    )


class HoldingsImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "Columns: kind, title, issn, isbn, format, licence_allows_lending, holdings. "
            "An export of your holdings is a ready example."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def read(self) -> bytes:
        """The file's bytes, reading at most one byte past the limit (the service refuses it)."""
        upload = self.cleaned_data["file"]
        return bytes(upload.read(settings.SHARING_HOLDINGS_CSV_MAX_BYTES + 1))


class LendingPolicyForm(forms.Form):
    lends = forms.BooleanField(label=_("We lend to other libraries"), required=False)
    lends_to_region = forms.BooleanField(
        label=_("We lend to members in our region"), required=False
    )
    lends_to_network = forms.BooleanField(
        label=_("We lend to every member of the network"), required=False
    )
    lends_to_public_libraries = forms.BooleanField(
        label=_("We lend to public libraries anywhere in the network"), required=False
    )
    fee = forms.DecimalField(
        label=_("What we charge for each item, in dollars"),
        help_text=_("For example 10.00; 0 if we lend for free."),
        min_value=Decimal("0"),
        max_value=Decimal("1000"),
        decimal_places=2,
        max_digits=7,
        error_messages={"min_value": _("The fee is an amount of at least $0.00.")},
    )
    delivers_electronically = forms.BooleanField(
        label=_("We send articles by secure electronic delivery"), required=False
    )
    delivers_by_mail = forms.BooleanField(label=_("We send items by mail"), required=False)
    answer_business_days = forms.IntegerField(
        label=_("How many business days we take to answer a request"),
        help_text=_("From 1 to 10. After that the request goes to the next library."),
        min_value=1,
        max_value=10,
    )
    accepts_patron_requests = forms.BooleanField(
        label=_("We take requests from patrons and unaffiliated health professionals"),
        required=False,
    )

    def service_fields(self) -> dict[str, Any]:
        """What lending_policy_save takes (the fee in cents)."""
        data = dict(self.cleaned_data)
        data["fee_cents"] = int(data.pop("fee") * 100)
        return data


class ClosureForm(forms.Form):
    starts_on = forms.DateField(
        label=_("First day closed"),
        widget=DateInput(),
        input_formats=["%Y-%m-%d"],
        error_messages={"invalid": _("Enter a date as year-month-day, for example 2026-12-24.")},
    )
    ends_on = forms.DateField(
        label=_("Last day closed"),
        help_text=_("Leave it empty to pause lending until you remove this closure."),
        widget=DateInput(),
        input_formats=["%Y-%m-%d"],
        required=False,
        error_messages={"invalid": _("Enter a date as year-month-day, for example 2026-12-24.")},
    )
    reason = forms.CharField(label=_("Reason"), max_length=200)


ORDINALS = (
    pgettext_lazy("preferred lender", "First choice"),
    pgettext_lazy("preferred lender", "Second choice"),
    pgettext_lazy("preferred lender", "Third choice"),
    pgettext_lazy("preferred lender", "Fourth choice"),
    pgettext_lazy("preferred lender", "Fifth choice"),
    pgettext_lazy("preferred lender", "Sixth choice"),
    pgettext_lazy("preferred lender", "Seventh choice"),
    pgettext_lazy("preferred lender", "Eighth choice"),
    pgettext_lazy("preferred lender", "Ninth choice"),
    pgettext_lazy("preferred lender", "Tenth choice"),
)


class PreferredLendersForm(forms.Form):
    """One menu per place in the order (as many places as routing asks lenders)."""

    def __init__(
        self, *args: Any, libraries: list[tuple[int, str]], initial_ids: list[int], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        places = min(settings.SHARING_MAX_LENDERS, len(ORDINALS))
        choices = [("", _("(none)")), *libraries]
        for index in range(places):
            self.fields[f"lender_{index + 1}"] = forms.TypedChoiceField(
                label=ORDINALS[index],
                choices=choices,
                coerce=int,
                empty_value=None,
                required=False,
                initial=initial_ids[index] if index < len(initial_ids) else None,
            )

    def lender_ids(self) -> list[int]:
        """The libraries chosen, in order, empty places left out."""
        return [
            value
            for name, value in self.cleaned_data.items()
            if name.startswith("lender_") and value is not None
        ]
