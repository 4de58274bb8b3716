from typing import Any, cast

from django import forms
from django.conf import settings
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from tapestry.core.geography import ZipPlace, zip_lookup
from tapestry.network.models import (
    DETAIL_FIELDS,
    Audience,
    MembershipApplication,
    Organization,
    OrganizationType,
    Region,
    Service,
    StateTerritory,
)
from tapestry.network.selectors import (
    DirectoryFilters,
    region_maps_with_regions,
    states_in_name_order,
)


def plain_text_error(value: str) -> str | None:
    """Why a one-line free-text value is refused, or None if it is plain text.

    Only control characters are refused (they break the CSV export and email headers, and no
    one types them on purpose). Punctuation such as < > ; = or "--" is fine: queries are
    parameterised and pages escape their output, and real names use it ("Library -- Main
    Campus", "Smith & Jones <Annex>").
    """
    # Lone surrogates (U+D800 to U+DFFF) are no characters at all: they cannot be written as
    # UTF-8, and the API's pattern refuses them too.
    if any(
        ord(character) < 32 or 127 <= ord(character) < 160 or 0xD800 <= ord(character) <= 0xDFFF
        for character in value
    ):
        return str(_("Remove the control characters from this field."))
    return None


class _StateCodeField(forms.ChoiceField):
    """A state code in either case: `ky` finds Kentucky as `KY` does."""

    def to_python(self, value: Any) -> str:
        return str(super().to_python(value)).strip().upper()


def _state_choices() -> list[tuple[str, str]]:
    """The state filter's options, named and sorted in the visitor's language."""
    language = get_language()
    return [
        ("", str(_("Any state"))),
        *(
            (state.code, state.display_name(language))
            for state in states_in_name_order(language=language)
        ),
    ]


def _region_choices() -> list[tuple[str, str]]:
    """The region filter's options: each map's regions, newest map first, in the visitor's
    language and alphabetical order."""
    language = get_language()
    choices = [("", str(_("Any region")))]
    for region_map in region_maps_with_regions(language=language):
        for region in region_map.regions.all():
            label = region.display_name(language)
            if region_map.effective_to:
                label = str(_("%(region)s (until %(date)s)")) % {
                    "region": label,
                    "date": date_format(region_map.effective_to),
                }
            choices.append((region.code, label))
    return choices


class DirectoryFilterForm(forms.Form):
    """Validates directory filters for the page, the CSV export and the API alike."""

    q = forms.CharField(label=_("Name"), required=False, max_length=100, strip=True)
    org_type = forms.ChoiceField(
        label=_("Type"), required=False, choices=[("", _("Any type")), *OrganizationType.choices]
    )
    state = _StateCodeField(label=_("State or territory"), required=False)
    region = forms.ChoiceField(label=_("Region"), required=False)
    service = forms.ChoiceField(
        label=_("Service"), required=False, choices=[("", _("Any service")), *Service.choices]
    )
    audience = forms.ChoiceField(
        label=_("Open to"), required=False, choices=[("", _("Anyone")), *Audience.choices]
    )
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
        max_value=settings.NETWORK_MAX_RADIUS_MILES,
        initial=settings.NETWORK_DEFAULT_RADIUS_MILES,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    page = forms.IntegerField(
        required=False, min_value=1, max_value=100000, widget=forms.HiddenInput
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.is_bound and not self.data.get("radius_miles"):
            # Show the radius the search used, not an empty box.
            data = dict(self.data.items())
            data["radius_miles"] = str(settings.NETWORK_DEFAULT_RADIUS_MILES)
            self.data = data
        # Callables, so the queries run only when a value is checked or the select is drawn
        # (the directory page serves the drawn form from its cache).
        cast(forms.ChoiceField, self.fields["state"]).choices = _state_choices
        cast(forms.ChoiceField, self.fields["region"]).choices = _region_choices

    def clean_q(self) -> str:
        q = self.cleaned_data["q"]
        error = plain_text_error(q)
        if error:
            raise forms.ValidationError(error, code="not_plain_text")
        return q

    def clean_near(self) -> ZipPlace | None:
        near = self.cleaned_data["near"]
        if not near:
            return None
        place = zip_lookup(near)
        if place is None:
            raise forms.ValidationError(
                _("We could not find ZIP code “%(zip)s”. Enter a five-digit U.S. ZIP code."),
                code="unknown_zip",
                params={"zip": near},
            )
        return place

    def clean_region(self) -> Region | None:
        code = self.cleaned_data["region"]
        return Region.objects.filter(code=code).first() if code else None

    def filters(self) -> DirectoryFilters:
        data = self.cleaned_data
        return DirectoryFilters(
            q=data["q"],
            org_type=data["org_type"],
            state=data["state"],
            region=data["region"],
            service=data["service"],
            audience=data["audience"],
            near=data["near"],
            radius_miles=data["radius_miles"] or settings.NETWORK_DEFAULT_RADIUS_MILES,
        )


class _TelephoneInput(forms.TextInput):
    """Phones bring up the number pad; the server still checks the format."""

    input_type = "tel"


class _StateTerritoryChoiceField(forms.ModelChoiceField):
    """States and territories named in the visitor's language."""

    def label_from_instance(self, obj: StateTerritory) -> str:  # type: ignore[override]
        return obj.display_name(get_language())


class OrganizationDetailsForm(forms.ModelForm):
    """The fields and checks an application and an annual review share."""

    state = _StateTerritoryChoiceField(
        label=_("State"),
        queryset=StateTerritory.objects.all(),
        empty_label=_("Choose a state or territory"),
    )

    # The services are the per-service checkboxes below, gathered in clean().
    detail_fields = [name for name in DETAIL_FIELDS if name != "services"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # In the visitor's alphabetical order: "Nueva York" sits with the other N's in Spanish.
        state_field = cast(forms.ModelChoiceField, self.fields["state"])
        state_field.queryset = states_in_name_order(language=get_language())
        # Django's own blank label ("- Select an option -") has no Spanish translation.
        cast(forms.ChoiceField, self.fields["org_type"]).choices = [
            ("", _("Choose a type")),
            *OrganizationType.choices,
        ]
        # A text box, not type="url": browsers refuse "example.org/library" in a URL box before
        # Django can add the https:// it assumes.
        self.fields["website"].widget = forms.TextInput(
            attrs={"inputmode": "url", "autocomplete": "url", "spellcheck": "false"}
        )
        self.fields["website"].help_text = _("For example, example.org/library")
        self.fields["phone"].widget = _TelephoneInput(attrs={"autocomplete": "tel"})
        self.fields["phone"].help_text = _("For example, (404) 555-0142 ext. 12")
        self.fields["liaison_email"].help_text = _(
            "If this is not your own address, we email it a link to confirm it. The directory "
            "shows it only once it is confirmed."
        )
        current = (self.instance.services or {}) if self.instance else {}
        for service in Service:
            self.fields[f"service_{service.value}"] = forms.MultipleChoiceField(
                label=service.label,
                required=False,
                choices=Audience.choices,
                widget=forms.CheckboxSelectMultiple,
                initial=current.get(service.value, []),
            )

    def service_fields(self) -> list[forms.BoundField]:
        return [self[f"service_{service.value}"] for service in Service]

    def detail_bound_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.detail_fields]

    def clean_phone(self) -> str:
        return " ".join(self.cleaned_data["phone"].split())

    def clean_library_id(self) -> str:
        return self.cleaned_data["library_id"].strip()

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        zip_code, state = cleaned.get("zip_code"), cleaned.get("state")
        if zip_code and state:
            place = zip_lookup(zip_code)
            if place is None:
                self.add_error("zip_code", _("We could not find that ZIP code."))
            elif place.state != state.code:
                self.add_error(
                    "zip_code",
                    _("ZIP code %(zip)s is in %(actual)s, not %(chosen)s.")
                    % {"zip": zip_code, "actual": place.state, "chosen": state.code},
                )
        cleaned["services"] = {
            service.value: sorted(cleaned.get(f"service_{service.value}") or [])
            for service in Service
            if cleaned.get(f"service_{service.value}")
        }
        for text_field in ("name", "address_line1", "address_line2", "city", "liaison_name"):
            error = plain_text_error(cleaned.get(text_field) or "")
            if error:
                self.add_error(text_field, error)
        return cleaned


class MembershipApplicationForm(OrganizationDetailsForm):
    class Meta:
        model = MembershipApplication
        fields = OrganizationDetailsForm.detail_fields


class OrganizationReviewForm(OrganizationDetailsForm):
    class Meta:
        model = Organization
        fields = OrganizationDetailsForm.detail_fields


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve")), ("reject", _("Reject"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reason (sent to the applicant; required to reject)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("decision") == "reject" and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", _("Please give the applicant a reason."))
        return cleaned


class LiaisonEmailResendForm(forms.Form):
    """Which of the person's records needs the liaison-email link again."""

    kind = forms.ChoiceField(
        choices=[("application", "application"), ("organization", "organization")]
    )
    record_id = forms.IntegerField(min_value=1)
