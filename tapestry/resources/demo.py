"""The resources' demo content (`manage.py resources_seed_demo`, part of `make demo`): health
information the team wrote in plain language, one TOML file per resource in `data/demo/`,
each in English and in Spanish, each text meeting its own readability target.

Every resource goes through the services as people would do it: the author (an engagement
specialist) writes the English, adds the Spanish and sends both for review; a reviewer who is
not the author fills in the Clear Communication Index sheet and publishes. Two resources are
left as work in progress, so the staff pages have something to show:

- `work_in_progress = "spanish_in_review"`: the English is published, the Spanish waits in
  review for a reviewer.
- `work_in_progress = "english_edited"`: both were published, then the English was changed
  (its `[en_update]` block) and published again, so the Spanish is out of date.

Safe to run again: a resource whose English text (found by the slug of its title) exists is
left as it is.
"""

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils.text import slugify

from tapestry.resources import clear_communication, readability, services
from tapestry.resources.models import Resource, ResourceText

DEMO_DIRECTORY = Path(__file__).resolve().parent / "data" / "demo"
SPANISH_IN_REVIEW = "spanish_in_review"
ENGLISH_EDITED = "english_edited"
WORK_IN_PROGRESS = (SPANISH_IN_REVIEW, ENGLISH_EDITED)
TEXT_FIELDS = ("title", "summary", "body", "transcript", "url")


@dataclass(frozen=True)
class DemoText:
    language: str
    title: str
    summary: str
    body: str
    transcript: str = ""
    url: str = ""

    def words(self) -> str:
        """The words the services score (`services._words_of`): summary, body, transcript."""
        return readability.plain_text(f"<p>{self.summary}</p>{self.body}{self.transcript}")

    def fields(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in TEXT_FIELDS}


@dataclass(frozen=True)
class DemoResource:
    name: str  # the file's name, without .toml
    kind: str
    focus_areas: tuple[str, ...]
    audiences: tuple[str, ...]
    critical: bool
    # The Clear Communication Index parts beyond the first 11 items that apply to it:
    # "behavior", "numbers", "risk" (the others are answered "not applicable").
    index_parts: tuple[str, ...]
    english: DemoText
    spanish: DemoText
    work_in_progress: str = ""
    english_update: DemoText | None = None
    texts: tuple[DemoText, ...] = field(default=())

    @property
    def english_slug(self) -> str:
        return slugify(self.english.title)[:100]


def _text(language: str, block: dict[str, Any]) -> DemoText:
    return DemoText(
        language=language,
        title=block["title"].strip(),
        summary=block["summary"].strip(),
        body=block["body"].strip(),
        transcript=" ".join(block.get("transcript", "").split()),
        url=block.get("url", "").strip(),
    )


def demo_resource_load(path: Path) -> DemoResource:
    with path.open("rb") as file:
        data = tomllib.load(file)
    english = _text("en", data["en"])
    spanish = _text("es", data["es"])
    update = None
    if "en_update" in data:
        update = _text("en", {**english.fields(), **data["en_update"]})
    work_in_progress = data.get("work_in_progress", "")
    if work_in_progress and work_in_progress not in WORK_IN_PROGRESS:
        raise ValueError(f"{path.name}: unknown work_in_progress {work_in_progress!r}")
    if (work_in_progress == ENGLISH_EDITED) != (update is not None):
        raise ValueError(f"{path.name}: an [en_update] block goes with english_edited")
    return DemoResource(
        name=path.stem,
        kind=data["kind"],
        focus_areas=tuple(data["focus_areas"]),
        audiences=tuple(data["audiences"]),
        critical=bool(data["critical"]),
        index_parts=tuple(data.get("index_parts", [])),
        english=english,
        spanish=spanish,
        work_in_progress=work_in_progress,
        english_update=update,
        texts=(english, spanish) + ((update,) if update else ()),
    )


def demo_resources(directory: Path = DEMO_DIRECTORY) -> list[DemoResource]:
    """Every demo resource, in the order of their file names."""
    return [demo_resource_load(path) for path in sorted(directory.glob("*.toml"))]


def index_answers(parts: tuple[str, ...]) -> dict[str, str]:
    """A reviewer's honest Clear Communication Index sheet for the demo's texts: the text has
    a main message up front, a call to action, lists and headings, but no picture (item 4);
    the parts on behavior, numbers and risk are answered when the text has them."""
    answers = {}
    for item in clear_communication.items():
        if item.applies != "always" and item.applies not in parts:
            answers[str(item.number)] = "na"
        elif item.number == 4:
            answers[str(item.number)] = "no"
        else:
            answers[str(item.number)] = "yes" if item.yes_scores else "no"
    return answers


def _review_and_publish(
    text: ResourceText, *, author: Any, reviewer: Any, parts: tuple[str, ...]
) -> None:
    text = services.text_submit(actor=author, text=text)
    services.clear_communication_record(actor=reviewer, text=text, answers=index_answers(parts))
    services.text_publish(actor=reviewer, text=text)


def _resource_seed(item: DemoResource, *, author: Any, reviewers: dict[str, Any]) -> None:
    english = services.resource_create(
        actor=author,
        kind=item.kind,
        focus_areas=item.focus_areas,
        audiences=item.audiences,
        critical=item.critical,
        language="en",
        **item.english.fields(),
    )
    _review_and_publish(english, author=author, reviewer=reviewers["en"], parts=item.index_parts)
    spanish = services.translation_add(
        actor=author, resource=english.resource, language="es", **item.spanish.fields()
    )
    if item.work_in_progress == SPANISH_IN_REVIEW:
        services.text_submit(actor=author, text=spanish)
        return
    _review_and_publish(spanish, author=author, reviewer=reviewers["es"], parts=item.index_parts)
    if item.english_update is not None:
        english = services.text_save(actor=author, text=english, **item.english_update.fields())
        _review_and_publish(
            english, author=author, reviewer=reviewers["en"], parts=item.index_parts
        )


def demo_resources_seed(*, author: Any, reviewers: dict[str, Any]) -> list[str]:
    """Write, review and publish the demo resources not there yet (`reviewers` by language:
    someone other than `author` who may review); returns what was done, line by line."""
    made = 0
    for item in demo_resources():
        if ResourceText.objects.filter(language="en", slug=item.english_slug).exists():
            continue
        with transaction.atomic():
            _resource_seed(item, author=author, reviewers=reviewers)
        made += 1
    total = Resource.objects.count()
    if not made:
        return [f"Resources: already there ({total} resources)."]
    return [f"Resources: {made} written in English and Spanish ({total} in all)."]
