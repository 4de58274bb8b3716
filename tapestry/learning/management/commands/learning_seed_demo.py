"""The training platform's part of `make demo`: the seven demo courses and the personas at
their stages."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from tapestry.accounts.api import PERSONAS, persona_ensure
from tapestry.learning.demo import COURSES_DIR, CourseDataError, courses_load, demo_learners_seed

# The same password seed_demo gives every persona.
DEMO_PASSWORD = "tapestry-demo-2026"  # noqa: S105 - demo only


class Command(BaseCommand):
    help = (
        "Load the demo courses from tapestry/learning/data/courses/*.json (a changed file "
        "updates its course and raises its version) and take the personas to their training "
        "stages. Safe to run again: what exists is left as it is."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--password", default=DEMO_PASSWORD)
        parser.add_argument(
            "--courses", type=Path, default=COURSES_DIR, help="The folder of course files."
        )
        parser.add_argument(
            "--courses-only", action="store_true", help="Load the courses, leave people alone."
        )

    @transaction.atomic
    def handle(
        self, *args: Any, password: str, courses: Path, courses_only: bool, **options: Any
    ) -> None:
        try:
            loaded = courses_load(directory=courses)
        except CourseDataError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            self.style.SUCCESS(
                "Courses ready: "
                + ", ".join(f"{item.slug} (v{item.version}, {item.outcome})" for item in loaded)
            )
        )
        if courses_only:
            return
        people = {persona.email: persona_ensure(persona, password=password) for persona in PERSONAS}
        for line in demo_learners_seed(people=people):
            self.stdout.write(f"  {line}")
