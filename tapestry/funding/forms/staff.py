"""Program staff's forms: finding applications, the screening checklist, assigning a reviewer
and the decision. Each checks what it can; the services check the rest (their refusals come
back as form errors)."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tapestry.funding.models import ScreeningItem
from tapestry.funding.reviews import Answer
from tapestry.funding.states import Status

YES_NO = [("yes", _("Met")), ("no", _("Not met"))]


class ApplicationSearchForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Stage"),
        required=False,
        choices=[("", pgettext_lazy("stage", "All stages")), *Status.choices],
    )
    q = forms.CharField(
        label=_("Tracking number or organization"),
        required=False,
        max_length=100,
        help_text=_("Part of a tracking number (F2027-000123) or of an organization's name."),
    )


class ScreeningForm(forms.Form):
    """One yes/no answer and an optional note per checklist item, then the outcome: screened
    (on to review) or declined, which needs a reason."""

    outcome = forms.ChoiceField(
        label=_("Outcome"),
        widget=forms.RadioSelect,
        choices=[
            (Status.SCREENED, _("Screened: on to review")),
            (Status.DECLINED, _("Declined at screening")),
        ],
    )
    reason = forms.CharField(
        label=_("Reason (required to decline; the applicant reads it)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea,
    )

    def __init__(self, *args: Any, items: list[ScreeningItem], language: str, **kwargs: Any):
        kwargs.setdefault("auto_id", "id_screening_%s")
        super().__init__(*args, **kwargs)
        self.items = items
        fields: dict[str, forms.Field] = {}
        for item in items:
            text = item.text_es if language == "es" and item.text_es else item.text
            fields[f"met_{item.pk}"] = forms.ChoiceField(
                label=text, choices=YES_NO, widget=forms.RadioSelect
            )
            fields[f"note_{item.pk}"] = forms.CharField(
                label=_("Note (optional)"), required=False, max_length=300
            )
        # The checklist first, then the outcome.
        self.fields = {**fields, "outcome": self.fields["outcome"], "reason": self.fields["reason"]}

    def item_fields(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"met_{item.pk}"], self[f"note_{item.pk}"]) for item in self.items]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("outcome") == Status.DECLINED and not cleaned.get("reason", "").strip():
            self.add_error("reason", _("Say why the application is declined."))
        return cleaned

    def answers(self) -> dict[int, Answer]:
        return {
            item.pk: Answer(
                met=self.cleaned_data[f"met_{item.pk}"] == "yes",
                note=self.cleaned_data[f"note_{item.pk}"],
            )
            for item in self.items
        }


class AssignForm(forms.Form):
    reviewer = forms.TypedChoiceField(label=_("Reviewer"), coerce=int)

    def __init__(self, *args: Any, reviewers: list[tuple[int, str]], **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_assign_%s")
        super().__init__(*args, **kwargs)
        self.fields["reviewer"].choices = [  # type: ignore[attr-defined]
            ("", _("Choose a reviewer")),
            *reviewers,
        ]


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        widget=forms.RadioSelect,
        choices=[
            (Status.AWARDED, pgettext_lazy("decision", "Award")),
            (Status.DECLINED, pgettext_lazy("decision", "Decline")),
        ],
    )
    reason = forms.CharField(
        label=_("Reason (the applicant reads it)"), max_length=2000, widget=forms.Textarea
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_decision_%s")
        super().__init__(*args, **kwargs)

    def clean_reason(self) -> str:
        reason: str = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("Give the reason for the decision."))
        return reason
