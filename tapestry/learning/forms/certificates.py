"""The verification form (a certificate's code) and the staff form to revoke a certificate."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from tapestry.learning.services import CODE_ALPHABET, code_normalized

# Four groups of four characters of the code alphabet, as `code_normalized` writes them.
CODE_PATTERN = re.compile(rf"^[{CODE_ALPHABET}]{{4}}(?:-[{CODE_ALPHABET}]{{4}}){{3}}$")
# Longer than any code typed with spaces or hyphens: anything longer is not a code.
CODE_TYPED_MAX = 40


def code_well_formed(typed: str) -> str | None:
    """The code as stored if `typed` can be one (16 characters of the alphabet, in any case,
    with or without spaces and hyphens), else None."""
    if len(typed) > CODE_TYPED_MAX or re.search(r"[^0-9A-Za-z \t-]", typed):
        return None
    code = code_normalized(typed)
    return code if CODE_PATTERN.match(code) else None


class VerifyForm(forms.Form):
    code = forms.CharField(
        label=_("Verification code"),
        max_length=CODE_TYPED_MAX,
        help_text=_(
            "It is printed on the certificate: 16 letters and digits in groups of four, for "
            "example 7KQM-R2XD-9HTV-C4NP."
        ),
    )

    def clean_code(self) -> str:
        code = code_well_formed(self.cleaned_data["code"].strip())
        if code is None:
            raise forms.ValidationError(
                _(
                    "A verification code has 16 letters and digits in groups of four (no 0, 1, "
                    "I, L or O). Check the code on the certificate and type it again."
                ),
                code="malformed",
            )
        return code


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for revoking"),
        max_length=1000,
        widget=forms.Textarea,
        help_text=_(
            "Kept in the audit trail. The learner's completion stops counting; the "
            "verification page will say the certificate was revoked, without the reason."
        ),
    )
