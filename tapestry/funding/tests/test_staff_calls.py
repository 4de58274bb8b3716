"""Program staff write a call on its page (no Django admin needed): both languages, who may
apply, money and dates, the checklist and rubric; refused input saves nothing, and a published
call is no longer theirs to change."""

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tapestry.funding.models import Opportunity
from tapestry.funding.tests.factories import OpportunityFactory

pytestmark = pytest.mark.django_db

NEW = "/funding/staff/calls/new/"


def call_form(**changes: Any) -> dict[str, Any]:
    deadline = timezone.localtime() + datetime.timedelta(days=40)
    return {
        "title": "Health outreach awards",
        "title_es": "Premios de alcance en salud",
        "description": "Funds for health programs.",
        "description_es": "Fondos para programas de salud.",
        "eligible_types": ["public_library", "community_organization"],
        "eligible_states": "il, in",
        "eligibility_notes": "",
        "eligibility_notes_es": "",
        "performance_start": "2027-05-01",
        "performance_end": "2028-04-30",
        "awards_available": "4",
        "maximum_amount": "5000.00",
        "deadline": deadline.strftime("%Y-%m-%dT%H:%M"),
        "screening": "The budget has only allowable costs.\nThe dates fit the period.",
        "screening_es": "El presupuesto tiene solo costos permitidos.\nLas fechas caben en el período.",
        "rubric": "Reaches new people | 30\nA clear plan | 20",
        "rubric_es": "Llega a personas nuevas\nUn plan claro",
        **changes,
    }


def test_staff_write_a_call_with_its_checklist_and_rubric(paula_client: Client) -> None:
    response = paula_client.post(NEW, call_form())

    call = Opportunity.objects.get()
    assert response.status_code == 302
    assert (call.title_es, call.maximum_amount, call.published_at) == (
        "Premios de alcance en salud",
        Decimal("5000.00"),
        None,
    )
    assert (call.eligible_types, call.eligible_states) == (
        ["public_library", "community_organization"],
        ["IL", "IN"],
    )
    assert [(item.text, item.text_es) for item in call.screening_items.all()] == [
        ("The budget has only allowable costs.", "El presupuesto tiene solo costos permitidos."),
        ("The dates fit the period.", "Las fechas caben en el período."),
    ]
    assert [(c.text, c.text_es, c.points) for c in call.rubric_criteria.all()] == [
        ("Reaches new people", "Llega a personas nuevas", 30),
        ("A clear plan", "Un plan claro", 20),
    ]
    assert "Health outreach awards" in paula_client.get("/funding/staff/").content.decode()


def test_the_form_comes_back_filled_to_change_an_unpublished_call(paula_client: Client) -> None:
    paula_client.post(NEW, call_form())
    call = Opportunity.objects.get()

    page = paula_client.get(f"/funding/staff/calls/{call.public_id}/edit/").content.decode()
    changed = paula_client.post(
        f"/funding/staff/calls/{call.public_id}/edit/", call_form(awards_available="6")
    )

    assert "Reaches new people | 30" in page
    assert changed.status_code == 302
    call.refresh_from_db()
    assert call.awards_available == 6
    assert call.rubric_criteria.count() == 2


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"eligible_states": "IL, XX"}, "Not a state code: XX."),
        ({"screening_es": "Solo una."}, "Give as many Spanish items as English ones (2)."),
        ({"rubric": "Reaches new people\nA clear plan | 20"}, "End each criterion with |"),
        ({"maximum_amount": "12.345"}, "2 decimal places"),
        ({"performance_end": "2027-04-01"}, "must end after it starts"),
        ({"deadline": "2020-01-01T17:00"}, "The deadline must be ahead."),
    ],
)
def test_a_call_the_rules_refuse_is_not_saved(
    paula_client: Client, changes: dict[str, Any], says: str
) -> None:
    response = paula_client.post(NEW, call_form(**changes))

    assert response.status_code == 400
    assert says in response.content.decode()
    assert not Opportunity.objects.exists()


def test_a_published_call_is_not_changed_here(paula_client: Client) -> None:
    call = OpportunityFactory.create(awards_available=3)

    response = paula_client.post(
        f"/funding/staff/calls/{call.public_id}/edit/", call_form(awards_available="9")
    )

    assert response.status_code == 302
    call.refresh_from_db()
    assert call.awards_available == 3


def test_only_program_staff_write_calls(alice_client: Client, visitor: Client) -> None:
    assert alice_client.post(NEW, call_form()).status_code == 403
    assert visitor.get(NEW).status_code == 302
    assert not Opportunity.objects.exists()
