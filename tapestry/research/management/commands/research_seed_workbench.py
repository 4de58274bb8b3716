from typing import Any

from django.core.management.base import BaseCommand

from tapestry.research.demo_workbench import workbench_demo


class Command(BaseCommand):
    help = (
        "Seed the researcher workbench's demo: institutions, the code of conduct, the two "
        "researcher personas, public projects, saved cohorts and a dataset (run after "
        "learning_seed_demo and research_release). Safe to run again."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        for line in workbench_demo():
            self.stdout.write(line)
