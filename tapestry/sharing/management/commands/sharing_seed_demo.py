"""Resource sharing's part of `make demo` (run after seed_demo and the other demos)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tapestry.accounts.api import PERSONAS, persona_ensure
from tapestry.sharing.demo import demo_sharing_seed

# The same password seed_demo gives every persona.
DEMO_PASSWORD = "tapestry-demo-2026"  # noqa: S105 - demo only


class Command(BaseCommand):
    help = (
        "Load resource sharing's demo data (run seed_demo first): holdings of real journals "
        "and lending policies for the medical and academic members, the liaison persona's "
        "public library borrowing and taking a patron's requests, and about a hundred requests "
        "over six months in every state of their life. Safe to run again: nothing is made "
        "twice."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--password", default=DEMO_PASSWORD)

    def handle(self, *args: Any, password: str, **options: Any) -> None:
        people = {persona.email: persona_ensure(persona, password=password) for persona in PERSONAS}
        for line in demo_sharing_seed(people=people, password=password):
            self.stdout.write(self.style.SUCCESS(line))
