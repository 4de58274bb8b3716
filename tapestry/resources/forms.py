"""The staff forms for writing, reviewing and publishing resources. Each checks what a person
can fix at the field (a missing title, a body too long); the services check the rest, and their
refusals come back to the page as messages, with everything typed still in the form."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tapestry.resources import clear_communication
from tapestry.resources.models import (
    MAX_BODY_CHARACTERS,
    MAX_SUMMARY_CHARACTERS,
    MAX_TITLE_CHARACTERS,
    Audience,
    FocusArea,
    Kind,
    Language,
)

TOO_LONG = _("The text is too long: keep it under %(count)s characters, or split it in two.")
NOTE_CHARACTERS = 4000


def _focus_area_choices(language: str) -> list[tuple[str, str]]:
    return [(area.slug, area.name(language)) for area in FocusArea.objects.all()]


def _audience_choices(language: str) -> list[tuple[str, str]]:
    return [(group.slug, group.name(language)) for group in Audience.objects.all()]


class ResourceAboutForm(forms.Form):
    """What a resource is and who it is for (not its words)."""

    kind = forms.ChoiceField(label=_("Kind of resource"), choices=Kind.choices)
    focus_areas = forms.MultipleChoiceField(
        label=_("Focus areas"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one focus area.")},
    )
    audiences = forms.MultipleChoiceField(
        label=_("Audiences"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one audience.")},
    )
    critical = forms.BooleanField(
        label=_(
            "It gives critical instructions (how to take a medicine, what to do in an "
            "emergency): aim at grade 6"
        ),
        required=False,
    )

    def __init__(self, *args: Any, language: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["focus_areas"].choices = _focus_area_choices(language)  # type: ignore[attr-defined]
        self.fields["audiences"].choices = _audience_choices(language)  # type: ignore[attr-defined]


class TextForm(forms.Form):
    """The words of a text in one language. No `maxlength` on the text areas: a browser would
    cut a long paste short without saying so; the length is checked here, with a message."""

    title = forms.CharField(label=_("Title"), max_length=MAX_TITLE_CHARACTERS)
    summary = forms.CharField(
        label=_("Summary"),
        required=False,
        max_length=MAX_SUMMARY_CHARACTERS,
        widget=forms.Textarea,
        help_text=_("One or two short sentences: what the reader will learn."),
    )
    body = forms.CharField(label=_("Text"), required=False, strip=False, widget=forms.Textarea)
    transcript = forms.CharField(
        label=_("Transcript (videos)"),
        required=False,
        widget=forms.Textarea,
        help_text=_("Every word said in the video, for people who cannot hear or play it."),
    )
    url = forms.URLField(
        label=_("Address (links and videos)"),
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text=_("The page or video's full address, starting with https://"),
    )

    def __init__(self, *args: Any, kind: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.resource_kind = kind

    def _within_limit(self, name: str) -> str:
        value: str = self.cleaned_data.get(name, "")
        if len(value) > MAX_BODY_CHARACTERS:
            raise forms.ValidationError(TOO_LONG, params={"count": f"{MAX_BODY_CHARACTERS:,}"})
        return value

    def clean_body(self) -> str:
        return self._within_limit("body")

    def clean_transcript(self) -> str:
        return self._within_limit("transcript")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        kind = self.resource_kind or cleaned.get("kind")
        needs_words = kind in (Kind.ARTICLE, Kind.HANDOUT)
        if needs_words and "body" in cleaned and not cleaned["body"].strip():
            self.add_error("body", _("Write the text: an article or a handout needs words."))
        return cleaned


class ResourceNewForm(ResourceAboutForm, TextForm):
    """A new resource and its first text."""

    language = forms.ChoiceField(
        label=_("Language of the text"),
        choices=Language.choices,
        widget=forms.RadioSelect,
    )

    field_order = [
        "kind",
        "focus_areas",
        "audiences",
        "critical",
        "language",
        "title",
        "summary",
        "body",
        "transcript",
        "url",
    ]


class ReturnForm(forms.Form):
    note = forms.CharField(
        label=_("What the author should change"),
        max_length=NOTE_CHARACTERS,
        widget=forms.Textarea,
        error_messages={"required": _("Say what the author should change.")},
    )


class PublishForm(forms.Form):
    above_target_reason = forms.CharField(
        label=_("Why publish it above the target"),
        required=False,
        max_length=NOTE_CHARACTERS,
        widget=forms.Textarea,
        help_text=_(
            "For example: the medical words cannot be replaced and each is explained in the text."
        ),
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Why take it down"),
        max_length=NOTE_CHARACTERS,
        widget=forms.Textarea,
        error_messages={"required": _("Say why the resource is withdrawn.")},
    )


ANSWER_CHOICES = [
    ("yes", pgettext_lazy("score sheet answer", "Yes")),
    ("no", pgettext_lazy("score sheet answer", "No")),
    ("na", pgettext_lazy("score sheet answer", "Not applicable")),
]


# The Index's parts, in the words of its users' guide.
PART_NAMES = {
    "main_message": _("Main message"),
    "call_to_action": _("Call to action"),
    "language": _("Language"),
    "information_design": _("Information design"),
    "state_of_the_science": _("State of the science"),
    "behavioral_recommendations": _("Behavioral recommendations"),
    "numbers": _("Numbers"),
    "risk": _("Risk"),
}


class ScoreSheetForm(forms.Form):
    """The CDC Clear Communication Index: one yes / no / not applicable per item, grouped by
    part. The scoring rules (which items may be not applicable) are the service's."""

    def __init__(self, *args: Any, language: str, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_sheet_%s")
        super().__init__(*args, **kwargs)
        for item in clear_communication.items():
            choices = ANSWER_CHOICES if item.applies != "always" else ANSWER_CHOICES[:2]
            self.fields[f"item_{item.number}"] = forms.ChoiceField(
                label=f"{item.number}. {item.question(language)}",
                choices=choices,
                widget=forms.RadioSelect,
                error_messages={"required": _("Answer this item.")},
            )

    def parts(self) -> list[tuple[str, list[forms.BoundField]]]:
        """(the part's name, its fields), in the Index's order."""
        grouped: dict[str, list[forms.BoundField]] = {}
        for item in clear_communication.items():
            grouped.setdefault(item.part, []).append(self[f"item_{item.number}"])
        return [(str(PART_NAMES.get(part, part)), fields) for part, fields in grouped.items()]

    def answers(self) -> dict[str, str]:
        return {
            str(item.number): self.cleaned_data[f"item_{item.number}"]
            for item in clear_communication.items()
        }


class StaffSearchForm(forms.Form):
    q = forms.CharField(label=_("Title contains"), required=False, max_length=200)
    needs_review = forms.BooleanField(label=_("Only texts I may review"), required=False)
