from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "tapestry.core"
    label = "core"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created
        from django.db.models import fields

        from tapestry.core.collation import sqlite_collations_register
        from tapestry.core.observability.receivers import observability_connect

        # SQLite has no ICU: each new connection gets the collations PostgreSQL has from a
        # migration, so `Collate(..., "tapestry_es")` sorts the same on both.
        connection_created.connect(sqlite_collations_register, dispatch_uid="core.collations")

        # Request ids into tasks, login failures into metrics, errors to the reporters.
        observability_connect()

        # Django 6.1's blank choice, "- Select an option -", has no Spanish translation; the
        # admin and any select without its own blank label show this one instead.
        fields.BLANK_CHOICE_LABEL = _("Choose an option")
