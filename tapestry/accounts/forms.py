from typing import Any

from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms
from django.conf import settings
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from tapestry.accounts.models import ApiTokenScope, User
from tapestry.accounts.services import user_update_profile


class ProfileForm(forms.ModelForm[User]):
    class Meta:
        model = User
        fields = ["full_name", "preferred_language"]
        labels = {"full_name": _("Your name")}
        help_texts = {
            "full_name": _(
                "As you would like it on greetings and emails, for example “Dr. Aisha Bello”."
            )
        }


class SignupForm(AllauthSignupForm):
    """allauth's sign-up with the person's name first: greetings and emails use it whole."""

    full_name = forms.CharField(
        label=_("Your name"),
        max_length=150,
        help_text=_("As you would like it on greetings and emails, for example “Dr. Aisha Bello”."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    field_order = ["full_name", "email", "password1", "password2"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.order_fields(self.field_order)

    def clean_full_name(self) -> str:
        name = " ".join(str(self.cleaned_data["full_name"]).split())
        if not name:
            raise forms.ValidationError(_("Please tell us your name."))
        return name

    def custom_signup(self, request: HttpRequest, user: User) -> None:  # type: ignore[override]
        # Someone signing up on the Spanish pages gets their emails in Spanish from the start.
        language = translation.get_language()
        user_update_profile(
            user=user,
            full_name=self.cleaned_data["full_name"],
            preferred_language=language
            if language in dict(settings.LANGUAGES)
            else user.preferred_language,
        )


def _expiry_choices() -> list[tuple[int, str]]:
    # Called when a form is built, so the labels are in that request's language.
    return [
        (days, ngettext("%(days)s day", "%(days)s days", days) % {"days": days})
        for days in settings.API_TOKEN_EXPIRY_DAYS
    ]


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Token name"),
        max_length=100,
        help_text=_("Something that tells you where the token is used, like “reporting script”."),
    )
    scopes = forms.MultipleChoiceField(
        label=_("What the token may do"),
        choices=ApiTokenScope.choices,
        initial=[ApiTokenScope.READ],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one thing the token may do.")},
    )
    expires_in_days = forms.TypedChoiceField(
        label=_("Expires after"),
        coerce=int,
        choices=_expiry_choices,
        initial=settings.API_TOKEN_EXPIRY_DAYS[1],
        widget=forms.RadioSelect,
    )
