from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils import timezone

from tapestry.accounts.api import DEMO_TOTP_SECRET, PERSONAS, persona_ensure
from tapestry.network.demo import demo_organizations_create
from tapestry.network.models import (
    MembershipApplication,
    Organization,
    Region,
    RegionSpecialist,
    StateTerritory,
)
from tapestry.network.selectors import region_for_state

if TYPE_CHECKING:
    from tapestry.accounts.api import User

DEMO_PASSWORD = "tapestry-demo-2026"  # noqa: S105 - demo only


class Command(BaseCommand):
    help = "Load the demo: both region maps, about 400 members, and one persona per role."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--password", default=DEMO_PASSWORD)

    @transaction.atomic
    def handle(self, *args: Any, password: str, **options: Any) -> None:
        created = demo_organizations_create()
        users = {p.email: persona_ensure(p, password=password) for p in PERSONAS}
        specialist = users["specialist@tapestry.example"]
        # The specialist persona covers Region 6 (Chicago, Detroit) and Region 2 (Birmingham).
        for code in ("region-6", "region-2"):
            RegionSpecialist.objects.get_or_create(
                user=specialist, region=Region.objects.get(code=code)
            )
        liaison = users["liaison@tapestry.example"]
        self._liaison_library(liaison)
        self._pending_applications(users["partner@tapestry.example"])
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo ready: {Organization.objects.count()} members ({created} new)."
            )
        )
        self.stdout.write("\nPersonas (password for all: %s)" % password)
        for persona in PERSONAS:
            roles = ", ".join(str(role.label) for role in persona.roles)
            flag = "  [two-factor]" if persona.needs_two_factor else ""
            self.stdout.write(f"  {persona.email:34} {persona.full_name:18} {roles}{flag}")
        self.stdout.write(
            "\nStaff personas sign in with a second factor. Add this secret to an authenticator app,"
            f"\n  {DEMO_TOTP_SECRET}\nor print the current code with"
            "\n  .venv/bin/python manage.py totp_code specialist@tapestry.example"
            f"\n\nOpen {settings.SITE_URL}/  (emails are written to var/mail/)\n"
        )

    def _liaison_library(self, liaison: User) -> None:
        """Lucía is liaison for a Chicago public library whose annual review is due soon."""
        if Organization.objects.filter(liaison=liaison).exists():
            return
        today = timezone.localdate()
        Organization.objects.create(
            name="Pilsen Community Public Library",
            org_type="public_library",
            address_line1="1336 W 18th St",
            city="Chicago",
            state_id="IL",
            zip_code="60608",
            phone="(312) 555-0142",
            website="https://example.org/pilsen-library",
            liaison=liaison,
            liaison_name=liaison.full_name,
            liaison_email=liaison.email,
            liaison_email_confirmed_at=timezone.now(),  # her own verified sign-in address
            services={"reference": ["public"], "internet_training": ["public"]},
            latitude=41.8509,
            longitude=-87.6713,
            library_id="IL0608",
            joined_on=today - datetime.timedelta(days=900),
            last_reviewed_on=today
            - datetime.timedelta(days=settings.NETWORK_ANNUAL_REVIEW_DAYS - 10),
        )

    def _pending_applications(self, applicant: User) -> None:
        """Two applications in Region 6 wait for the specialist."""
        examples = [
            (
                "Little Village Health Promoters",
                "community_organization",
                "3610 W 26th St",
                "Chicago",
                "IL",
                "60623",
            ),
            (
                "Southwest Detroit Family Library",
                "public_library",
                "7000 W Vernor Hwy",
                "Detroit",
                "MI",
                "48209",
            ),
        ]
        for name, org_type, street, city, state, zip_code in examples:
            if MembershipApplication.objects.filter(name=name).exists():
                continue
            region = region_for_state(state_code=state)
            assert region is not None, f"{state} has no region"
            MembershipApplication.objects.create(
                applicant=applicant,
                region=region,
                name=name,
                org_type=org_type,
                address_line1=street,
                city=city,
                state=StateTerritory.objects.get(code=state),
                zip_code=zip_code,
                liaison_name=applicant.full_name,
                liaison_email=applicant.email,
                liaison_email_confirmed_at=timezone.now(),  # the applicant's own address
                services={"reference": ["public"]},
            )
