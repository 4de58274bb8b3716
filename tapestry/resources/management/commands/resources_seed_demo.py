"""The resources' part of `make demo` (run after seed_demo)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tapestry.accounts.api import PERSONAS, persona_ensure
from tapestry.resources.demo import demo_resources_seed

# The same password seed_demo gives every persona.
DEMO_PASSWORD = "tapestry-demo-2026"  # noqa: S105 - demo only
AUTHOR = "specialist@tapestry.example"  # Samuel Okafor, engagement specialist
REVIEWERS = {
    "en": "programstaff@tapestry.example",  # Dana Whitfield, program staff
    "es": "reviewer@tapestry.example",  # Priya Natarajan, reviewer
}


class Command(BaseCommand):
    help = (
        "Load the resources' demo content: health information in plain language, in English "
        "and Spanish, written by the engagement specialist persona and reviewed and published "
        "by program staff and the reviewer persona; one Spanish text waits in review and one "
        "English text changed after its Spanish. Safe to run again: nothing is made twice."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--password", default=DEMO_PASSWORD)

    def handle(self, *args: Any, password: str, **options: Any) -> None:
        people = {persona.email: persona_ensure(persona, password=password) for persona in PERSONAS}
        reviewers = {language: people[email] for language, email in REVIEWERS.items()}
        for line in demo_resources_seed(author=people[AUTHOR], reviewers=reviewers):
            self.stdout.write(self.style.SUCCESS(line))
