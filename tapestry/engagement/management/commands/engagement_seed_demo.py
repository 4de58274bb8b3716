"""Community engagement's part of `make demo`, one function per part (run after seed_demo)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tapestry.accounts.api import PERSONAS, persona_ensure
from tapestry.engagement.demo import demo_events_seed, demo_reports_seed, demo_requests_seed

# The same password seed_demo gives every persona.
DEMO_PASSWORD = "tapestry-demo-2026"  # noqa: S105 - demo only


class Command(BaseCommand):
    help = (
        "Load the engagement demo: events past and upcoming in every region, in English and "
        "Spanish, with registrations and attendance. Safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--password", default=DEMO_PASSWORD)

    def handle(self, *args: Any, password: str, **options: Any) -> None:
        people = {persona.email: persona_ensure(persona, password=password) for persona in PERSONAS}
        self.seed_events(people)
        self.seed_reports_and_requests(people)

    def seed_events(self, people: dict[str, Any]) -> None:
        """Events (the events part): organized by the liaison and specialist personas."""
        for line in demo_events_seed(
            liaison_id=people["liaison@tapestry.example"].pk,
            specialist_id=people["specialist@tapestry.example"].pk,
        ):
            self.stdout.write(self.style.SUCCESS(line))

    def seed_reports_and_requests(self, people: dict[str, Any]) -> None:
        """Activity reports in every state and a request in progress (after the events, whose
        attendance fills one report)."""
        ids = {
            "liaison_id": people["liaison@tapestry.example"].pk,
            "specialist_id": people["specialist@tapestry.example"].pk,
        }
        for line in [*demo_reports_seed(**ids), *demo_requests_seed(**ids)]:
            self.stdout.write(self.style.SUCCESS(line))
