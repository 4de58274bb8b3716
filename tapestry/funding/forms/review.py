"""Reviewers' forms: the score sheet (one score per rubric criterion, comments) and a
declared conflict of interest."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tapestry.funding.models import RubricCriterion


class ScoreForm(forms.Form):
    """A score from 0 to the criterion's points for each criterion (may be left empty in a
    draft), and comments. `final` says whether the reviewer pressed "Submit"."""

    comments = forms.CharField(
        label=_("Comments for program staff"),
        required=False,
        max_length=4000,
        widget=forms.Textarea,
    )

    def __init__(
        self,
        *args: Any,
        criteria: list[RubricCriterion],
        language: str,
        final: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.criteria = criteria
        self.final = final
        fields: dict[str, forms.Field] = {}
        for criterion in criteria:
            text = criterion.text_es if language == "es" and criterion.text_es else criterion.text
            fields[f"score_{criterion.pk}"] = forms.IntegerField(
                label=text,
                required=False,
                min_value=0,
                max_value=criterion.points,
                help_text=_("From 0 to %(points)s points.") % {"points": criterion.points},
                widget=forms.NumberInput(attrs={"min": 0, "max": criterion.points, "step": 1}),
            )
        self.fields = {**fields, "comments": self.fields["comments"]}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.final:
            # A submitted review scores every criterion (the service refuses it too); say
            # which are missing beside them.
            for criterion in self.criteria:
                name = f"score_{criterion.pk}"
                if name not in self.errors and cleaned.get(name) is None:
                    self.add_error(name, _("Score this criterion before submitting."))
        return cleaned

    def criterion_fields(self) -> list[forms.BoundField]:
        return [self[f"score_{criterion.pk}"] for criterion in self.criteria]

    def scores(self) -> dict[int, int | None]:
        return {
            criterion.pk: self.cleaned_data.get(f"score_{criterion.pk}")
            for criterion in self.criteria
        }


class ConflictForm(forms.Form):
    reason = forms.CharField(
        label=_("What is the conflict?"),
        max_length=300,
        help_text=_("Your employer, a board seat, a relative: program staff read it."),
    )
