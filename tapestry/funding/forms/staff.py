"""Program staff's forms: writing a call, finding applications, the screening checklist, assigning a reviewer
and the decision. Each checks what it can; the services check the rest (their refusals come
back as form errors)."""

from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tapestry.funding.models import ScreeningItem
from tapestry.funding.reviews import Answer
from tapestry.funding.services import CallText
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


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


class CallForm(forms.Form):
    """A call as program staff write it before publishing: the texts in both languages, who
    may apply, the money and dates, and the checklist and rubric one line each, in English
    and in Spanish in the same order."""

    title = forms.CharField(label=_("Title"), max_length=200)
    title_es = forms.CharField(label=_("Title in Spanish"), max_length=200)
    description = forms.CharField(label=_("Description"), max_length=10000, widget=forms.Textarea)
    description_es = forms.CharField(
        label=_("Description in Spanish"), max_length=10000, widget=forms.Textarea
    )
    eligible_types = forms.MultipleChoiceField(
        label=_("Organization types that may apply (none ticked: every type)"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    eligible_states = forms.CharField(
        label=_("States that may apply"),
        required=False,
        max_length=400,
        help_text=_(
            "Two-letter codes separated by commas, such as IL, IN, WI. Empty: every state."
        ),
    )
    eligibility_notes = forms.CharField(
        label=_("Other eligibility"), required=False, max_length=4000, widget=forms.Textarea
    )
    eligibility_notes_es = forms.CharField(
        label=_("Other eligibility in Spanish"),
        required=False,
        max_length=4000,
        widget=forms.Textarea,
    )
    performance_start = forms.DateField(
        label=_("Period of performance starts"), widget=forms.DateInput(attrs={"type": "date"})
    )
    performance_end = forms.DateField(
        label=_("Period of performance ends"), widget=forms.DateInput(attrs={"type": "date"})
    )
    awards_available = forms.IntegerField(label=_("Number of awards"), min_value=1, max_value=1000)
    maximum_amount = forms.DecimalField(
        label=_("Maximum amount per award, in dollars"),
        min_value=Decimal("0.01"),
        max_digits=12,
        decimal_places=2,
        localize=False,
    )
    deadline = forms.DateTimeField(
        label=_("Deadline"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M"],
    )
    screening = forms.CharField(
        label=_("Screening checklist, one item a line"), max_length=10000, widget=forms.Textarea
    )
    screening_es = forms.CharField(
        label=_("Screening checklist in Spanish, in the same order"),
        max_length=10000,
        widget=forms.Textarea,
    )
    rubric = forms.CharField(
        label=_("Review rubric, one criterion a line, ending in | and its points"),
        help_text=_("For example, a criterion worth 30 points: Reach | 30"),
        max_length=10000,
        widget=forms.Textarea,
    )
    rubric_es = forms.CharField(
        label=_("Review rubric in Spanish, in the same order (points are read from English)"),
        max_length=10000,
        widget=forms.Textarea,
    )

    def __init__(self, *args: Any, states: list[str], types: list[tuple[str, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.states = set(states)
        self.fields["deadline"].help_text = _("In the site's time zone (%(zone)s).") % {
            "zone": timezone.localtime().strftime("%Z")
        }
        self.fields["eligible_types"].choices = types  # type: ignore[attr-defined]

    def clean_eligible_states(self) -> list[str]:
        codes = [
            code.strip().upper()
            for code in self.cleaned_data["eligible_states"].split(",")
            if code.strip()
        ]
        unknown = [code for code in codes if code not in self.states]
        if unknown:
            raise forms.ValidationError(
                _("Not a state code: %(codes)s.") % {"codes": ", ".join(unknown)}
            )
        return sorted(set(codes))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if "screening" in cleaned and "screening_es" in cleaned:
            english, spanish = _lines(cleaned["screening"]), _lines(cleaned["screening_es"])
            if len(english) != len(spanish):
                self.add_error(
                    "screening_es",
                    _("Give as many Spanish items as English ones (%(count)s).")
                    % {"count": len(english)},
                )
            else:
                cleaned["screening_lines"] = [
                    CallText(text=text[:300], text_es=text_es[:300])
                    for text, text_es in zip(english, spanish, strict=True)
                ]
        if "rubric" in cleaned and "rubric_es" in cleaned:
            english, spanish = _lines(cleaned["rubric"]), _lines(cleaned["rubric_es"])
            criteria = []
            for line in english:
                text, bar, points = line.rpartition("|")
                if not bar or not points.strip().isdigit() or not text.strip():
                    self.add_error(
                        "rubric",
                        _("End each criterion with | and its points: %(line)s") % {"line": line},
                    )
                    break
                criteria.append((text.strip()[:300], int(points)))
            if len(english) != len(spanish):
                self.add_error(
                    "rubric_es",
                    _("Give as many Spanish criteria as English ones (%(count)s).")
                    % {"count": len(english)},
                )
            elif len(criteria) == len(english):
                cleaned["rubric_lines"] = [
                    CallText(
                        text=text,
                        text_es=text_es.rpartition("|")[0].strip()[:300] or text_es[:300],
                        points=points,
                    )
                    for (text, points), text_es in zip(criteria, spanish, strict=True)
                ]
        return cleaned

    def details(self) -> dict[str, Any]:
        """The call's own fields, as the service takes them."""
        return {
            field: self.cleaned_data[field]
            for field in (
                "title",
                "title_es",
                "description",
                "description_es",
                "eligible_types",
                "eligible_states",
                "eligibility_notes",
                "eligibility_notes_es",
                "performance_start",
                "performance_end",
                "awards_available",
                "maximum_amount",
                "deadline",
            )
        }

    @staticmethod
    def initial_from(call: Any) -> dict[str, Any]:
        items = list(call.screening_items.all())
        criteria = list(call.rubric_criteria.all())
        return {
            **{
                field: getattr(call, field)
                for field in (
                    "title",
                    "title_es",
                    "description",
                    "description_es",
                    "eligible_types",
                    "eligibility_notes",
                    "eligibility_notes_es",
                    "performance_start",
                    "performance_end",
                    "awards_available",
                    "maximum_amount",
                )
            },
            "eligible_states": ", ".join(call.eligible_states),
            "deadline": timezone.localtime(call.deadline).strftime("%Y-%m-%dT%H:%M"),
            "screening": "\n".join(item.text for item in items),
            "screening_es": "\n".join(item.text_es for item in items),
            "rubric": "\n".join(f"{c.text} | {c.points}" for c in criteria),
            "rubric_es": "\n".join(c.text_es for c in criteria),
        }
