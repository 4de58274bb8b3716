"""Award forms: making the award (staff), and on the award's page an invoice, a report, an
extension request, a published material, and staff's decisions and close-out. The forms on
the award's page each have their own ids (`auto_id`), so labels stay unique on the page."""

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tapestry.funding.models import Invoice


def _date_widget() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _money() -> forms.DecimalField:
    return forms.DecimalField(
        label=_("Amount in dollars"),
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )


class _Prefixed(forms.Form):
    id_prefix = "id_%s"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", self.id_prefix)
        super().__init__(*args, **kwargs)


class AwardForm(forms.Form):
    amount = _money()
    period_start = forms.DateField(label=_("Period starts"), widget=_date_widget())
    period_end = forms.DateField(label=_("Period ends"), widget=_date_widget())
    acknowledgement = forms.CharField(
        label=_("Acknowledgement text"),
        max_length=1000,
        widget=forms.Textarea,
        help_text=_("The sentence every material the awardee publishes must carry."),
    )
    acknowledgement_es = forms.CharField(
        label=_("Acknowledgement text in Spanish"),
        max_length=1000,
        required=False,
        widget=forms.Textarea,
    )
    evaluation = forms.ChoiceField(label=_("Survey of the final report"), required=False)

    def __init__(self, *args: Any, evaluations: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["evaluation"].choices = [  # type: ignore[attr-defined]
            *evaluations,
            ("", _("No survey: the final report is the narrative alone")),
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("period_start"), cleaned.get("period_end")
        if start and end and end <= start:
            self.add_error("period_end", _("The period must end after it starts."))
        return cleaned


class InvoiceForm(_Prefixed):
    id_prefix = "id_invoice_%s"

    billing_month = forms.DateField(
        label=_("Month billed"),
        input_formats=["%Y-%m", "%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        help_text=_("One invoice a month, for a month of the award period that has begun."),
    )
    invoice_date = forms.DateField(label=_("Invoice date"), widget=_date_widget())
    amount = _money()
    description = forms.CharField(label=_("Costs claimed"), max_length=4000, widget=forms.Textarea)


class InvoiceDecisionForm(_Prefixed):
    id_prefix = "id_decision_%s"

    to = forms.ChoiceField(label=_("Decision"), choices=[])
    reason = forms.CharField(
        label=_("Reason (needed to return it)"), max_length=1000, required=False
    )

    def __init__(self, *args: Any, choices: tuple[str, ...], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = {
            Invoice.Status.APPROVED: _("Approve"),
            Invoice.Status.PAID: _("Mark as paid"),
            Invoice.Status.RETURNED: _("Return to the awardee"),
        }
        self.fields["to"].choices = [(value, labels[value]) for value in choices]  # type: ignore[attr-defined,index]


class ReportForm(forms.Form):
    narrative = forms.CharField(
        label=_("What the project did"), max_length=20000, widget=forms.Textarea
    )
    activity_report_ids = forms.TypedMultipleChoiceField(
        label=_("Activity reports this report counts"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, offered: list[tuple[int, str]], **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"id_report_{kwargs.pop('report_id', '')}_%s")
        super().__init__(*args, **kwargs)
        self.fields["activity_report_ids"].choices = offered  # type: ignore[attr-defined]


class ExtensionForm(_Prefixed):
    id_prefix = "id_extension_%s"

    requested_end = forms.DateField(label=_("New end date"), widget=_date_widget())
    reason = forms.CharField(
        label=_("Why more time is needed"), max_length=4000, widget=forms.Textarea
    )


class ExtensionDecisionForm(_Prefixed):
    id_prefix = "id_extension_decision_%s"

    approve = forms.TypedChoiceField(
        label=_("Decision"),
        choices=[("yes", _("Approve")), ("no", _("Decline"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(label=_("Reason (needed to decline)"), max_length=1000, required=False)


class MaterialForm(_Prefixed):
    id_prefix = "id_material_%s"

    title = forms.CharField(label=_("Title"), max_length=200)
    url = forms.URLField(label=_("Web address (optional)"), required=False, assume_scheme="https")
    text = forms.CharField(
        label=_("Text of the material"),
        max_length=50000,
        widget=forms.Textarea,
        help_text=_("Paste its text: it is checked for the acknowledgement."),
    )


class CloseForm(_Prefixed):
    id_prefix = "id_close_%s"

    note = forms.CharField(label=_("Close-out note"), max_length=4000, required=False)
