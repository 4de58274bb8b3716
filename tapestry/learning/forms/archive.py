"""The archive page's upload: one training archive (ZIP) to import."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _


class ArchiveImportForm(forms.Form):
    archive = forms.FileField(
        label=_("Training archive (ZIP)"),
        help_text=_("The ZIP file a Tapestry made with “Download the archive”."),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.too_large = False

    def clean_archive(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["archive"]
        limit = settings.LEARNING_ARCHIVE_MAX_BYTES
        if upload.size is not None and upload.size > limit:
            self.too_large = True
            raise forms.ValidationError(
                _("The file is larger than %(limit)s, the most an archive may be.")
                % {"limit": filesizeformat(limit)},
                code="too_large",
            )
        return upload
