"""The program kits forms."""

# --- Program kits ---

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tapestry.engagement.models import KitItem, KitLanguage, KitTopic


class KitCatalogForm(forms.Form):
    q = forms.CharField(label=_("Words to look for"), max_length=100, required=False)
    topic = forms.ChoiceField(
        label=_("Topic"), choices=[("", _("Any topic")), *KitTopic.choices], required=False
    )
    language = forms.ChoiceField(
        label=_("Language of the materials"),
        choices=[("", _("Any language")), *KitLanguage.choices],
        required=False,
    )


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class KitReserveForm(forms.Form):
    organization = forms.TypedChoiceField(label=_("For the organization"), coerce=int)
    ship_date = forms.DateField(
        label=_("Ship date"),
        help_text=_(
            "The day we mail the kit to you. Format: year-month-day, for example 2027-03-15."
        ),
        widget=DateInput(),
        input_formats=["%Y-%m-%d"],
        error_messages={"invalid": _("Enter a date as year-month-day, for example 2027-03-15.")},
    )
    program_note = forms.CharField(
        label=_("What you plan to do with the kit (optional)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea,
    )

    def __init__(self, *args: Any, organizations: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].choices = organizations  # type: ignore[attr-defined]
        if len(organizations) == 1:
            self.fields["organization"].initial = organizations[0][0]


class KitDecideForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve")), ("decline", _("Decline"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reason (needed to decline; the library reads it)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea,
    )


class KitShipForm(forms.Form):
    items = forms.TypedMultipleChoiceField(
        label=_("Contents checklist: tick each item as it goes in the box"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, items: list[KitItem], language: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["items"].choices = [  # type: ignore[attr-defined]
            (item.pk, f"{item.quantity} × {item.display_name(language)}") for item in items
        ]


class KitReturnForm(forms.Form):
    notes = forms.CharField(
        label=_("Notes on the return (optional)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea,
    )

    def __init__(self, *args: Any, items: list[KitItem], language: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.items = items
        for item in items:
            name = item.display_name(language)
            for kind, label in (("missing", _("missing")), ("damaged", _("damaged"))):
                self.fields[f"{kind}_{item.pk}"] = forms.IntegerField(
                    label=f"{name}: {label}",
                    min_value=0,
                    max_value=item.quantity,
                    initial=0,
                    required=False,
                    error_messages={"invalid": _("Enter a whole number.")},
                )
        self.fields["notes"] = self.fields.pop("notes")

    def item_fields(self) -> list[tuple[KitItem, Any, Any]]:
        return [
            (item, self[f"missing_{item.pk}"], self[f"damaged_{item.pk}"]) for item in self.items
        ]

    def counts(self) -> dict[int, tuple[int, int]]:
        return {
            item.pk: (
                self.cleaned_data.get(f"missing_{item.pk}") or 0,
                self.cleaned_data.get(f"damaged_{item.pk}") or 0,
            )
            for item in self.items
        }
