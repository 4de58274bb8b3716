"""The main pages, rendered in Spanish for the people who use them, show no English.

Each page is fetched with the Django test client, as the persona who would see it, with Spanish
chosen; its visible and spoken text is scanned for common English words (english_words.txt).
A page fails with every English word it shows and the text around it, so a leak from a
template, a form, a choice list, a data name (a region, a state) or allauth shows where it is.
`scripts/check_translations.py` runs this file too.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.utils import timezone, translation

from tapestry.accounts.api import Role
from tapestry.accounts.models import User
from tapestry.accounts.tests.factories import totp_code_now
from tapestry.core.views import csrf_failure, error_400, error_403, error_500
from tapestry.learning import services as learning_services
from tapestry.learning.demo import courses_load
from tapestry.learning.models import Course, Lesson, Quiz
from tapestry.network.models import MembershipApplication, Organization
from tapestry.network.tests.factories import (
    PASSWORD,
    MembershipApplicationFactory,
    OrganizationFactory,
    RegionSpecialistFactory,
    UserFactory,
    region,
)
from tapestry.research.models import ConceptSummary, Domain
from tapestry.research.tests.factories import (
    CategorySummaryFactory,
    ConceptSummaryFactory,
    DomainSummaryFactory,
    EnrollmentSummaryFactory,
    ReleaseFactory,
    SurveyQuestionSummaryFactory,
)
from tapestry.surveys.demo import responses_generate
from tapestry.surveys.models import Instrument
from tapestry.surveys.services import instrument_from_template
from tests.i18n import catalog_check
from tests.i18n.english_leaks import Leak, english_leaks, english_words, visible_texts

pytestmark = pytest.mark.django_db


CHECK_TRANSLATIONS = catalog_check.load()
AVOIDED = CHECK_TRANSLATIONS.glossary_avoided_forms()
WORDS = english_words()
# Concept names come from SNOMED and LOINC, which have them in English only. The pages mark
# them lang="en" (asserted below); the document <title> and an SVG <title> cannot be marked.
CONCEPT_NAMES = ("Type 2 diabetes mellitus", "Hemoglobin A1c")


@dataclass(frozen=True)
class World:
    """The people and records the pages show, made once per test."""

    clients: dict[str, Client]
    library: Organization
    application: MembershipApplication
    concept: ConceptSummary
    survey: Instrument
    lesson: int
    quiz: int


def _spanish_client(user: User | None) -> Client:
    """A browser with Spanish chosen, signed in as `user` (None: a visitor).

    A person with an authenticator signs in as a person does, password then code: staff pages
    need a session that completed two-factor sign-in (accounts.middleware), and a session made
    with `force_login` would be sent back to the sign-in page.
    """
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    if user is None:
        return client
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        client.force_login(user)
        return client
    # allauth refuses a code used twice; two people may sign in within one 30-second window.
    cache.delete(f"allauth.mfa.totp.used?user={user.pk}&code={totp_code_now()}")
    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert response["Location"] == "/accounts/2fa/authenticate/", response.content[:500]
    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code_now()})
    assert response.status_code == 302, response.content[:500]
    assert client.session["_auth_user_id"] == str(user.pk)
    return client


def _research_release() -> ConceptSummary:
    """A ready release with a condition, a measurement and two sites' enrollment."""
    release = ReleaseFactory.create(version="R2025-03", cutoff_date=datetime.date(2024, 12, 31))
    for domain, participants, concepts in [
        (Domain.VISIT, 12_001, 6),
        (Domain.CONDITION, 9_876, 120),
        (Domain.MEASUREMENT, 8_001, 80),
    ]:
        DomainSummaryFactory.create(
            release=release, domain=domain, participants=participants, concepts=concepts
        )
    ConceptSummaryFactory.create(
        release=release, measurement=True, concept_id=3004410, name="Hemoglobin A1c"
    )
    SurveyQuestionSummaryFactory.create(release=release)
    for index in range(12):
        month = datetime.date(2024, index + 1, 1)
        for site, site_name in [("chicago", "Chicago, IL"), ("detroit", "Detroit, MI")]:
            EnrollmentSummaryFactory.create(
                release=release, site=site, site_name=site_name, month=month
            )
    for site in ("chicago", "detroit"):
        for category in ("race_ethnicity", "income"):
            CategorySummaryFactory.create(
                release=release, site=site, category=category, participants=300
            )
    return ConceptSummaryFactory.create(
        release=release, concept_id=201826, name="Type 2 diabetes mellitus", code="44054006"
    )


@pytest.fixture
def world() -> World:
    """Spanish-reading personas: a liaison with a library, an applicant with a pending
    application in Region 6, that region's engagement specialist, program staff and a
    community partner; and a research release for the Data Browser and the dashboard."""
    lucia = UserFactory.create(
        email="lucia@example.org",
        full_name="Lucía Ramírez",
        preferred_language="es",
        roles=[Role.LIAISON],
    )
    mateo = UserFactory.create(
        email="mateo@example.org", full_name="Mateo Herrera", preferred_language="es"
    )
    samuel = UserFactory.create(
        email="samuel@example.org",
        full_name="Samuel Okafor",
        preferred_language="es",
        roles=[Role.ENGAGEMENT_SPECIALIST],
        two_factor=True,
    )
    RegionSpecialistFactory.create(user=samuel, region=region("region-6"))
    dana = UserFactory.create(
        email="dana@example.org",
        full_name="Dana Whitfield",
        preferred_language="es",
        roles=[Role.PROGRAM_STAFF],
        two_factor=True,
    )
    rosa = UserFactory.create(
        email="rosa@example.org",
        full_name="Rosa Delgado",
        preferred_language="es",
        roles=[Role.COMMUNITY_PARTNER],
    )
    library = OrganizationFactory.create(
        name="Biblioteca Pública de Santa Fe",
        address_line1="Calle Alameda 120",
        zip_code="87501",
        phone="505-555-0100",
        liaison=lucia,
        liaison_name="Lucía Ramírez",
        liaison_email="lucia@example.org",
        services={"reference": ["public", "affiliated"], "collections": ["public"]},
    )
    # A second page of results in the directory (20 to a page).
    for number in range(1, 21):
        OrganizationFactory.create(
            name=f"Biblioteca Municipal {number}",
            address_line1=f"Calle Mayor {number}",
            zip_code="60601",
            liaison_name="Carmen Ortiz",
            liaison_email="carmen@example.org",
        )
    MembershipApplicationFactory.create(
        applicant=mateo,
        name="Centro Comunitario de Salud",
        zip_code="60601",
        status=MembershipApplication.Status.REJECTED,
        decision_reason="Ya es miembro por medio de la biblioteca del condado.",
        decided_by=samuel,
        decided_at=timezone.now(),
    )
    application = MembershipApplicationFactory.create(
        applicant=mateo,
        name="Biblioteca Comunitaria de Evanston",
        address_line1="Avenida Sherman 1703",
        zip_code="60201",
        liaison_name="Mateo Herrera",
        liaison_email="mateo@example.org",
    )
    return World(
        clients={
            "visitor": _spanish_client(None),
            "liaison": _spanish_client(lucia),
            "applicant": _spanish_client(mateo),
            "specialist": _spanish_client(samuel),
            "program_staff": _spanish_client(dana),
            "community_partner": _spanish_client(rosa),
        },
        library=library,
        application=application,
        concept=_research_release(),
        survey=_survey(),
        **_training(rosa_id=rosa.pk),
    )


def _training(*, rosa_id: int) -> dict[str, int]:
    """The demo courses, and Rosa half-way through the Spanish one."""
    courses_load()
    course = Course.objects.get(slug=SPANISH_COURSE)
    enrollment = learning_services.course_enroll(user_id=rosa_id, course=course)
    lesson = Lesson.objects.filter(module__course=course).order_by("module__position", "position")[
        0
    ]
    learning_services.lesson_open(enrollment=enrollment, lesson=lesson)
    quiz = Quiz.objects.filter(module__course=course).first()
    assert quiz is not None
    return {"lesson": lesson.pk, "quiz": quiz.pk}


SPANISH_COURSE = "alfabetizacion-en-salud-basica"


def _survey() -> Instrument:
    """The shipped needs assessment, published, with responses in both languages."""
    survey = instrument_from_template(name="library-health-needs", publish=True)
    responses_generate(instrument=survey, count=60, seed=5)
    return survey


# (persona, path, expected status). Paths may name {library}, {application} and {concept}.
PAGES = [
    ("visitor", "/", 200),
    ("visitor", "/network/", 200),
    ("visitor", "/network/?state=IL&service=reference&audience=public", 200),
    ("visitor", "/network/?near=99999", 400),
    ("visitor", "/network/?near=87505&radius_miles=25", 200),
    ("visitor", "/network/?page=2", 200),
    ("visitor", "/network/organizations/{library}/", 200),
    ("visitor", "/network/regions/", 200),
    ("visitor", "/network/regions/?map=eight-regions-2016", 200),
    ("visitor", "/accounts/login/", 200),
    ("visitor", "/accounts/signup/", 200),
    ("visitor", "/accounts/password/reset/", 200),
    ("visitor", "/accounts/password/reset/done/", 200),
    ("visitor", "/network/join/", 200),
    ("visitor", "/data/", 200),
    ("visitor", "/data/concepts/?q=diabetes", 200),
    ("visitor", "/data/concepts/{concept}/", 200),
    ("visitor", "/data/concepts/3004410/", 200),
    ("visitor", "/data/surveys/", 200),
    ("visitor", "/data/surveys/education/", 200),
    ("visitor", "/no-such-page/", 404),
    ("visitor", "/accounts/confirm-email/", 200),
    ("liaison", "/me/", 200),
    ("liaison", "/accounts/email/", 200),
    ("liaison", "/accounts/password/change/", 200),
    ("liaison", "/accounts/logout/", 200),
    ("liaison", "/accounts/2fa/", 200),
    ("liaison", "/accounts/2fa/totp/activate/", 200),
    ("liaison", "/me/profile/", 200),
    ("liaison", "/network/organizations/{library}/review/", 200),
    ("applicant", "/network/join/", 200),
    ("applicant", "/network/my-applications/", 200),
    ("applicant", "/network/specialist/", 403),
    ("community_partner", "/me/", 200),
    ("community_partner", "/me/api-tokens/", 200),
    ("specialist", "/me/", 200),
    ("specialist", "/accounts/2fa/", 200),
    ("specialist", "/accounts/2fa/recovery-codes/generate/", 200),
    ("specialist", "/accounts/2fa/totp/deactivate/", 200),
    ("specialist", "/network/specialist/", 200),
    ("specialist", "/network/specialist/applications/{application}/", 200),
    ("program_staff", "/network/", 200),
    ("program_staff", "/research/diversity/", 200),
    ("visitor", "/surveys/library-health-needs/", 200),
    ("visitor", "/surveys/library-health-needs/poster/", 200),
    ("program_staff", "/surveys/staff/", 200),
    ("program_staff", "/surveys/staff/{survey}/", 200),
    ("program_staff", "/surveys/staff/{survey}/translation/", 200),
    ("program_staff", "/surveys/staff/library-health-needs/results/", 200),
    ("program_staff", "/surveys/staff/library-health-needs/results/?breakdown=language", 200),
    ("program_staff", "/surveys/staff/import/", 200),
    ("visitor", "/learning/?language=es", 200),
    ("visitor", f"/learning/courses/{SPANISH_COURSE}/", 200),
    ("visitor", "/learning/verify/", 200),
    ("community_partner", "/learning/mine/", 200),
    ("community_partner", f"/learning/courses/{SPANISH_COURSE}/", 200),
    ("community_partner", f"/learning/courses/{SPANISH_COURSE}/lessons/{{lesson}}/", 200),
    ("community_partner", f"/learning/courses/{SPANISH_COURSE}/quizzes/{{quiz}}/", 200),
    ("community_partner", "/learning/credit/", 200),
    ("community_partner", "/learning/profile/", 200),
    ("program_staff", "/learning/staff/", 200),
    ("program_staff", "/learning/staff/requirements/", 200),
    ("program_staff", "/learning/staff/audit/", 200),
    ("program_staff", "/learning/staff/archive/", 200),
    # Community engagement: events
    ("visitor", "/engagement/events/", 200),
    ("visitor", "/engagement/events/?near=99999&radius_miles=900", 400),
    ("visitor", "/engagement/events/?near=60601&radius_miles=250&language=es", 200),
    ("visitor", "/engagement/events/registration/confirm/not-a-link/", 404),
    ("liaison", "/engagement/events/mine/", 200),
    ("liaison", "/engagement/events/new/", 200),
    # Community engagement: activity reports and engagement requests
    ("liaison", "/engagement/reports/", 200),
    ("liaison", "/engagement/reports/new/", 200),
    ("specialist", "/engagement/reports/review/", 200),
    ("liaison", "/engagement/requests/", 200),
    ("liaison", "/engagement/requests/new/", 200),
]


def _identifiers(survey: Instrument) -> tuple[str, ...]:
    """What staff pages show as it is, in no language: the survey's link name, its variable
    names and choice codes (REDCap's), and the time zone's name."""
    questions = survey.questions.all()
    return (
        survey.slug,
        settings.TIME_ZONE,
        *(question.code for question in questions),
        *(choice.code for question in questions for choice in question.choices.all()),
    )


def _page_id(visit: tuple[str, str, int]) -> str:
    persona, path, _status = visit
    return f"{persona}:{path}"


def _report(leaks: list[Leak]) -> str:
    """One line per English word, with the text around it."""
    return "\n".join(f"{leak.word!r} in {leak.text!r}" for leak in leaks)


def _off_glossary(html: str) -> list[str]:
    """The page's texts that use a form docs/glossary-es.md retires, with the reason.

    This catches upstream Spanish (allauth's, Django's) that no catalog entry of ours covers.
    """
    return [
        f"{text!r}: {problem}"
        for text in visible_texts(html)
        for problem in CHECK_TRANSLATIONS.style_problems(
            CHECK_TRANSLATIONS.Message(msgid="", msgstr=text), AVOIDED
        )
        if not problem.startswith("Title Case")  # names of places and libraries are capitalised
    ]


# The parameters are not called `page`: that is pytest-playwright's browser-page fixture.
@pytest.mark.parametrize("visit", PAGES, ids=[_page_id(visit) for visit in PAGES])
def test_the_page_in_spanish_shows_no_english(world: World, visit: tuple[str, str, int]) -> None:
    persona, path, status = visit
    url = path.format(
        library=world.library.pk,
        application=world.application.pk,
        concept=world.concept.concept_id,
        survey=world.survey.pk,
        lesson=world.lesson,
        quiz=world.quiz,
    )

    response = world.clients[persona].get(url, follow=True)

    assert response.status_code == status
    assert response.headers["Content-Language"] == "es"
    leaks = english_leaks(
        response.text, words=WORDS, english_data=CONCEPT_NAMES + _identifiers(world.survey)
    )
    assert not leaks, f"English on {url} as {persona}:\n{_report(leaks)}"
    off_glossary = _off_glossary(response.text)
    assert not off_glossary, f"Off-glossary Spanish on {url}:\n" + "\n".join(off_glossary)


# (persona, path, form data, expected status): forms sent back with their errors.
FORMS_WITH_ERRORS = [
    ("visitor", "/accounts/login/", {"login": "rosa@example.org", "password": "wrong"}, 200),
    ("visitor", "/accounts/login/", {"login": "not an address", "password": ""}, 200),
    (
        "visitor",
        "/accounts/signup/",
        {"email": "rosa@example.org", "password1": "1234", "password2": "5678"},
        200,
    ),
    ("visitor", "/accounts/password/reset/", {"email": "not an address"}, 200),
    ("applicant", "/network/join/", {"name": "", "zip_code": "99999", "website": "x"}, 400),
    ("liaison", "/network/organizations/{library}/review/", {"zip_code": "60601"}, 400),
    ("liaison", "/accounts/password/change/", {"oldpassword": "wrong"}, 200),
    ("community_partner", "/me/api-tokens/", {"name": ""}, 400),
    ("specialist", "/network/specialist/applications/{application}/", {"decision": ""}, 400),
    ("liaison", "/engagement/events/new/", {"title": "", "zip_code": "99999"}, 400),
    (
        "liaison",
        "/engagement/reports/new/",
        {
            "title": "",
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "0",
            "form-0-participants": "muchos",
            "form-0-zip_code": "99999",
            "form-0-role": "student",
        },
        400,
    ),
    ("liaison", "/engagement/requests/new/", {"audience": "", "preferred_date_1": "x"}, 400),
]


@pytest.mark.parametrize(
    "form", FORMS_WITH_ERRORS, ids=[f"{persona}:{path}" for persona, path, *_ in FORMS_WITH_ERRORS]
)
def test_a_form_with_errors_in_spanish_shows_no_english(
    world: World, form: tuple[str, str, dict[str, str], int]
) -> None:
    persona, path, data, status = form
    url = path.format(library=world.library.pk, application=world.application.pk)

    response = world.clients[persona].post(url, data)

    assert response.status_code == status
    leaks = english_leaks(response.text, words=WORDS)
    assert not leaks, f"English on {url} as {persona}:\n{_report(leaks)}"
    off_glossary = _off_glossary(response.text)
    assert not off_glossary, f"Off-glossary Spanish on {url}:\n" + "\n".join(off_glossary)


@pytest.mark.parametrize("path", ["/data/", "/data/concepts/?q=diabetes", "/research/diversity/"])
def test_the_research_pages_before_the_first_release_show_no_english(path: str) -> None:
    program_staff = UserFactory.create(
        preferred_language="es", roles=[Role.PROGRAM_STAFF], two_factor=True
    )

    response = _spanish_client(program_staff).get(path)

    assert response.status_code == 200
    assert not english_leaks(response.text, words=WORDS), _report(
        english_leaks(response.text, words=WORDS)
    )
    assert not _off_glossary(response.text)


def test_the_second_factor_page_in_spanish_shows_no_english(world: World) -> None:
    visitor = world.clients["visitor"]
    assert Authenticator.objects.filter(user__email="samuel@example.org").exists()

    response = visitor.post(
        "/accounts/login/",
        {"login": "samuel@example.org", "password": PASSWORD},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == "/accounts/2fa/authenticate/"
    assert not english_leaks(response.text, words=WORDS)
    assert not _off_glossary(response.text)
    assert (
        "Su cuenta está protegida con la verificación en dos pasos. Por favor, introduzca el "
        "código de su aplicación de autenticación:"
    ) in response.text


ERROR_PAGES: dict[str, tuple[Callable[[HttpRequest], HttpResponse], int]] = {
    "bad request": (error_400, 400),
    "forbidden": (error_403, 403),
    "form expired (CSRF)": (csrf_failure, 403),
    "server error": (error_500, 500),
}


@pytest.mark.parametrize("error_page", list(ERROR_PAGES))
def test_the_error_pages_in_spanish_show_no_english(error_page: str) -> None:
    handler, status = ERROR_PAGES[error_page]
    request = RequestFactory().get("/")
    with translation.override("es"):
        response = handler(request)

    assert response.status_code == status
    leaks = english_leaks(response.content.decode(), words=WORDS)
    assert not leaks, _report(leaks)
    assert not _off_glossary(response.content.decode())


def test_english_concept_names_are_marked_as_english_on_spanish_pages(world: World) -> None:
    visitor = world.clients["visitor"]

    search = visitor.get("/data/concepts/?q=diabetes")
    concept = visitor.get("/data/concepts/201826/")

    assert '<a class="usa-link" lang="en" href="/data/concepts/201826/">' in search.text
    assert '<h1 lang="en">Type 2 diabetes mellitus</h1>' in concept.text
    assert '<span lang="en">Type 2 diabetes mellitus</span>' in concept.text


def test_the_scanner_finds_english_and_spares_spanish_and_marked_english() -> None:
    html = (
        '<html lang="es"><head><title>Inicio</title><script>let the = 1;</script></head>'
        "<body><h1>Explorador de datos</h1><p>Please sign in</p>"
        '<p lang="en">Type 2 diabetes mellitus</p><img alt="Map of regions">'
        '<input type="hidden" value="the"><input type="submit" value="Search"><br>'
        "<code>Authorization: Bearer</code><p>Miles de participantes</p>"
        "<svg><text>OR</text><rect /></svg><p>Type 2 diabetes mellitus</p></body></html>"
    )

    leaks = english_leaks(html, words=WORDS, english_data=("diabetes mellitus",))

    assert [leak.word for leak in leaks] == [
        "Please", "sign", "in", "Map", "of", "regions", "Search", "Type",
    ]  # fmt: skip
