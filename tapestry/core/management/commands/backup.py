from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from tapestry.core.backup import BackupError, backup_create, key_new


class Command(BaseCommand):
    help = (
        "Back up the database, the media storage and the current research release into a new "
        "directory, encrypted with TAPESTRY_BACKUP_KEY (docs/adr/0030-backups.md)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--output",
            type=Path,
            default=None,
            help="The folder the backup directory is written in (default: TAPESTRY_BACKUP_DIR).",
        )
        parser.add_argument(
            "--no-encrypt",
            action="store_true",
            help="Write the backup in the clear (password hashes and signing keys included).",
        )
        parser.add_argument(
            "--keep",
            type=int,
            default=0,
            help="Afterwards keep only this many newest backups in the folder (0: keep all).",
        )
        parser.add_argument("--database", default="default", help="The database to back up.")
        parser.add_argument(
            "--new-key", action="store_true", help="Print a new backup key and exit."
        )

    def handle(
        self,
        *args: Any,
        output: Path | None,
        no_encrypt: bool,
        keep: int,
        database: str,
        new_key: bool,
        **options: Any,
    ) -> None:
        if new_key:
            self.stdout.write(key_new())
            return
        if keep < 0:
            raise CommandError("--keep is a number of backups, 0 or more.")
        try:
            result = backup_create(
                output=output or Path(settings.BACKUP_DIR),
                encrypt=not no_encrypt,
                using=database,
                keep=keep,
            )
        except BackupError as error:
            raise CommandError(str(error)) from error
        if no_encrypt:
            self.stderr.write(
                self.style.WARNING(
                    "This backup is NOT encrypted: it holds password hashes and the credential "
                    "signing keys in the clear."
                )
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Backup written to {result.path}: {result.tables} tables, {result.rows:,} rows, "
                f"{result.files} files, {result.bytes / 1e6:.1f} MB, in {result.seconds:.1f} s."
            )
        )
