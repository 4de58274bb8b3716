"""One contender of a race between processes (tests/faults/test_races.py), run as its own
Python process: `python -m tests.faults.contender <action> <arguments as JSON> <folder>`.

A fresh interpreter, like a web process: it sets Django up on the database in its environment
(the test's copy), says it is ready, waits for the go, calls the service and prints one line of
JSON: ["stored", detail] or ["refused", the message]. Anything else is a failure to see, so it
is printed as ["error", the traceback].
"""

import datetime
import json
import os
import sys
import time
import traceback
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import django

django.setup()

# After setup: the models need the app registry. Imported before the go, like a web process
# that has loaded the site, so the race is between the services' queries.
from django.db import connection  # noqa: E402

from tapestry.accounts.models import User  # noqa: E402
from tapestry.engagement.services import RegistrationRefused, registration_create  # noqa: E402
from tapestry.funding.awards import InvoiceRefused, invoice_submit  # noqa: E402
from tapestry.funding.models import Award  # noqa: E402
from tapestry.network.models import OrganizationType, StateTerritory  # noqa: E402
from tapestry.network.services import (  # noqa: E402
    DuplicateApplication,
    membership_application_submit,
)

# Long enough for a loaded shared machine (task_processes.WAIT_SECONDS, without importing it).
WAIT_SECONDS = 120


def apply(*, applicant_id: int, state_id: int) -> tuple[str, str]:
    details = {
        "name": "Prairie Library",
        "org_type": OrganizationType.PUBLIC_LIBRARY,
        "address_line1": "1703 Orrington Ave",
        "address_line2": "",
        "city": "Evanston",
        "state": StateTerritory.objects.get(pk=state_id),
        "zip_code": "60201",
        "phone": "(847) 555-0100",
        "website": "https://prairie.example.org",
        "library_id": "ILPRA",
        "liaison_name": "Bob Applicant",
        "liaison_email": "bob@example.org",
        "services": {"reference": ["public"]},
    }
    applicant = User.objects.get(pk=applicant_id)
    try:
        application = membership_application_submit(applicant=applicant, details=details)
    except DuplicateApplication as refused:
        return ("refused", str(refused))
    return ("stored", str(application.pk))


def register(*, event_id: int) -> tuple[str, str]:
    try:
        registration = registration_create(
            event_id=event_id, name="Maya Reader", email="Maya@example.net"
        )
    except RegistrationRefused as refused:
        # The first sentence: the one who lost at the check is also told about the email sent.
        return ("refused", str(refused).split(". ")[0].rstrip("."))
    return ("stored", str(registration.pk))


def invoice(*, liaison_id: int, award_id: int, month: str, today: str) -> tuple[str, str]:
    try:
        stored = invoice_submit(
            actor=User.objects.get(pk=liaison_id),
            award=Award.objects.get(pk=award_id),
            billing_month=datetime.date.fromisoformat(month),
            invoice_date=datetime.date.fromisoformat(today),
            amount=Decimal("100.00"),
            description="Screening supplies for the health fair.",
        )
    except InvoiceRefused as refused:
        return ("refused", str(refused))
    return ("stored", stored.number)


ACTIONS: dict[str, Callable[..., tuple[str, str]]] = {
    "apply": apply,
    "register": register,
    "invoice": invoice,
}


def wait_for(path: Path) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not path.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path.name} never came")
        time.sleep(0.01)


def main(action: str, arguments: str, folder: str) -> None:
    try:
        connection.ensure_connection()  # a web process has its connection open already
        (Path(folder) / f"ready-{os.getpid()}").touch()
        wait_for(Path(folder) / "go")
        outcome = ACTIONS[action](**json.loads(arguments))
    except Exception:
        outcome = ("error", traceback.format_exc())
    print(json.dumps(outcome), flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
