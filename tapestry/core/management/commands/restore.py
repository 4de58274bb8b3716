from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tapestry.core.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Restore a backup written by `manage.py backup` into an empty host: an empty database, "
        "an empty media storage, no research release files (docs/adr/0030-backups.md)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("path", type=Path, help="The backup's directory.")
        parser.add_argument("--database", default="default", help="The database to restore into.")

    def handle(self, *args: Any, path: Path, database: str, **options: Any) -> None:
        self.stdout.write(f"Checking {path} …")
        try:
            result = backup_restore(path=path, using=database)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored {path.name}: {result.tables} tables, {result.rows:,} rows, "
                f"{result.media_files} media files, {result.part_files} release files, "
                f"in {result.seconds:.1f} s."
            )
        )
        if result.migrations_behind:
            self.stdout.write(
                f"This code has {len(result.migrations_behind)} migrations the backup had not "
                "applied: run `manage.py migrate` next."
            )
