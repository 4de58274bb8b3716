"""Libraries that lend and borrow, their holdings, and requests in any state, for the tests."""

import datetime
from typing import Any

import factory
from django.utils import timezone
from django.utils.text import slugify
from factory.django import DjangoModelFactory

from tapestry.accounts.api import Role
from tapestry.accounts.tests.factories import UserFactory
from tapestry.network.tests.factories import OrganizationFactory
from tapestry.sharing.models import (
    Charge,
    CopyrightCompliance,
    Holding,
    HoldingRange,
    Lender,
    LendingPolicy,
    Request,
)


def library(
    name: str,
    *,
    zip_code: str = "60601",
    org_type: str = "hospital_library",
    liaison_email: str = "",
    language: str = "en",
) -> Any:
    """A member library with a liaison of its own (who acts for it)."""
    email = liaison_email or f"{slugify(name)}@example.org"
    liaison = UserFactory.create(
        email=email, full_name=f"{name} Liaison", roles=[Role.LIAISON], preferred_language=language
    )
    return OrganizationFactory.create(
        name=name,
        zip_code=zip_code,
        org_type=org_type,
        liaison=liaison,
        liaison_name=liaison.full_name,
        liaison_email=email,
    )


class LendingPolicyFactory(DjangoModelFactory[LendingPolicy]):
    """Lends to the whole network for $10 an item, electronically and by mail."""

    class Meta:
        model = LendingPolicy

    lends_to_network = True
    fee_cents = 1000
    delivers_by_mail = True


def serial_holding(
    organization: Any,
    *,
    issn: str = "0028-0836",
    title: str = "Nature",
    years: list[tuple[int, int | None]] | None = None,
    holding_format: str = "print",
    licence_allows_lending: bool = False,
) -> Holding:
    """A journal held over these year ranges (default 1990 to the present)."""
    holding = Holding.objects.create(
        organization_id=organization.pk,
        kind=Holding.Kind.SERIAL,
        title=title,
        issn=issn,
        holding_format=holding_format,
        licence_allows_lending=licence_allows_lending,
    )
    for year_from, year_to in [(1990, None)] if years is None else years:
        HoldingRange.objects.create(
            holding=holding,
            organization_id=organization.pk,
            issn=issn,
            lendable=holding.lendable,
            year_from=year_from,
            year_to=year_to,
        )
    return holding


class RequestFactory(DjangoModelFactory[Request]):
    """A request row as it stands (no routing run): an article from Nature, 2024."""

    class Meta:
        model = Request

    journal_title = "Nature"
    issn = "0028-0836"
    year = 2024
    volume = "625"
    pages = "12-19"
    title = "Gut microbes and the immune system"
    authors = "Rivera A, Chen B"
    needed_by = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=14))
    max_cost_cents = 2000
    compliance = CopyrightCompliance.GUIDELINES
    created_by = factory.SubFactory(UserFactory)


class LenderFactory(DjangoModelFactory[Lender]):
    class Meta:
        model = Lender

    position = 1
    fee_cents = 1000


class ChargeFactory(DjangoModelFactory[Charge]):
    class Meta:
        model = Charge

    amount_cents = 1000
    month = factory.LazyFunction(lambda: timezone.localdate().replace(day=1))

    @classmethod
    def _create(cls, model_class: type[Charge], *args: Any, **kwargs: Any) -> Charge:
        # A charge needs a filled request between the same two libraries.
        if "request" not in kwargs:
            kwargs["request"] = RequestFactory.create(
                borrower_id=kwargs["borrower_id"], status=Request.Status.FILLED
            )
        return super()._create(model_class, *args, **kwargs)
