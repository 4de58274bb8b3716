"""Two lenders filling one request at the same moment, while the timeout job moves it on and
the first lender's liaison double-clicks: exactly one fill counts (one delivery, one charge),
and everyone else is told why. Threads on their own PostgreSQL connections, released together."""

import datetime
import threading
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection, connections

from tapestry.sharing import services
from tapestry.sharing.models import Charge, Delivery, Lender, Request
from tapestry.sharing.tests.factories import LendingPolicyFactory, library, serial_holding

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite runs one writer at a time anyway"
)

EASTERN = ZoneInfo("America/New_York")


@pytest.mark.django_db(transaction=True)
def test_lenders_racing_to_fill_one_request_exactly_one_fill_counts() -> None:
    borrower = library("Oak Park Public Library", org_type="public_library")
    lenders = []
    for name, fee in [("Galter Library", 800), ("Rush Library", 1200)]:
        lender = library(name, zip_code="60612")
        LendingPolicyFactory.create(organization_id=lender.pk, fee_cents=fee)
        serial_holding(lender)
        lenders.append(lender)
    galter, rush = lenders
    with time_machine.travel(datetime.datetime(2026, 12, 1, 10, tzinfo=EASTERN), tick=False):
        request = services.request_create(
            actor=borrower.liaison,
            borrower_id=borrower.pk,
            issn="0028-0836",
            year=2024,
            title="Gut microbes",
            needed_by=datetime.date(2026, 12, 20),
            max_cost_cents=2000,
            compliance="ccg",
        )
    # Galter's time has just run out when everyone acts at once.
    start = threading.Barrier(7)
    outcomes: list[tuple[str, str]] = []
    lock = threading.Lock()

    def act(name: str, action: Any) -> None:
        try:
            start.wait(timeout=30)
            try:
                action()
                outcome = ("done", name)
            except services.SharingError as refused:
                outcome = ("refused", f"{name}: {refused.message}")
            except Exception as error:
                outcome = ("error", f"{name}: {error!r}")
            with lock:
                outcomes.append(outcome)
        finally:
            connections.close_all()

    def fill(lender: Any) -> Any:
        return lambda: services.request_fill(
            actor=lender.liaison, lender_id=lender.pk, request_id=request.pk, method="mail"
        )

    actions = [
        *[(f"galter {n}", fill(galter)) for n in range(3)],
        *[(f"rush {n}", fill(rush)) for n in range(3)],
        ("timeouts", lambda: services.lenders_overdue_advance()),
    ]
    with time_machine.travel(datetime.datetime(2026, 12, 4, 0, 1, tzinfo=EASTERN), tick=False):
        threads = [threading.Thread(target=act, args=pair) for pair in actions]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    fills = [name for kind, name in outcomes if kind == "done" and name != "timeouts"]
    assert [kind for kind, _name in outcomes if kind == "error"] == [], outcomes
    if not fills:
        # A fair outcome too: every Rush click came before the timeout job passed the turn on,
        # and every Galter click after it. The request then waits for Rush, which fills it.
        assert Request.objects.get().status == Request.Status.ROUTING, outcomes
        assert Lender.objects.get(organization_id=rush.pk).status == Lender.Status.ASKED
        services.request_fill(
            actor=rush.liaison, lender_id=rush.pk, request_id=request.pk, method="mail"
        )
        fills = ["rush, once asked"]
    assert len(fills) == 1, outcomes
    assert Charge.objects.count() == 1
    assert Delivery.objects.count() == 1
    assert Lender.objects.filter(status=Lender.Status.FILLED).count() == 1
    assert Request.objects.get().status == Request.Status.FILLED
    charge = Charge.objects.get()
    assert charge.amount_cents == (800 if fills[0].startswith("galter") else 1200)
