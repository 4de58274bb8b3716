"""Load the shipped survey templates (data/templates/*.json) that are not loaded yet."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tapestry.surveys.models import Instrument
from tapestry.surveys.services import instrument_from_template, template_names, template_spec


class Command(BaseCommand):
    help = (
        "Create an instrument from each shipped template whose link name is free (drafts unless "
        "--publish). Safe to run again: a template already loaded is left as it is."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("names", nargs="*", help="Templates to load (default: all of them).")
        parser.add_argument("--publish", action="store_true", help="Publish what is created.")

    def handle(self, *args: Any, names: list[str], publish: bool, **options: Any) -> None:
        for name in names or template_names():
            slug = template_spec(name=name).slug
            if Instrument.objects.filter(slug=slug).exists():
                self.stdout.write(f"  {slug}: already loaded")
                continue
            instrument_from_template(name=name, publish=publish)
            self.stdout.write(f"  {slug}: created ({'published' if publish else 'draft'})")
