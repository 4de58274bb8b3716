"""manage.py learning_export <path>: the whole training platform as one ZIP archive."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tapestry.learning.archive import archive_write


class Command(BaseCommand):
    help = "Write the training archive (courses, learners, completions, certificates, CE credit, statements, audit) to a ZIP file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="Where to write the ZIP file.")
        parser.add_argument(
            "--force", action="store_true", help="Replace the file if it exists already."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        if path.exists() and not options["force"]:
            raise CommandError(f"{path} exists already; add --force to replace it.")
        partial = path.with_name(path.name + ".partial")
        try:
            with partial.open("wb") as target:
                size = archive_write(target=target)
        except OSError as error:
            partial.unlink(missing_ok=True)
            raise CommandError(f"Could not write {path}: {error}") from error
        partial.replace(path)
        self.stdout.write(f"Wrote {path} ({size:,} bytes).")
