"""manage.py learning_standing_rebuild: work out the compliance report's standings again now."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from tapestry.learning.models import Standing
from tapestry.learning.reports import standing_rebuild


class Command(BaseCommand):
    help = (
        "Work out every person's standing under every requirement again (the daily job does it "
        "too): after roles were given or taken away in the Django admin, or data was loaded "
        "outside Tapestry's services."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        standing_rebuild()
        self.stdout.write(f"{Standing.objects.count()} standings worked out.")
