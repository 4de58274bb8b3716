"""Load a FORHP rural ZIP code list (`STATE,ZIP` lines) as reference data for releases."""

import datetime
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from tapestry.research.models import RuralZipList
from tapestry.research.warehouse.rural import RuralListError, parse_lines


class Command(BaseCommand):
    help = (
        "Load a FORHP rural ZIP code list (one 'STATE,ZIP' line per code) under a name, in "
        "force from a date. Loading a name again replaces that list; a malformed file loads "
        "nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="The list file.")
        parser.add_argument("--name", required=True, help="The list's name, e.g. 2020.")
        parser.add_argument(
            "--effective-from",
            required=True,
            help="The first day the list applies (YYYY-MM-DD), e.g. 2020-09-15.",
        )

    def handle(self, *args: object, file: Path, name: str, **options: Any) -> None:
        name = name.strip()
        if not name or len(name) > 40:
            raise CommandError("--name must be 1 to 40 characters.")
        try:
            effective_from = datetime.date.fromisoformat(options["effective_from"])
        except ValueError:
            raise CommandError(
                f"--effective-from must be a date (YYYY-MM-DD), not {options['effective_from']!r}."
            ) from None
        try:
            with file.open(encoding="utf-8") as lines:
                codes = parse_lines(lines)
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror or error}.") from error
        except UnicodeDecodeError:
            raise CommandError(f"{file}: not a UTF-8 text file.") from None
        except RuralListError as error:
            raise CommandError(f"{file}: {error}. Nothing was loaded.") from error
        with transaction.atomic():
            RuralZipList.objects.update_or_create(
                name=name,
                defaults={
                    "source_file": file.name,
                    "effective_from": effective_from,
                    "zip_codes": codes,
                    "count": len(codes),
                },
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Rural ZIP list {name}: {len(codes):,} ZIP codes from {file.name}, "
                f"in force from {effective_from:%Y-%m-%d}."
            )
        )
