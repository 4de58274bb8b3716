"""Recount the results tallies of some or all instruments from their answers."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tapestry.surveys.models import Instrument
from tapestry.surveys.services import tallies_rebuild


class Command(BaseCommand):
    help = (
        "Recount the results tallies from the stored answers (ADR 0019), for the instruments "
        "named by link name or for all of them: after a data fix made behind the tallies' back."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slugs", nargs="*", help="Link names (default: every instrument).")

    def handle(self, *args: Any, slugs: list[str], **options: Any) -> None:
        instruments = Instrument.objects.order_by("slug")
        if slugs:
            instruments = instruments.filter(slug__in=slugs)
            missing = sorted(set(slugs) - set(instruments.values_list("slug", flat=True)))
            if missing:
                raise CommandError(f"No instrument with the link name {', '.join(missing)}.")
        for instrument in instruments:
            rows = tallies_rebuild(instrument=instrument)
            self.stdout.write(f"  {instrument.slug}: {rows} tallies")
