"""Community engagement's part of `make demo`, one method per part (run after seed_demo)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from tapestry.accounts.api import PERSONAS, persona_ensure
from tapestry.engagement.demo import (
    demo_events_seed,
    demo_kit_calendar_seed,
    demo_kits_create,
    demo_reports_seed,
    demo_requests_seed,
)

# The same password seed_demo gives every persona.
DEMO_PASSWORD = "tapestry-demo-2026"  # noqa: S105 - demo only


class Command(BaseCommand):
    help = (
        "Load community engagement's demo data (run seed_demo first): events past and upcoming "
        "in every region, in English and Spanish, with registrations and attendance; the "
        "program kits and their booked calendar. Safe to run again: what exists is left as it is."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--password", default=DEMO_PASSWORD)

    @transaction.atomic
    def handle(self, *args: Any, password: str, **options: Any) -> None:
        people = {persona.email: persona_ensure(persona, password=password) for persona in PERSONAS}
        self.seed_events(people)
        self.seed_kits(people)
        self.seed_reports_and_requests(people)

    def seed_events(self, people: dict[str, Any]) -> None:
        """Events: organized by the liaison and specialist personas."""
        for line in demo_events_seed(
            liaison_id=people["liaison@tapestry.example"].pk,
            specialist_id=people["specialist@tapestry.example"].pk,
        ):
            self.stdout.write(self.style.SUCCESS(line))

    def seed_kits(self, people: dict[str, Any]) -> None:
        """Program kits and their booked calendar."""
        created = demo_kits_create()
        self.stdout.write(self.style.SUCCESS(f"Program kits ready ({len(created)} new)."))
        for line in demo_kit_calendar_seed(people=people):
            self.stdout.write(f"  {line}")

    def seed_reports_and_requests(self, people: dict[str, Any]) -> None:
        """Activity reports in every state and a request in progress (after the events, whose
        attendance fills one report)."""
        ids = {
            "liaison_id": people["liaison@tapestry.example"].pk,
            "specialist_id": people["specialist@tapestry.example"].pk,
        }
        for line in [*demo_reports_seed(**ids), *demo_requests_seed(**ids)]:
            self.stdout.write(self.style.SUCCESS(line))
