"""The program kits' pages, rendered in Spanish for the people who use them, show no English
(as test_spanish_pages.py does for the main pages): the catalog, a kit's page with its calendar,
the reserve form with its errors, "My organization's kits", the kit desk and a reservation at
each stage of its workflow."""

import datetime
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from tapestry.accounts.api import Role
from tapestry.accounts.tests.factories import PASSWORD, UserFactory, totp_code_now
from tapestry.engagement.models import Kit, KitReservation, KitReturnItem
from tapestry.engagement.tests.factories import (
    KitFactory,
    member_organization_make,
    reservation_place,
)
from tapestry.network.models import Region, RegionSpecialist
from tests.i18n.english_leaks import english_leaks, english_words

pytestmark = pytest.mark.django_db

WORDS = english_words()


def _spanish(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    return client


@pytest.fixture
def world() -> dict[str, Any]:
    liaison = UserFactory.create(
        email="lucia@example.org", full_name="Lucía Ramírez", roles=[Role.LIAISON]
    )
    specialist = UserFactory.create(
        email="samuel@example.org",
        full_name="Samuel Okafor",
        roles=[Role.ENGAGEMENT_SPECIALIST],
        two_factor=True,
    )
    RegionSpecialist.objects.create(user=specialist, region=Region.objects.get(code="region-6"))
    library = member_organization_make(
        name="Biblioteca Pública de Pilsen", zip_code="60608", liaison=liaison
    )
    kit = KitFactory.create(slug="cuentos", name="Story kit", name_es="Kit de cuentos")
    held = KitFactory.create(slug="aire", name_es="Kit de calidad del aire", held=True)
    today = timezone.localdate()
    stages = {}
    for offset, status, which in (
        (20, "requested", kit),
        (80, "approved", kit),
        (-10, "shipped", held),
        (-80, "returned", held),
    ):
        stages[status] = reservation_place(
            kit=which,
            organization_id=library,
            requested_by=liaison,
            ship_date=today + datetime.timedelta(days=offset),
            status=status,
        )
    KitReturnItem.objects.create(
        reservation=stages["returned"], item=held.items.get(position=1), missing=1, damaged=0
    )
    liaison_client = _spanish(Client())
    liaison_client.force_login(liaison)
    specialist_client = _spanish(Client())
    cache.delete(f"allauth.mfa.totp.used?user={specialist.pk}&code={totp_code_now()}")
    specialist_client.post("/accounts/login/", {"login": specialist.email, "password": PASSWORD})
    specialist_client.post("/accounts/2fa/authenticate/", {"code": totp_code_now()})
    assert specialist_client.session["_auth_user_id"] == str(specialist.pk)
    return {
        "clients": {
            "visitor": _spanish(Client()),
            "liaison": liaison_client,
            "specialist": specialist_client,
        },
        "stages": {status: reservation.pk for status, reservation in stages.items()},
        "kit": kit,
    }


PAGES = [
    ("visitor", "/engagement/kits/", 200),
    ("visitor", "/engagement/kits/?q=nada", 200),
    ("visitor", "/engagement/kits/?topic=astrologia", 400),
    ("visitor", "/engagement/kits/cuentos/", 200),
    ("visitor", "/engagement/kits/aire/", 200),
    ("liaison", "/engagement/kits/cuentos/reserve/", 200),
    ("liaison", "/engagement/kits/mine/", 200),
    ("specialist", "/engagement/kits/desk/", 200),
    ("specialist", "/engagement/kits/desk/{requested}/", 200),
    ("specialist", "/engagement/kits/desk/{approved}/", 200),
    ("specialist", "/engagement/kits/desk/{shipped}/", 200),
    ("specialist", "/engagement/kits/desk/{returned}/", 200),
]


def _report(leaks: list[Any]) -> str:
    return "\n".join(f"{leak.word!r} in {leak.text!r}" for leak in leaks)


@pytest.mark.parametrize("visit", PAGES, ids=[f"{who}:{path}" for who, path, _ in PAGES])
def test_the_kit_page_in_spanish_shows_no_english(
    world: dict[str, Any], visit: tuple[str, str, int]
) -> None:
    persona, path, status = visit
    url = path.format(**world["stages"])

    response = world["clients"][persona].get(url)

    assert response.status_code == status
    assert response.headers["Content-Language"] == "es"
    leaks = english_leaks(response.text, words=WORDS, english_data=())
    assert not leaks, f"English on {url} as {persona}:\n{_report(leaks)}"


FORMS = [
    ("liaison", "/engagement/kits/cuentos/reserve/", {"ship_date": "2000-01-01"}, 400),
    ("liaison", "/engagement/kits/cuentos/reserve/", {"ship_date": "mañana"}, 400),
    ("specialist", "/engagement/kits/desk/{requested}/", {"action": "decide"}, 400),
    (
        "specialist",
        "/engagement/kits/desk/{requested}/",
        {"action": "decide", "decision": "decline"},
        400,
    ),
    ("specialist", "/engagement/kits/desk/{approved}/", {"action": "ship"}, 400),
    ("specialist", "/engagement/kits/desk/{shipped}/", {"action": "return", "notes": ""}, 302),
]


@pytest.mark.parametrize(
    "form", FORMS, ids=[f"{who}:{path}:{i}" for i, (who, path, *_) in enumerate(FORMS)]
)
def test_a_kit_form_with_errors_in_spanish_shows_no_english(
    world: dict[str, Any], form: tuple[str, str, dict[str, str], int]
) -> None:
    persona, path, data, status = form
    url = path.format(**world["stages"])
    if "organization" not in data and "reserve" in url:
        data = {**data, "organization": str(KitReservation.objects.all()[0].organization_id)}

    response = world["clients"][persona].post(url, data, follow=status == 302)

    assert response.status_code == (200 if status == 302 else status)
    leaks = english_leaks(response.text, words=WORDS, english_data=())
    assert not leaks, f"English on {url} as {persona}:\n{_report(leaks)}"


def test_the_kit_names_on_the_pages_are_the_spanish_ones(world: dict[str, Any]) -> None:
    page = world["clients"]["visitor"].get("/engagement/kits/").text

    assert "Kit de cuentos" in page
    assert "Story kit" not in page
    assert isinstance(world["kit"], Kit)
