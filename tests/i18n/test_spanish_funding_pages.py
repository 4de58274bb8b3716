"""The Funding pages, rendered in Spanish for the people who use them, show no English.

The same scan as test_spanish_pages.py (english_leaks, the glossary's retired forms), over the
funding pages each persona opens: a library liaison (the calls, a draft, My applications, the
award), a reviewer (the queue and the score sheet) and program staff (the staff home, an
application, the award set-up and the dashboard). The records come from the funding test
factories and the shared personas; what an applicant typed is written in Spanish, as a
Spanish-speaking applicant would write it.
"""

import datetime
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import time_machine
from django.conf import settings
from django.test import Client

from tapestry.accounts.models import User

# The shared personas (tapestry/conftest.py), for this directory sits outside tapestry/.
from tapestry.conftest import (  # noqa: F401
    alice_liaison,
    alice_library,
    paula_program_staff,
    sign_in_with_code,
)
from tapestry.funding.models import Application, BudgetLine
from tapestry.funding.states import Status
from tapestry.funding.tests.factories import (
    OpportunityFactory,
    RubricCriterionFactory,
    ScreeningItemFactory,
)
from tapestry.funding.tests.factories_applicant import draft_make
from tapestry.funding.tests.factories_awards import AwardedApplicationFactory, award_make
from tapestry.funding.tests.factories_staff import (
    ApplicationFactory,
    AwardFactory,
    InvoiceFactory,
    in_review_make,
    reviewer_make,
    submitted_make,
)
from tapestry.network.models import Organization
from tests.i18n import catalog_check
from tests.i18n.english_leaks import Leak, english_leaks, english_words, visible_texts

pytestmark = pytest.mark.django_db

CHECK_TRANSLATIONS = catalog_check.load()
AVOIDED = CHECK_TRANSLATIONS.glossary_avoided_forms()
WORDS = english_words()
# Spanish dates abbreviate mayo as "may" ("1 may 2027", config/formats/es/), which the word
# list reads as English "may": such a date is taken out of the scan, the word elsewhere is not.
SPANISH_MAY_DATE = re.compile(r"\b\d{1,2} may \d{4}\b")
# People's and organizations' names are data, in no language.
NAMES = ("Alice Liaison", "Alice Memorial Library", "Paula Program", "Rita")


@dataclass(frozen=True)
class FundingWorld:
    """The clients and records the funding pages show."""

    clients: dict[str, Client]
    ids: dict[str, str]


@pytest.fixture(autouse=True)
def _mid_july() -> Iterator[None]:
    """Within the first award year, as the award pages' own tests are."""
    with time_machine.travel(
        datetime.datetime(2027, 7, 15, 12, 0, tzinfo=datetime.UTC), tick=False
    ):
        yield


def _spanish(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    return client


def _in_spanish(application: Application) -> Application:
    """What a Spanish-speaking applicant types: the project and its budget in Spanish."""
    Application.objects.filter(pk=application.pk).update(
        project_title="Feria de salud en la biblioteca",
        summary="Una feria un sábado con pruebas de detección y una clase de nutrición.",
    )
    for number, line in enumerate(BudgetLine.objects.filter(application=application), 1):
        line.description = f"Materiales para las pruebas, parte {number}"
        line.save(update_fields=["description"])
    application.refresh_from_db()
    return application


def _call(**fields: object) -> object:
    """A published call with a screening checklist and a rubric of two criteria."""
    call = OpportunityFactory.create(**fields)
    ScreeningItemFactory.create(opportunity=call)
    RubricCriterionFactory.create(opportunity=call, position=0)
    RubricCriterionFactory.create(
        opportunity=call,
        position=1,
        text="The budget is realistic.",
        text_es="El presupuesto es realista.",
        points=5,
    )
    return call


@pytest.fixture
def funding_world(
    alice_liaison: User,  # noqa: F811 (the shared personas, imported above)
    alice_library: Organization,  # noqa: F811
    paula_program_staff: User,  # noqa: F811
) -> FundingWorld:
    """Alice's library has a draft, an application in review and an award; Rita reviews;
    Paula is program staff; more applications and awards fill the dashboard."""
    rita = reviewer_make("rita@example.org", language="es")
    draft = _in_spanish(draft_make(liaison=alice_liaison, organization=alice_library))
    # The factories number awarded applications by a sequence, the service by primary key:
    # renumber these two so the application submitted below cannot take the same number.
    award = award_make(
        liaison=alice_liaison, organization_id=alice_library.pk, staff=paula_program_staff
    )
    Application.objects.filter(pk=award.application_id).update(tracking_number="F2027-700001")
    _in_spanish(award.application)
    InvoiceFactory.create(award=award, billing_month=datetime.date(2027, 5, 1))
    to_set_up = _in_spanish(
        AwardedApplicationFactory.create(
            organization_id=alice_library.pk,
            created_by=alice_liaison,
            tracking_number="F2027-700002",
        )
    )
    in_review = in_review_make(
        staff=paula_program_staff,
        application=_in_spanish(
            submitted_make(liaison=alice_liaison, organization=alice_library, opportunity=_call())
        ),
        reviewer=rita,
    )
    for number, status in enumerate((Status.SUBMITTED, Status.SCREENED, Status.DECLINED), 1):
        ApplicationFactory.create(
            status=status,
            opportunity=in_review.opportunity,
            project_title=f"Clases de nutrición en familia {number}",
        )
    AwardFactory.create(
        application__opportunity=in_review.opportunity,
        application__project_title="Biblioteca móvil de salud",
    )
    return FundingWorld(
        clients={
            "visitor": _spanish(Client()),
            "liaison": _signed_in_spanish(alice_liaison),
            "reviewer": sign_in_with_code(rita, _spanish(Client())),
            "program_staff": sign_in_with_code(paula_program_staff, _spanish(Client())),
        },
        ids={
            "call": str(in_review.opportunity.public_id),
            "draft": str(draft.public_id),
            "application": str(in_review.public_id),
            "award": str(award.public_id),
            "awarded": str(to_set_up.public_id),
        },
    )


def _signed_in_spanish(user: User) -> Client:
    client = _spanish(Client())
    client.force_login(user)
    return client


# (persona, path, expected status). Paths may name {call}, {draft}, {application}, {award}
# and {awarded} (an awarded application with no award yet).
PAGES = [
    ("visitor", "/funding/", 200),
    ("visitor", "/funding/calls/{call}/", 200),
    ("liaison", "/funding/", 200),
    ("liaison", "/funding/calls/{call}/", 200),
    ("liaison", "/funding/applications/", 200),
    ("liaison", "/funding/applications/{draft}/", 200),
    ("liaison", "/funding/applications/{draft}/submit/", 200),
    ("liaison", "/funding/applications/{draft}/withdraw/", 200),
    ("liaison", "/funding/applications/{application}/submitted/", 200),
    ("liaison", "/funding/awards/", 200),
    ("liaison", "/funding/awards/{award}/", 200),
    ("reviewer", "/funding/review/", 200),
    ("reviewer", "/funding/review/{application}/", 200),
    ("reviewer", "/funding/review/{application}/conflict/", 200),
    ("program_staff", "/funding/staff/", 200),
    ("program_staff", "/funding/staff/dashboard/", 200),
    ("program_staff", "/funding/staff/calls/new/", 200),
    ("program_staff", "/funding/staff/calls/{call}/applications/", 200),
    ("program_staff", "/funding/staff/applications/{application}/", 200),
    ("program_staff", "/funding/staff/applications/{awarded}/award/", 200),
    ("program_staff", "/funding/awards/", 200),
    ("program_staff", "/funding/awards/{award}/", 200),
]


def _page_id(visit: tuple[str, str, int]) -> str:
    persona, path, _status = visit
    return f"{persona}:{path}"


def _report(leaks: list[Leak]) -> str:
    return "\n".join(f"{leak.word!r} in {leak.text!r}" for leak in leaks)


def _off_glossary(html: str) -> list[str]:
    return [
        f"{text!r}: {problem}"
        for text in visible_texts(html)
        for problem in CHECK_TRANSLATIONS.style_problems(
            CHECK_TRANSLATIONS.Message(msgid="", msgstr=text), AVOIDED
        )
        if not problem.startswith("Title Case")  # names of places and libraries are capitalised
    ]


@pytest.mark.parametrize("visit", PAGES, ids=[_page_id(visit) for visit in PAGES])
def test_the_funding_page_in_spanish_shows_no_english(
    funding_world: FundingWorld, visit: tuple[str, str, int]
) -> None:
    persona, path, status = visit
    url = path.format(**funding_world.ids)

    response = funding_world.clients[persona].get(url, follow=True)

    assert response.status_code == status, response.content[:500]
    assert response.headers["Content-Language"] == "es"
    leaks = english_leaks(
        response.text,
        words=WORDS,
        english_data=NAMES + tuple(set(SPANISH_MAY_DATE.findall(response.text))),
    )
    assert not leaks, f"English on {url} as {persona}:\n{_report(leaks)}"
    off_glossary = _off_glossary(response.text)
    assert not off_glossary, f"Off-glossary Spanish on {url}:\n" + "\n".join(off_glossary)
