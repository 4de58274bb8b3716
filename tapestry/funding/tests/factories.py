import datetime
from decimal import Decimal

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from tapestry.accounts.tests.factories import UserFactory
from tapestry.funding.models import Opportunity, RubricCriterion, ScreeningItem


class OpportunityFactory(DjangoModelFactory[Opportunity]):
    """A published call with a month to its deadline, open to every member organization,
    for a year from May 1 (the program's award year)."""

    class Meta:
        model = Opportunity

    title = factory.Sequence(lambda n: f"Health outreach awards {n}")
    title_es = factory.Sequence(lambda n: f"Premios de alcance en salud {n}")
    description = "Funds for programs that bring health information to the community."
    description_es = "Fondos para programas que llevan información de salud a la comunidad."
    performance_start = datetime.date(2027, 5, 1)
    performance_end = datetime.date(2028, 4, 30)
    awards_available = 3
    maximum_amount = Decimal("5000.00")
    deadline = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=30))
    published_at = factory.LazyFunction(timezone.now)
    created_by = factory.SubFactory(UserFactory)


class ScreeningItemFactory(DjangoModelFactory[ScreeningItem]):
    class Meta:
        model = ScreeningItem

    opportunity = factory.SubFactory(OpportunityFactory)
    text = "The budget has only allowable costs."
    text_es = "El presupuesto tiene solo costos permitidos."


class RubricCriterionFactory(DjangoModelFactory[RubricCriterion]):
    class Meta:
        model = RubricCriterion

    opportunity = factory.SubFactory(OpportunityFactory)
    text = "Reaches people the network does not reach yet."
    text_es = "Llega a personas a las que la red aún no llega."
    points = 10
