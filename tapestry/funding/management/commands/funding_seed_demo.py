"""Funding's part of `make demo` (run after seed_demo and engagement_seed_demo)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tapestry.accounts.api import PERSONAS, persona_ensure
from tapestry.funding.demo import demo_funding_seed

# The same password seed_demo gives every persona.
DEMO_PASSWORD = "tapestry-demo-2026"  # noqa: S105 - demo only


class Command(BaseCommand):
    help = (
        "Load funding's demo data (run seed_demo and engagement_seed_demo first): an open call "
        "with the liaison persona's draft, a call in review (the reviewer persona has two "
        "assignments, one conflicted) and last year's call with two active awards, their "
        "invoices and an overdue report. Safe to run again: nothing is made twice."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--password", default=DEMO_PASSWORD)

    def handle(self, *args: Any, password: str, **options: Any) -> None:
        people = {persona.email: persona_ensure(persona, password=password) for persona in PERSONAS}
        for line in demo_funding_seed(people=people):
            self.stdout.write(self.style.SUCCESS(line))
