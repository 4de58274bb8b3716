"""Requests as they stand once closed, with the lenders' turns, the delivery and the charge, at
the moments a test chooses (the rows' own timestamps are set after they are written)."""

import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from tapestry.accounts.tests.factories import UserFactory
from tapestry.sharing.models import Charge, Delivery, Lender, Request
from tapestry.sharing.tests.factories import ChargeFactory, LenderFactory, RequestFactory

NEW_YORK = ZoneInfo("America/New_York")


class Library(Protocol):
    """A member library as these tests use it (the network's Library, which the import
    contracts keep out of sharing's reach)."""

    pk: int
    name: str


def at(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime.datetime:
    """A moment in the network's time zone (America/New_York)."""
    return datetime.datetime(year, month, day, hour, minute, tzinfo=NEW_YORK)


def filled_request(
    *,
    borrower: Library,
    lender: Library,
    filled_at: datetime.datetime,
    routed_at: datetime.datetime | None = None,
    amount_cents: int = 1000,
    region_code: str = "region-6",
    title: str = "Gut microbes and the immune system",
    refused_by: list[tuple[Library, str, str]] | None = None,
) -> Request:
    """A request `borrower` sent, routed at `routed_at` (default: a day before the fill), that
    `lender` filled at `filled_at` by mail, charged `amount_cents` in the fill's month. Lenders
    in `refused_by` (library, Lender.Status, Lender.Reason) had their turn first."""
    routed_at = routed_at or filled_at - datetime.timedelta(days=1)
    request = RequestFactory.create(
        borrower_id=borrower.pk,
        region_code=region_code,
        title=title,
        status=Request.Status.FILLED,
        routed_at=routed_at,
        closed_at=filled_at,
    )
    Request.objects.filter(pk=request.pk).update(created_at=routed_at)
    position = 1
    for refusing, status, reason in refused_by or []:
        LenderFactory.create(
            request=request,
            position=position,
            organization_id=refusing.pk,
            status=status,
            reason=reason,
            asked_at=routed_at,
            answered_at=routed_at,
        )
        position += 1
    LenderFactory.create(
        request=request,
        position=position,
        organization_id=lender.pk,
        fee_cents=amount_cents,
        status=Lender.Status.FILLED,
        asked_at=routed_at,
        answered_at=filled_at,
    )
    delivery = Delivery.objects.create(
        request=request,
        lender_id=lender.pk,
        method=Delivery.Method.MAIL,
        filled_by=UserFactory.create(),
    )
    Delivery.objects.filter(pk=delivery.pk).update(created_at=filled_at)
    charge = ChargeFactory.create(
        request=request,
        borrower_id=borrower.pk,
        lender_id=lender.pk,
        amount_cents=amount_cents,
        month=filled_at.astimezone(NEW_YORK).date().replace(day=1),
    )
    Charge.objects.filter(pk=charge.pk).update(created_at=filled_at)
    request.refresh_from_db()
    return request


def unfilled_request(
    *,
    borrower: Library,
    closed_at: datetime.datetime,
    turns: list[tuple[Library, str, str]],
    region_code: str = "region-6",
) -> Request:
    """A request no lender filled: each of `turns` (library, Lender.Status, Lender.Reason)
    refused it or let its time run out."""
    routed_at = closed_at - datetime.timedelta(days=3)
    request = RequestFactory.create(
        borrower_id=borrower.pk,
        region_code=region_code,
        status=Request.Status.UNFILLED,
        routed_at=routed_at,
        closed_at=closed_at,
    )
    for position, (organization, status, reason) in enumerate(turns, start=1):
        LenderFactory.create(
            request=request,
            position=position,
            organization_id=organization.pk,
            status=status,
            reason=reason,
            asked_at=routed_at,
            answered_at=closed_at if status == Lender.Status.NOT_FILLED else None,
        )
    return request


def asked_request(*, borrower: Library, lender: Library, asked_at: datetime.datetime) -> Request:
    """A request waiting on `lender`'s answer."""
    request = RequestFactory.create(
        borrower_id=borrower.pk, status=Request.Status.ROUTING, routed_at=asked_at, position=1
    )
    LenderFactory.create(
        request=request, organization_id=lender.pk, status=Lender.Status.ASKED, asked_at=asked_at
    )
    return request
