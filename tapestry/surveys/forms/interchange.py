"""The REDCap interchange forms: a data dictionary to import, and the records export's filter."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from tapestry.surveys import redcap
from tapestry.surveys.models import Instrument, Language


class DictionaryImportForm(forms.Form):
    """A REDCap data dictionary file; the file's content decides whether it is one, not its name."""

    dictionary = forms.FileField(
        label=_("REDCap data dictionary (CSV)"),
    )
    form_name = forms.CharField(
        label=_("REDCap form to import"),
        required=False,
        max_length=100,
        help_text=_("Leave blank to import the first form in the file."),
    )
    slug = forms.SlugField(
        label=_("Link name"),
        required=False,
        max_length=60,
        help_text=_("Leave blank to take it from the form name, for example needs-assessment."),
    )
    language = forms.ChoiceField(
        label=_("Language of the file"),
        choices=Language.choices,
        initial=Language.ENGLISH,
        widget=forms.RadioSelect,
    )
    mode = forms.ChoiceField(
        label=_("Mode"),
        choices=Instrument.Mode.choices,
        initial=Instrument.Mode.ANONYMOUS,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # REDCap's menus keep their English names: marked as English for screen readers.
        self.fields["dictionary"].help_text = format_html(
            str(_("In REDCap: {menus}.")),
            menus=format_html(
                '<span lang="en">{}</span>',
                "Project setup › Data dictionary › Download the current data dictionary",
            ),
        )
        self.result: redcap.ImportResult | None = None
        self.too_large = False

    def clean_dictionary(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["dictionary"]
        limit = settings.SURVEYS_IMPORT_MAX_BYTES
        if upload.size is not None and upload.size > limit:
            self.too_large = True
            raise forms.ValidationError(
                _(
                    "The file is larger than %(limit)s. A data dictionary is much smaller: is this the right file?"
                )
                % {"limit": filesizeformat(limit)},
                code="too_large",
            )
        return upload

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        upload = cleaned.get("dictionary")
        if upload is None or self.errors:
            return cleaned
        data = b"".join(upload.chunks())
        try:
            self.result = redcap.dictionary_import(
                data,
                form=cleaned.get("form_name", ""),
                slug=cleaned.get("slug", ""),
                language=cleaned.get("language") or Language.ENGLISH,
                anonymous=cleaned.get("mode") != Instrument.Mode.IDENTIFIED,
            )
        except redcap.DictionaryError as error:
            self.add_error("dictionary", str(error))
        return cleaned


class ExportLanguageForm(forms.Form):
    """`?language=` of the downloads: en or es (the dictionary's text, or the records' filter)."""

    language = forms.ChoiceField(choices=Language.choices, required=False)
