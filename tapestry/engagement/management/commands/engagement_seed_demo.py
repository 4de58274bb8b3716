"""Community engagement's part of `make demo`, one block per part."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from tapestry.accounts.api import PERSONAS, persona_ensure

# The same password seed_demo gives every persona.
DEMO_PASSWORD = "tapestry-demo-2026"  # noqa: S105 - demo only


class Command(BaseCommand):
    help = (
        "Load community engagement's demo data (run seed_demo first): the program kits and "
        "their booked calendar. Safe to run again: what exists is left as it is."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--password", default=DEMO_PASSWORD)

    @transaction.atomic
    def handle(self, *args: Any, password: str, **options: Any) -> None:
        people = {persona.email: persona_ensure(persona, password=password) for persona in PERSONAS}
        # --- Program kits ---
        from tapestry.engagement.demo import demo_kit_calendar_seed, demo_kits_create

        created = demo_kits_create()
        self.stdout.write(self.style.SUCCESS(f"Program kits ready ({len(created)} new)."))
        for line in demo_kit_calendar_seed(people=people):
            self.stdout.write(f"  {line}")
