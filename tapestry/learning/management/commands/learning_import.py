"""manage.py learning_import <path>: bring a training archive into this Tapestry, all of it or
none of it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tapestry.learning.archive import archive_import
from tapestry.learning.services import LearningError


class Command(BaseCommand):
    help = "Import a training archive made by learning_export (or the staff archive page)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="The ZIP file to import.")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        try:
            with path.open("rb") as source:
                result = archive_import(file=source, actor=None)
        except OSError as error:
            raise CommandError(f"Could not read {path}: {error}") from error
        except LearningError as error:
            raise CommandError(f"Nothing was imported: {error}") from error
        counts = ", ".join(f"{key} {value:,}" for key, value in result.counts.items())
        self.stdout.write(
            f"Imported the archive {result.site} made on {result.created_at:%Y-%m-%d %H:%M}: "
            f"{counts}; signing keys added {result.keys_added}."
        )
