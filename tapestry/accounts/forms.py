from django import forms
from django.utils.translation import gettext_lazy as _

from tapestry.accounts.models import User


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["full_name", "preferred_language"]


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Token name"),
        max_length=100,
        help_text=_("Something that tells you where the token is used, like “reporting script”."),
    )
