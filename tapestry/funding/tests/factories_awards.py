"""Awards for the tests: an awarded application (its budget, its liaison as first member) and
its award, set up through `award_create` as staff would."""

import datetime
from decimal import Decimal
from typing import Any, cast

import factory
from factory.django import DjangoModelFactory

from tapestry.accounts.api import Role
from tapestry.accounts.tests.factories import UserFactory
from tapestry.funding.awards import award_create
from tapestry.funding.models import Application, ApplicationMember, Award, BudgetLine
from tapestry.funding.states import Status
from tapestry.funding.tests.factories import OpportunityFactory

ACKNOWLEDGEMENT = "This project was funded by the Tapestry Health Network."
ACKNOWLEDGEMENT_ES = "Este proyecto fue financiado por la Red de Salud Tapestry."


class AwardedApplicationFactory(DjangoModelFactory[Application]):
    """An application the call awarded, with a $4,000 budget; pass `organization_id` and
    `created_by` (the liaison)."""

    class Meta:
        model = Application
        skip_postgeneration_save = True

    opportunity = factory.SubFactory(OpportunityFactory)
    status = Status.AWARDED
    project_title = "Health fair at the library"
    summary = "A Saturday fair with screenings and a nutrition class in Spanish."
    tracking_number = factory.Sequence(lambda n: f"F2027-{n:06d}")
    created_by = factory.SubFactory(UserFactory)

    @factory.post_generation
    def budget(self, create: Any, extracted: Any, **kwargs: Any) -> None:
        if create:
            application = cast(Application, self)
            BudgetLine.objects.create(
                application=application, description="Screening supplies", amount=Decimal("3000.00")
            )
            BudgetLine.objects.create(
                application=application, description="Interpreter", amount=Decimal("1000.00")
            )
            ApplicationMember.objects.create(application=application, user=application.created_by)


def award_make(
    *,
    liaison: Any,
    organization_id: int,
    amount: Decimal = Decimal("4000.00"),
    staff: Any = None,
    performance_start: datetime.date = datetime.date(2027, 5, 1),
    performance_end: datetime.date = datetime.date(2028, 4, 30),
    **award: Any,
) -> Award:
    """An active award of the liaison's organization, made by program staff."""
    application = AwardedApplicationFactory.create(
        organization_id=organization_id,
        created_by=liaison,
        opportunity=OpportunityFactory.create(
            performance_start=performance_start, performance_end=performance_end
        ),
    )
    staff = staff or UserFactory.create(roles=[Role.PROGRAM_STAFF])
    return award_create(
        actor=staff,
        application=application,
        amount=amount,
        acknowledgement=award.pop("acknowledgement", ACKNOWLEDGEMENT),
        acknowledgement_es=award.pop("acknowledgement_es", ACKNOWLEDGEMENT_ES),
        **award,
    )
