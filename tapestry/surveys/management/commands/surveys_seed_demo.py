"""The surveys' part of `make demo`: the five templates published, and responses to them."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from tapestry.surveys.demo_seed import demo_surveys_seed


class Command(BaseCommand):
    help = (
        "Load the five shipped survey templates, published, and a few hundred made-up "
        "responses in English and Spanish (some evaluating demo courses and events). Safe to "
        "run again: what exists is left as it is."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=2026)

    @transaction.atomic
    def handle(self, *args: Any, seed: int, **options: Any) -> None:
        created = demo_surveys_seed(seed=seed)
        self.stdout.write(
            self.style.SUCCESS(
                "Surveys ready: "
                + ", ".join(f"{slug} ({count} new responses)" for slug, count in created.items())
            )
        )
