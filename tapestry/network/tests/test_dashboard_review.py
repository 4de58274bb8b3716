"""The liaison's dashboard ("My Tapestry") says when the annual review is due."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

import pytest
from django.test import Client
from django.utils import timezone

from tapestry.network.models import Organization

if TYPE_CHECKING:
    from tapestry.accounts.api import User

pytestmark = pytest.mark.django_db


def _due_in(organization: Organization, days: int) -> None:
    due_on = timezone.localdate() + datetime.timedelta(days=days)
    Organization.objects.filter(pk=organization.pk).update(
        last_reviewed_on=due_on - datetime.timedelta(days=365)
    )


def _panel(response: Any) -> str:
    """The review panels: after the greeting, before the dashboard's cards."""
    return response.text.split('aria-labelledby="review-due-', 1)[1].split(
        '<ul class="usa-card-group">'
    )[0]


def _date(days: int, language: str) -> str:
    from django.utils import formats, translation

    with translation.override(language):
        return formats.date_format(
            timezone.localdate() + datetime.timedelta(days=days), "DATE_FORMAT"
        )


def test_the_dashboard_says_when_the_review_is_due_and_links_to_it(
    alice_client: Client, alice_library: Organization
) -> None:
    _due_in(alice_library, 10)

    response = alice_client.get("/me/")

    panel = _panel(response)
    assert "Annual review of Alice Memorial Library" in panel
    assert f"Due on {_date(10, 'en')}: 10 days left." in panel
    assert f'href="/network/organizations/{alice_library.pk}/review/"' in panel
    assert "Review the record of Alice Memorial Library" in panel


def test_one_day_left_reads_in_the_singular(
    alice_client: Client, alice_library: Organization
) -> None:
    _due_in(alice_library, 1)

    assert f"Due on {_date(1, 'en')}: 1 day left." in _panel(alice_client.get("/me/"))


def test_an_overdue_review_says_by_how_much(
    alice_client: Client, alice_library: Organization
) -> None:
    _due_in(alice_library, -3)

    assert f"It was due on {_date(-3, 'en')}: 3 days overdue." in _panel(alice_client.get("/me/"))


def test_the_review_panel_reads_in_spanish(
    alice_client: Client, alice_library: Organization, settings: Any
) -> None:
    _due_in(alice_library, 10)
    alice_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"

    panel = _panel(alice_client.get("/me/"))

    assert "Revisión anual de Alice Memorial Library" in panel
    assert f"Vence el {_date(10, 'es')}: quedan 10 días." in panel
    assert "Revisar el registro de Alice Memorial Library" in panel


def test_someone_who_is_liaison_for_nothing_sees_no_review_panel(
    bob_client: Client, alice_library: Organization
) -> None:
    response = bob_client.get("/me/")

    assert response.status_code == 200
    assert "Annual review of" not in response.text


def test_the_panel_lists_each_organization_of_a_liaison_with_two(
    alice_client: Client, alice_library: Organization, alice_liaison: User
) -> None:
    from tapestry.network.tests.factories import OrganizationFactory

    second = OrganizationFactory.create(name="Alice Branch Library", liaison=alice_liaison)
    _due_in(alice_library, 10)
    _due_in(second, 40)

    text = alice_client.get("/me/").text

    assert text.index("Annual review of Alice Memorial Library") < text.index(
        "Annual review of Alice Branch Library"
    )
