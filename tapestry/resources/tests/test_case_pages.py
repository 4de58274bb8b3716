"""The "making the case" pages for libraries: the overview and one page per literacy, in
English and Spanish, each way to get involved leading to a live page, the published resources
of the literacy in the visitor's language, and words plain enough to meet the grade-8 target
the pages ask of everyone else."""

import datetime
import re
from typing import Any

import factory
import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from factory.django import DjangoModelFactory

from tapestry.accounts.tests.factories import UserFactory
from tapestry.resources import readability
from tapestry.resources.models import FocusArea, Kind, Resource, ResourceText
from tapestry.resources.views import case
from tests.i18n.english_leaks import english_leaks, english_words

pytestmark = pytest.mark.django_db

LANGUAGES = ["en", "es"]
SLUGS = ["diversity-in-research", "digital-literacy", "health-literacy", "precision-medicine",
         "community-science"]  # fmt: skip
PAGES = ["/resources/for-libraries/", *(f"/resources/for-libraries/{slug}/" for slug in SLUGS)]
CONTENT = case.content()


class ResourceFactory(DjangoModelFactory[Resource]):
    class Meta:
        model = Resource
        skip_postgeneration_save = True

    kind = Kind.HANDOUT
    created_by = factory.SubFactory(UserFactory)

    @factory.post_generation
    def focus_areas(self, create: Any, extracted: Any, **kwargs: Any) -> None:
        if create and extracted:
            self.focus_areas.set(FocusArea.objects.filter(slug__in=extracted))


class PublishedTextFactory(DjangoModelFactory[ResourceText]):
    class Meta:
        model = ResourceText

    resource = factory.SubFactory(ResourceFactory, focus_areas=["health-literacy"])
    language = "en"
    status = "published"
    title = factory.Sequence(lambda n: f"Working title {n}")
    slug = factory.Sequence(lambda n: f"text-{n}")
    author = factory.SubFactory(UserFactory)
    last_edited_by = factory.SelfAttribute("author")
    content_changed_at = factory.LazyFunction(timezone.now)
    published_title = factory.Sequence(lambda n: f"Published title {n}")
    published_summary = "What the public reads."
    published_at = factory.LazyFunction(timezone.now)


def _in(language: str, client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def _main(html: str) -> str:
    """The page's own content: inside <main>, without the breadcrumbs."""
    main = re.search(r"<main\b[^>]*>(.*)</main>", html, re.DOTALL)
    assert main is not None
    return re.sub(r"<nav\b.*?</nav>", " ", main.group(1), flags=re.DOTALL)


def _hrefs(html: str) -> list[str]:
    return re.findall(r'<a class="usa-link text-bold[^"]*" href="([^"]+)"', html)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_overview_shows_the_five_literacies_and_the_ways_to_get_involved(
    language: str, visitor: Client
) -> None:
    # When a visitor opens the overview in a language
    response = _in(language, visitor).get(reverse("resources:case_home"))

    # Then it is in that language, with a card per literacy and a link per way to get involved
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<html lang="{language}">' in html
    assert CONTENT.labels[language]["overview_title"] in html
    for area in FocusArea.objects.all():
        assert f'href="/resources/for-libraries/{area.slug}/">{area.name(language)}</a>' in html
    for action in CONTENT.actions:
        assert f'href="{reverse(action.url_name)}">{action.label[language]}</a>' in html
    assert _hrefs(html) == [
        "/network/join/",
        "/learning/",
        "/engagement/kits/",
        "/engagement/requests/new/",
        "/engagement/events/",
    ]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("slug", SLUGS)
def test_a_literacy_page_says_why_what_to_do_and_how_to_start(
    slug: str, language: str, visitor: Client
) -> None:
    literacy = CONTENT.literacies[slug]
    area = FocusArea.objects.get(slug=slug)

    response = _in(language, visitor).get(reverse("resources:case_literacy", args=[slug]))

    assert response.status_code == 200
    html = response.content.decode()
    assert f'<html lang="{language}">' in html
    assert f'<h1 class="margin-top-2">{area.name(language)}</h1>' in html
    assert literacy.why[language] in html
    for point in literacy.points[language]:
        assert f"<li>{point}</li>" in html
    assert len(_hrefs(html)) == len(literacy.action_keys)
    assert CONTENT.labels[language]["resources_none"] in html


def test_a_literacy_page_leads_to_events_and_kits_of_its_own_topic(visitor: Client) -> None:
    response = visitor.get(reverse("resources:case_literacy", args=["community-science"]))

    assert _hrefs(response.content.decode()) == [
        "/engagement/kits/?topic=citizen_science",
        "/learning/",
        "/engagement/events/?focus_area=citizen_science",
        "/engagement/requests/new/",
        "/network/join/",
    ]


@pytest.mark.parametrize("page", PAGES)
def test_every_call_to_action_leads_to_a_live_page_or_to_sign_in(
    page: str, visitor: Client
) -> None:
    # Given the links of a page into the platform's capabilities
    hrefs = _hrefs(visitor.get(page).content.decode())
    sign_in_first = {reverse(action.url_name) for action in CONTENT.actions if action.sign_in}
    assert len(hrefs) == 5

    # When an anonymous visitor follows each of them
    landings = {href: visitor.get(href, follow=True) for href in hrefs}

    # Then each answers 200, the capability itself or, where an account is needed, sign-in
    assert {href: response.status_code for href, response in landings.items()} == {
        href: 200 for href in hrefs
    }
    assert {href: response.request["PATH_INFO"] for href, response in landings.items()} == {
        href: reverse("account_login") if href in sign_in_first else href.split("?")[0]
        for href in hrefs
    }


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("page", PAGES)
def test_each_page_meets_the_plain_language_target(
    page: str, language: str, visitor: Client
) -> None:
    response = _in(language, visitor).get(page)

    text = readability.plain_text(_main(response.content.decode()))
    scores = readability.score(text, language=language)
    assert scores.meets_target, scores


@pytest.mark.parametrize("page", PAGES)
def test_the_spanish_pages_show_no_english(page: str, visitor: Client) -> None:
    response = _in("es", visitor).get(page)

    assert english_leaks(response.content.decode(), words=english_words()) == []


def test_an_unknown_literacy_is_not_found(visitor: Client) -> None:
    response = visitor.get("/resources/for-libraries/astrology/")

    assert response.status_code == 404


def test_a_literacy_page_lists_its_newest_published_resources_in_the_visitors_language(
    visitor: Client,
) -> None:
    # Given six published English texts in health literacy (and digital literacy), and texts that must not show
    now = timezone.now()
    shown = [
        PublishedTextFactory.create(
            published_at=now - datetime.timedelta(days=days),
            resource__focus_areas=["health-literacy", "digital-literacy"],
        )
        for days in range(6)
    ]
    PublishedTextFactory.create(published_at=None, status="draft", published_title="")
    PublishedTextFactory.create(language="es", published_title="Solo en español")
    PublishedTextFactory.create(
        resource=ResourceFactory.create(focus_areas=["digital-literacy"]),
        published_title="Another topic",
    )

    response = visitor.get(reverse("resources:case_literacy", args=["health-literacy"]))

    # Then the five newest show, by their published title and summary, with a link to all
    html = response.content.decode()
    titles = re.findall(
        r'<p class="margin-0 text-bold"><a class="usa-link" href="([^"]+)">([^<]+)</a></p>', html
    )
    assert titles == [
        (f"/resources/{text.resource_id}/en/", text.published_title) for text in shown[:5]
    ]
    assert html.count("What the public reads.") == 5
    assert "Working title" not in html
    assert "Solo en español" not in html
    assert "Another topic" not in html
    assert '<a class="usa-link" href="/resources/?area=health-literacy">' in html


def test_a_way_with_no_page_yet_says_coming_soon_without_a_link(
    visitor: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a way to get involved whose page does not exist yet
    planned = case.ActionEntry(
        key="handouts",
        url_name="",
        sign_in=False,
        label={"en": "Order printed handouts", "es": "Pida hojas impresas"},
        text={"en": "Boxes of handouts by mail.", "es": "Cajas de hojas por correo."},
    )
    with_planned = case.Content(
        labels=CONTENT.labels, actions=(*CONTENT.actions, planned), literacies=CONTENT.literacies
    )
    monkeypatch.setattr(case, "content", lambda: with_planned)

    response = visitor.get(reverse("resources:case_home"))

    html = response.content.decode()
    assert '<p class="margin-0 text-bold">Coming soon: Order printed handouts</p>' in html
    assert len(_hrefs(html)) == 5


def test_the_content_covers_every_literacy_in_both_languages() -> None:
    action_keys = {action.key for action in CONTENT.actions}
    assert set(CONTENT.literacies) == set(FocusArea.objects.values_list("slug", flat=True))
    assert [
        (
            slug,
            len(literacy.points["en"]),
            len(literacy.points["es"]),
            set(literacy.action_keys) == action_keys,
        )
        for slug, literacy in CONTENT.literacies.items()
    ] == [(slug, 4, 4, True) for slug in CONTENT.literacies]
    assert set(CONTENT.labels["en"]) == set(CONTENT.labels["es"])


def test_the_spanish_page_lists_the_spanish_resources(visitor: Client) -> None:
    # Given a resource in health literacy published in both languages
    english = PublishedTextFactory.create(published_title="Reading a medicine label")
    spanish = PublishedTextFactory.create(
        resource=english.resource,
        language="es",
        published_title="Cómo leer la etiqueta de un remedio",
        published_summary="Lo que dice cada parte.",
    )

    response = _in("es", visitor).get(reverse("resources:case_literacy", args=["health-literacy"]))

    html = response.content.decode()
    assert (
        f'<a class="usa-link" href="/resources/{spanish.resource_id}/es/">'
        "Cómo leer la etiqueta de un remedio</a>"
    ) in html
    assert "Lo que dice cada parte." in html
    assert "Reading a medicine label" not in html
    assert '<a class="usa-link" href="/resources/?area=health-literacy">' in html
