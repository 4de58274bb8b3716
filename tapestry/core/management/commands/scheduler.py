import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from tapestry.core.scheduler import scheduled_jobs_enqueue_due


class Command(BaseCommand):
    help = (
        "Enqueue periodic jobs (reminders, the worker heartbeat) for the worker as they fall due."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--once", action="store_true", help="Check once, then exit.")
        parser.add_argument("--interval", type=float, default=30.0, help="Seconds between checks.")

    def handle(self, *args: Any, once: bool, interval: float, **options: Any) -> None:
        while True:
            for name in scheduled_jobs_enqueue_due():
                self.stdout.write(f"enqueued {name}")
            if once:
                return
            time.sleep(interval)
