"""The "making the case" pages for libraries: why each of the five literacies matters to a
library's community, and the ways to get involved, each a link into the live capability.

The words are data (`data/making_the_case.toml`, English and Spanish side by side) and the page
shows the language of the request. A way to get involved with no page yet is marked "coming
soon" in the data and shown without a link.
"""

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from tapestry.resources.models import FocusArea, Language
from tapestry.resources.selectors import texts_published

CONTENT_FILE = Path(__file__).resolve().parents[1] / "data" / "making_the_case.toml"
TEMPLATES = "resources/case"
RESOURCES_SHOWN = 5
LANGUAGES = (Language.ENGLISH, Language.SPANISH)


@dataclass(frozen=True)
class ActionEntry:
    """A way to get involved as the data file gives it: its page and its words per language."""

    key: str
    url_name: str  # "" while the capability does not exist
    sign_in: bool
    label: dict[str, str]
    text: dict[str, str]


@dataclass(frozen=True)
class LiteracyEntry:
    """The case for one literacy as the data file gives it, per language."""

    slug: str
    action_keys: tuple[str, ...]
    queries: dict[str, str]  # action key: the filter added to its link
    why: dict[str, str]
    points: dict[str, tuple[str, ...]]


@dataclass(frozen=True)
class Content:
    labels: dict[str, dict[str, str]]
    actions: tuple[ActionEntry, ...]
    literacies: dict[str, LiteracyEntry]


@dataclass(frozen=True)
class Action:
    """A way to get involved, in one language, with the link it leads to ("" if none yet)."""

    key: str
    label: str
    text: str
    href: str
    sign_in: bool

    @property
    def coming_soon(self) -> bool:
        return not self.href


@cache
def content() -> Content:
    """The data file, read once."""
    with CONTENT_FILE.open("rb") as file:
        data = tomllib.load(file)
    return Content(
        labels={language: dict(data["labels"][language]) for language in LANGUAGES},
        actions=tuple(
            ActionEntry(
                key=action["key"],
                url_name=action["url_name"],
                sign_in=action["sign_in"],
                label={language: action[language]["label"] for language in LANGUAGES},
                text={language: action[language]["text"] for language in LANGUAGES},
            )
            for action in data["actions"]
        ),
        literacies={
            literacy["slug"]: LiteracyEntry(
                slug=literacy["slug"],
                action_keys=tuple(literacy["actions"]),
                queries=dict(literacy.get("query", {})),
                why={language: literacy[language]["why"] for language in LANGUAGES},
                points={language: tuple(literacy[language]["points"]) for language in LANGUAGES},
            )
            for literacy in data["literacies"]
        },
    )


def _language() -> str:
    return Language.SPANISH if get_language() == Language.SPANISH else Language.ENGLISH


def actions(language: str, *, queries: dict[str, str] | None = None) -> list[Action]:
    """Every way to get involved, in the data's order, with its link and an optional filter."""
    queries = queries or {}
    found = []
    for action in content().actions:
        href = reverse(action.url_name) if action.url_name else ""
        if href and action.key in queries:
            href = f"{href}?{queries[action.key]}"
        found.append(
            Action(
                key=action.key,
                label=action.label[language],
                text=action.text[language],
                href=href,
                sign_in=action.sign_in,
            )
        )
    return found


@require_GET
def case_home(request: HttpRequest) -> HttpResponse:
    language = _language()
    areas = [
        {"slug": area.slug, "name": area.name(language), "summary": area.summary(language)}
        for area in FocusArea.objects.filter(slug__in=content().literacies)
    ]
    return render(
        request,
        f"{TEMPLATES}/home.html",
        {"labels": content().labels[language], "areas": areas, "actions": actions(language)},
    )


@require_GET
def case_literacy(request: HttpRequest, slug: str) -> HttpResponse:
    language = _language()
    literacy = content().literacies.get(slug)
    area = FocusArea.objects.filter(slug=slug).first()
    if literacy is None or area is None:
        raise Http404
    by_key = {action.key: action for action in actions(language, queries=literacy.queries)}
    return render(
        request,
        f"{TEMPLATES}/literacy.html",
        {
            "labels": content().labels[language],
            "name": area.name(language),
            "summary": area.summary(language),
            "why": literacy.why[language],
            "points": literacy.points[language],
            "actions": [by_key[key] for key in literacy.action_keys],
            "resources": texts_published(language=language, area=slug)[:RESOURCES_SHOWN],
            "resources_href": f"{reverse('resources:home')}?area={slug}",
        },
    )


urlpatterns: list[URLPattern] = [
    path("for-libraries/", case_home, name="case_home"),
    path("for-libraries/<slug:slug>/", case_literacy, name="case_literacy"),
]
