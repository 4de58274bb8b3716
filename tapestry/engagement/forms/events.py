"""Forms of the events part: the public finder and registration, and the organizers' event
form. They validate and turn input into typed values; the services decide."""

import csv
import datetime
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from tapestry.core.geography import ZipPlace, zip_lookup
from tapestry.engagement.models import (
    Event,
    EventFormat,
    EventLanguage,
    FocusArea,
    RegistrantRole,
)
from tapestry.engagement.selectors import EventFilters

TIME_ZONES_FILE = Path(__file__).resolve().parent.parent / "data" / "event_time_zones.csv"


@dataclass(frozen=True)
class TimeZoneChoice:
    zone: str
    label_en: str
    label_es: str

    def label(self, language: str | None) -> str:
        return self.label_es if (language or "").startswith("es") else self.label_en


@functools.cache
def event_time_zones() -> tuple[TimeZoneChoice, ...]:
    """The time zones an event may be held in (data/event_time_zones.csv)."""
    with TIME_ZONES_FILE.open(encoding="utf-8", newline="") as rows:
        return tuple(TimeZoneChoice(**row) for row in csv.DictReader(rows))


def _time_zone_choices() -> list[tuple[str, str]]:
    language = get_language()
    return [(choice.zone, choice.label(language)) for choice in event_time_zones()]


def _control_characters_refused(value: str) -> str:
    if any((ord(c) < 32 and c not in "\r\n\t") or 127 <= ord(c) < 160 for c in value):
        raise forms.ValidationError(_("Remove the control characters from this field."))
    return value


def _zip_place(value: str) -> ZipPlace:
    place = zip_lookup(value)
    if place is None:
        raise forms.ValidationError(
            _("We could not find ZIP code “%(zip)s”. Enter a five-digit U.S. ZIP code."),
            code="unknown_zip",
            params={"zip": value},
        )
    return place


class EventFinderForm(forms.Form):
    """The public finder's filters, for the page and the API alike."""

    near = forms.CharField(
        label=_("Near ZIP code"),
        required=False,
        max_length=10,
        strip=True,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "postal-code"}),
    )
    radius_miles = forms.IntegerField(
        label=_("Within (miles)"),
        required=False,
        min_value=1,
        max_value=settings.ENGAGEMENT_EVENTS_MAX_RADIUS_MILES,
        help_text=_("Up to %(miles)s miles.")
        % {"miles": settings.ENGAGEMENT_EVENTS_MAX_RADIUS_MILES},
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    focus_area = forms.ChoiceField(
        label=_("Focus area"), required=False, choices=[("", _("Any focus")), *FocusArea.choices]
    )
    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        choices=[("", _("Any language")), *EventLanguage.choices],
    )
    format = forms.ChoiceField(
        label=_("Format"), required=False, choices=[("", _("Any format")), *EventFormat.choices]
    )
    page = forms.IntegerField(
        required=False, min_value=1, max_value=100000, widget=forms.HiddenInput
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Read in the request's language (a lazy string formatted at import would be English).
        self.fields["radius_miles"].help_text = _("Up to %(miles)s miles.") % {
            "miles": settings.ENGAGEMENT_EVENTS_MAX_RADIUS_MILES
        }
        if self.is_bound and not self.data.get("radius_miles"):
            # Show the radius the search used, not an empty box.
            data = dict(self.data.items())
            data["radius_miles"] = str(settings.ENGAGEMENT_EVENTS_DEFAULT_RADIUS_MILES)
            self.data = data

    def clean_near(self) -> ZipPlace | None:
        near = self.cleaned_data["near"]
        return _zip_place(near) if near else None

    def filters(self) -> EventFilters:
        data = self.cleaned_data
        return EventFilters(
            near=data["near"],
            radius_miles=data["radius_miles"] or settings.ENGAGEMENT_EVENTS_DEFAULT_RADIUS_MILES,
            date_from=data["date_from"],
            date_to=data["date_to"],
            focus_area=data["focus_area"],
            language=data["language"],
            format=data["format"],
        )


class RegistrationForm(forms.Form):
    """Registration without an account. `website` is a honeypot: hidden from everyone (the
    `hidden` attribute keeps it out of sight and out of the accessibility tree) and left empty
    by people; scripts that fill every field give themselves away."""

    name = forms.CharField(label=_("Your name"), max_length=200, strip=True)
    email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        help_text=_("We send a link to this address: your seat is held once you use it."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    zip_code = forms.CharField(
        label=_("ZIP code (optional)"),
        required=False,
        max_length=10,
        strip=True,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "postal-code"}),
    )
    role = forms.ChoiceField(
        label=_("You come as (optional)"),
        required=False,
        choices=[("", _("Rather not say")), *RegistrantRole.choices],
    )
    website = forms.CharField(required=False, max_length=200)

    def clean_name(self) -> str:
        return _control_characters_refused(self.cleaned_data["name"])

    def clean_zip_code(self) -> str:
        value = self.cleaned_data["zip_code"]
        return _zip_place(value).zip_code if value else ""

    @property
    def is_bot(self) -> bool:
        return bool(self.data.get("website"))


DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


def _local(value: datetime.datetime, zone: str) -> datetime.datetime:
    """The wall time typed (a datetime-local field, read in the server's zone) in `zone`."""
    naive = timezone.make_naive(value) if timezone.is_aware(value) else value
    return naive.replace(tzinfo=ZoneInfo(zone))


class EventForm(forms.Form):
    """An event's details, as its organizer types them. Times are the event's local times."""

    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), max_length=5000, widget=forms.Textarea)
    focus_area = forms.ChoiceField(label=_("Focus area"), choices=FocusArea.choices)
    audience = forms.CharField(
        label=_("Audience"),
        max_length=200,
        required=False,
        help_text=_("Who it is for, such as “adults”, “teens” or “library staff”."),
    )
    language = forms.ChoiceField(label=_("Language"), choices=EventLanguage.choices)
    format = forms.ChoiceField(label=_("Format"), choices=EventFormat.choices)
    organization_id = forms.TypedChoiceField(
        label=_("Host organization"), coerce=int, required=False, empty_value=None
    )
    venue_name = forms.CharField(
        label=_("Place name"),
        max_length=200,
        required=False,
        help_text=_("Such as “Community room”. Leave the address empty to hold it at the host."),
    )
    address_line1 = forms.CharField(label=_("Street address"), max_length=200, required=False)
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    zip_code = forms.CharField(
        label=_("ZIP code"),
        max_length=10,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    virtual_link = forms.URLField(
        label=_("Online link"),
        max_length=500,
        required=False,
        assume_scheme="https",
        help_text=_("For a virtual or hybrid event: shown on the event page and in emails."),
    )
    capacity = forms.IntegerField(label=_("Seats"), min_value=1, max_value=100_000)
    starts_at = forms.DateTimeField(
        label=_("Starts"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    ends_at = forms.DateTimeField(
        label=_("Ends"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    time_zone = forms.ChoiceField(label=_("Time zone"))
    accessibility_notes = forms.CharField(
        label=_("Accessibility"),
        max_length=2000,
        required=False,
        widget=forms.Textarea,
        help_text=_(
            "Step-free entrance, interpreters, captions, parking: what people should know."
        ),
    )

    def __init__(self, *args: Any, organizations: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["organization_id"]).choices = [
            ("", _("None (a place in my region)")),
            *organizations,
        ]  # type: ignore[attr-defined]
        cast(forms.ChoiceField, self.fields["time_zone"]).choices = _time_zone_choices()

    def clean_title(self) -> str:
        return _control_characters_refused(self.cleaned_data["title"])

    def clean_zip_code(self) -> str:
        value = self.cleaned_data["zip_code"]
        return _zip_place(value).zip_code if value else ""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        zone = data.get("time_zone")
        if zone and data.get("starts_at") and data.get("ends_at"):
            data["starts_at"] = _local(data["starts_at"], zone)
            data["ends_at"] = _local(data["ends_at"], zone)
            if data["ends_at"] <= data["starts_at"]:
                self.add_error("ends_at", _("The event must end after it starts."))
        event_format = data.get("format")
        if event_format and event_format != EventFormat.IN_PERSON and not data.get("virtual_link"):
            self.add_error("virtual_link", _("An online event needs its link."))
        if event_format and event_format != EventFormat.VIRTUAL:
            if data.get("address_line1") and not data.get("zip_code"):
                self.add_error("zip_code", _("Enter the ZIP code of the address."))
            if not data.get("organization_id") and not data.get("zip_code"):
                self.add_error(
                    "zip_code", _("Enter the ZIP code of the place, or hold the event at the host.")
                )
        return data

    @classmethod
    def initial_of(cls, event: Event) -> dict[str, Any]:
        zone = ZoneInfo(event.time_zone)
        return {
            **{
                field: getattr(event, field)
                for field in (
                    "title",
                    "description",
                    "focus_area",
                    "audience",
                    "language",
                    "format",
                    "organization_id",
                    "venue_name",
                    "address_line1",
                    "city",
                    "zip_code",
                    "virtual_link",
                    "capacity",
                    "time_zone",
                    "accessibility_notes",
                )
            },
            # As the datetime-local input writes them (the shared field template prints the
            # value as it is, not through the widget's format).
            "starts_at": event.starts_at.astimezone(zone).strftime(DATETIME_LOCAL),
            "ends_at": event.ends_at.astimezone(zone).strftime(DATETIME_LOCAL),
        }


class EventCancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is it cancelled? (sent to the people registered)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea,
    )


class RegistrantSearchForm(forms.Form):
    q = forms.CharField(label=_("Find by name or email"), max_length=100, required=False)

    def clean_q(self) -> str:
        return _control_characters_refused(self.cleaned_data["q"])
