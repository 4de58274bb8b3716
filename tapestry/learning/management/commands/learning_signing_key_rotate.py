from typing import Any

from django.core.management.base import BaseCommand

from tapestry.learning.credentials import signing_key_rotate


class Command(BaseCommand):
    help = (
        "Make a new key to sign credentials with. Earlier keys stay published, so the "
        "credentials they signed still verify."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        key = signing_key_rotate()
        self.stdout.write(f"New signing key {key.kid} ({key.algorithm}) signs from now on.")
