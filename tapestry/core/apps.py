from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "tapestry.core"
    label = "core"

    def ready(self) -> None:
        from django.db.models import fields

        # Django 6.1's blank choice, "- Select an option -", has no Spanish translation; the
        # admin and any select without its own blank label show this one instead.
        fields.BLANK_CHOICE_LABEL = _("Choose an option")
