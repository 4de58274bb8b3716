"""Applicant forms: the draft's title and summary, a section's text, the budget lines, an
attachment, a colleague, a withdrawal."""

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _


class DescribeForm(forms.Form):
    project_title = forms.CharField(label=_("Project title"), max_length=200)
    summary = forms.CharField(
        label=_("Project summary"),
        max_length=4000,
        widget=forms.Textarea,
        help_text=_("Two or three sentences: what the project does and for whom."),
    )


class SectionForm(forms.Form):
    """One section's text, with the version the editor's page loaded (`base_version`). The
    "Overwrite with mine" button sends the current version as `overwrite_version`."""

    text = forms.CharField(required=False, strip=False, max_length=50_000)
    base_version = forms.IntegerField(min_value=0)
    overwrite_version = forms.IntegerField(min_value=0, required=False)

    def version(self) -> int:
        overwrite = self.cleaned_data.get("overwrite_version")
        return int(overwrite if overwrite is not None else self.cleaned_data["base_version"])


class BudgetLineForm(forms.Form):
    description = forms.CharField(label=_("Budget item"), max_length=200, required=False)
    # A DecimalField gives Decimal, never a float.
    amount = forms.DecimalField(
        label=_("Amount in dollars"),
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        required=False,
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        description = (cleaned.get("description") or "").strip()
        amount = cleaned.get("amount")
        if description and amount is None and "amount" not in self.errors:
            self.add_error("amount", _("Give the amount for this item."))
        if amount is not None and not description:
            self.add_error("description", _("Say what this amount pays for."))
        return cleaned


BudgetFormSet = forms.formset_factory(
    BudgetLineForm, extra=2, can_delete=True, max_num=50, absolute_max=50, validate_max=True
)


def budget_lines(formset: Any) -> list[tuple[str, Decimal]]:
    """The filled, not removed rows of a valid budget formset as (description, amount)."""
    return [
        (form.cleaned_data["description"].strip(), form.cleaned_data["amount"])
        for form in formset.forms
        if form.cleaned_data
        and not form.cleaned_data.get("DELETE")
        and form.cleaned_data.get("amount") is not None
    ]


class AttachmentForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_("PDF, Word, Excel, PNG or JPEG; at most 10 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.docx,.xlsx,.png,.jpg,.jpeg"}),
    )


class MemberForm(forms.Form):
    email = forms.EmailField(
        label=_("Colleague's email address"),
        help_text=_("They need a Tapestry account with this address."),
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Why are you withdrawing it?"),
        max_length=2000,
        required=False,
        widget=forms.Textarea,
    )
