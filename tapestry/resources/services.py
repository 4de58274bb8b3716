"""Writes of the resources app: keyword-only `<entity>_<verb>` functions, each in a transaction,
each refusal a ResourceError whose message is safe to show the person (ADR 0027).

Who may do what: program staff, engagement specialists (the network's health educators) and
administrators write resources; program staff, reviewers and administrators review them, never
a text they wrote or last changed. A text moves draft → in review → published; any change of
its words sends it back to draft (the published copy stays up until the next publication).
Every save scores the words in their own language; publishing above the target needs a written
reason, a passing Clear Communication Index sheet from the reviewer, and alt text on every image.
"""

import csv
import re
from collections.abc import Iterable
from functools import cache
from html import escape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import nh3
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from tapestry.accounts.api import Person, Role, people_get, people_with_role, user_has_role
from tapestry.core.api import audit_record, email_send
from tapestry.resources import clear_communication, readability, search
from tapestry.resources.models import (
    MAX_BODY_CHARACTERS,
    MAX_SUMMARY_CHARACTERS,
    MAX_TITLE_CHARACTERS,
    Audience,
    ClearCommunicationReview,
    FocusArea,
    Kind,
    Language,
    Resource,
    ResourceEvent,
    ResourceText,
    Status,
)

FUNCTION_WORDS_FILE = Path(__file__).resolve().parent / "data" / "function_words.csv"
MINIMUM_REASON_CHARACTERS = 20
# Pasted HTML (from a word processor) shrinks a lot when cleaned, so the limit applies to the
# cleaned text; anything this much larger is refused before it is even cleaned.
MAX_PASTED_CHARACTERS = 4 * MAX_BODY_CHARACTERS
MAX_URL_CHARACTERS = 500


class ResourceError(Exception):
    """A request the resources app cannot carry out; the message is safe to show the person."""

    status = 400


class NotAllowed(ResourceError):
    status = 403


class WrongStatus(ResourceError):
    """The text is not in a status this step starts from (a stale page, a double submit)."""

    status = 409


class Invalid(ResourceError):
    """What was sent cannot be saved or published as it is; the message says why."""

    status = 400


def may_author(user: Any) -> bool:
    return user_has_role(user, Role.PROGRAM_STAFF, Role.ENGAGEMENT_SPECIALIST, Role.ADMINISTRATOR)


def _require_author(actor: Any) -> None:
    if not may_author(actor):
        raise NotAllowed(_("Only program staff and health educators may write resources."))


def may_review(user: Any) -> bool:
    return user_has_role(user, Role.PROGRAM_STAFF, Role.REVIEWER, Role.ADMINISTRATOR)


# --- what a text may contain ----------------------------------------------------------------

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "ul", "ol", "li", "h2", "h3", "h4", "a", "blockquote",
    "table", "thead", "tbody", "tr", "th", "td", "caption", "abbr", "img", "figure",
    "figcaption",
}  # fmt: skip


def html_clean(markup: str) -> str:
    """A text's HTML with only the tags a health page needs; scripts, styles and handlers go."""
    return nh3.clean(
        markup,
        tags=ALLOWED_TAGS,
        attributes={
            "a": {"href", "title"},
            "abbr": {"title"},
            "th": {"scope"},
            "img": {"src", "alt", "width", "height"},
            # `lang` marks a phrase in the other language so screen readers pronounce it.
            "*": {"lang"},
        },
        url_schemes={"https", "http", "mailto"},
        link_rel="noopener noreferrer",
    ).strip()


class _ImageChecker(HTMLParser):
    """Counts images without alternative text, and images kept on another site, reading
    attributes as a browser would (a pattern over the markup took `?alt='x'` inside an image's
    address for its alt text)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.without_alt = 0
        self.elsewhere = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "img":
            return
        attributes = dict(attrs)
        if not (attributes.get("alt") or "").strip():
            self.without_alt += 1
        source = attributes.get("src") or ""
        if not source.startswith("/") or source.startswith("//"):
            self.elsewhere += 1

    handle_startendtag = handle_starttag


def _images_checked(markup: str) -> _ImageChecker:
    checker = _ImageChecker()
    checker.feed(markup)
    checker.close()
    return checker


def images_without_alt(markup: str) -> int:
    """How many images in HTML have no alternative text (or only spaces)."""
    return _images_checked(markup).without_alt


@cache
def _function_words() -> dict[str, frozenset[str]]:
    with FUNCTION_WORDS_FILE.open(newline="", encoding="utf-8") as file:
        return {row["language"]: frozenset(row["words"].split()) for row in csv.DictReader(file)}


def language_detected(text: str) -> str | None:
    """The language a text reads as, from its most common little words; None when too short.

    Function words ("the", "of" / "el", "de") make up a third or more of running text in
    either language and hardly overlap, so comparing their shares tells the two apart reliably
    once there are a couple of dozen words.
    """
    words = re.findall(r"[^\W\d_]+", text.lower())
    if len(words) < 20:
        return None
    shares = {
        language: sum(word in vocabulary for word in words) / len(words)
        for language, vocabulary in _function_words().items()
    }
    best = max(shares, key=lambda language: shares[language])
    others = [share for language, share in shares.items() if language != best]
    return best if shares[best] >= 0.15 and shares[best] >= 2 * max(others) else None


def _words_of(text: ResourceText) -> str:
    return _reader_words(summary=text.summary, body=text.body, transcript=text.transcript)


def _reader_words(*, summary: str, body: str, transcript: str, title: str = "") -> str:
    # The title, summary and transcript are plain text: escaped, so a "<" in them is a
    # character, not the start of a tag that would swallow the words after it.
    return readability.plain_text(
        f"<p>{escape(title)}</p><p>{escape(summary)}</p>{body}<p>{escape(transcript)}</p>"
    )


def _score(text: ResourceText) -> None:
    result = readability.score(
        _words_of(text), language=text.language, critical=text.resource.critical
    )
    text.readability = {
        **result.as_dict(),
        "target_grade": result.target_grade,
        "words": result.words,
        "sentences": result.sentences,
    }
    text.meets_target = result.meets_target


def _too_long() -> Invalid:
    return Invalid(
        _("The text is too long: keep it under %(count)s characters, or split it in two.")
        % {"count": f"{MAX_BODY_CHARACTERS:,}"}
    )


def _cleaned_body(body: str) -> str:
    if len(body) > MAX_PASTED_CHARACTERS:
        raise _too_long()
    return html_clean(body)


_WEB_ADDRESS = URLValidator(schemes=["https", "http"])


def _check_url(url: str) -> None:
    # The address becomes a link on the public page: only web addresses, never javascript:.
    if not url:
        return
    try:
        _WEB_ADDRESS(url)
    except ValidationError as error:
        raise Invalid(_("Give a web address that starts with https:// (or http://).")) from error
    if len(url) > MAX_URL_CHARACTERS:
        raise Invalid(
            _("The address is too long: keep it under %(count)s characters.")
            % {"count": MAX_URL_CHARACTERS}
        )


def _check_words(
    *, language: str, title: str, summary: str, body: str, transcript: str, url: str = ""
) -> None:
    if not title.strip():
        raise Invalid(_("Give the resource a title."))
    if len(title.strip()) > MAX_TITLE_CHARACTERS:
        raise Invalid(
            _("The title is too long: keep it under %(count)s characters.")
            % {"count": MAX_TITLE_CHARACTERS}
        )
    if len(summary.strip()) > MAX_SUMMARY_CHARACTERS:
        raise Invalid(
            _("The summary is too long: keep it under %(count)s characters.")
            % {"count": MAX_SUMMARY_CHARACTERS}
        )
    if len(body) > MAX_BODY_CHARACTERS or len(transcript) > MAX_BODY_CHARACTERS:
        raise _too_long()
    _check_url(url)
    words = _reader_words(title=title, summary=summary, body=body, transcript=transcript)
    detected = language_detected(words)
    if detected is not None and detected != language:
        raise Invalid(
            _(
                "This text reads as %(detected)s but is marked %(marked)s. Mark it as "
                "%(detected)s, or check that the right text was pasted."
            )
            % {"detected": Language(detected).label, "marked": Language(language).label}
        )


def _slug_for(*, language: str, title: str, resource_id: int) -> str:
    base = slugify(title)[:100] or "resource"
    if not ResourceText.objects.filter(language=language, slug=base).exists():
        return base
    return f"{base}-{resource_id}"


def _event(text: ResourceText, action: str, actor: Any, note: str = "") -> None:
    ResourceEvent.objects.create(text=text, action=action, actor=actor, note=note)


# --- writing --------------------------------------------------------------------------------


def resource_create(
    *,
    actor: Any,
    kind: str,
    focus_areas: Iterable[str],
    audiences: Iterable[str],
    critical: bool,
    language: str,
    title: str,
    summary: str = "",
    body: str = "",
    transcript: str = "",
    url: str = "",
) -> ResourceText:
    """Start a resource with its first language's text, as a draft of `actor`'s."""
    _require_author(actor)
    if kind not in Kind.values or language not in Language.values:
        raise Invalid(_("Choose the kind of resource and its language."))
    with transaction.atomic():
        resource = Resource.objects.create(kind=kind, critical=critical, created_by=actor)
        _set_topics(resource, focus_areas=focus_areas, audiences=audiences)
        text = _text_create(
            actor=actor,
            resource=resource,
            language=language,
            title=title,
            summary=summary,
            body=body,
            transcript=transcript,
            url=url,
        )
        audit_record(actor=actor, action="resources.create", target=text, summary=text.title)
    return text


def _set_topics(
    resource: Resource, *, focus_areas: Iterable[str], audiences: Iterable[str]
) -> None:
    areas = list(FocusArea.objects.filter(slug__in=list(focus_areas)))
    if not areas:
        raise Invalid(_("Choose at least one focus area."))
    groups = list(Audience.objects.filter(slug__in=list(audiences)))
    if not groups:
        raise Invalid(_("Choose at least one audience."))
    resource.focus_areas.set(areas)
    resource.audiences.set(groups)


def _text_create(
    *,
    actor: Any,
    resource: Resource,
    language: str,
    title: str,
    summary: str,
    body: str,
    transcript: str,
    url: str,
) -> ResourceText:
    body = _cleaned_body(body)
    url = url.strip()
    _check_words(
        language=language, title=title, summary=summary, body=body, transcript=transcript, url=url
    )
    text = ResourceText(
        resource=resource,
        language=language,
        title=title.strip(),
        summary=summary.strip(),
        body=body,
        transcript=transcript.strip(),
        url=url.strip(),
        author=actor,
        last_edited_by=actor,
        content_changed_at=timezone.now(),
        slug=_slug_for(language=language, title=title, resource_id=resource.pk),
    )
    _score(text)
    try:
        with transaction.atomic():
            text.save()
    except IntegrityError as error:
        raise WrongStatus(_("This resource already has a text in that language.")) from error
    _event(text, ResourceEvent.Action.CREATED, actor)
    return text


def resource_update(
    *,
    actor: Any,
    resource: Resource,
    kind: str,
    focus_areas: Iterable[str],
    audiences: Iterable[str],
    critical: bool,
) -> Resource:
    """Change what a resource is and who it is for (not its words); rescores both texts when
    the target changes (critical instructions aim at grade 6)."""
    _require_author(actor)
    if kind not in Kind.values:
        raise Invalid(_("Choose the kind of resource."))
    with transaction.atomic():
        resource = Resource.objects.select_for_update().get(pk=resource.pk)
        resource.kind = kind
        resource.critical = critical
        resource.save(update_fields=["kind", "critical"])
        _set_topics(resource, focus_areas=focus_areas, audiences=audiences)
        for text in resource.texts.all():
            _score(text)
            text.save(update_fields=["readability", "meets_target", "updated_at"])
    return resource


def translation_add(
    *,
    actor: Any,
    resource: Resource,
    language: str,
    title: str,
    summary: str = "",
    body: str = "",
    transcript: str = "",
    url: str = "",
) -> ResourceText:
    """Add the resource's text in its other language, as a draft of `actor`'s."""
    _require_author(actor)
    if language not in Language.values:
        raise Invalid(_("Choose the language of the text."))
    with transaction.atomic():
        text = _text_create(
            actor=actor,
            resource=resource,
            language=language,
            title=title,
            summary=summary,
            body=body,
            transcript=transcript,
            url=url,
        )
        # Written from the other language as it stands now: that one is not behind it.
        resource.texts.exclude(pk=text.pk).update(in_step_confirmed_at=text.content_changed_at)
        audit_record(actor=actor, action="resources.translate", target=text, summary=text.title)
    return text


def text_save(
    *,
    actor: Any,
    text: ResourceText,
    title: str,
    summary: str,
    body: str,
    transcript: str = "",
    url: str = "",
) -> ResourceText:
    """Save new words for a text: cleaned, checked for language, scored. A change of words
    sends a text in review or published back to draft (the published copy stays up)."""
    _require_author(actor)
    body = _cleaned_body(body)
    url = url.strip()
    _check_words(
        language=text.language,
        title=title,
        summary=summary,
        body=body,
        transcript=transcript,
        url=url,
    )
    with transaction.atomic():
        text = ResourceText.objects.select_related("resource").select_for_update().get(pk=text.pk)
        new = {
            "title": title.strip(),
            "summary": summary.strip(),
            "body": body,
            "transcript": transcript.strip(),
            "url": url.strip(),
        }
        if all(getattr(text, field) == value for field, value in new.items()):
            return text
        for field, value in new.items():
            setattr(text, field, value)
        text.last_edited_by = actor
        text.content_changed_at = timezone.now()
        text.status = Status.DRAFT
        _score(text)
        text.save()
        _event(text, ResourceEvent.Action.EDITED, actor)
    return text


def _locked(text: ResourceText, *expected: str) -> ResourceText:
    text = ResourceText.objects.select_related("resource").select_for_update().get(pk=text.pk)
    if text.status not in expected:
        raise WrongStatus(
            _("This text is now “%(status)s”: reload the page to see its latest state.")
            % {"status": Status(text.status).label}
        )
    return text


def _missing_for_review(text: ResourceText) -> str | None:
    kind = text.resource.kind
    if kind in (Kind.ARTICLE, Kind.HANDOUT) and not readability.plain_text(text.body):
        return _("Write the text before sending it for review.")
    if kind in (Kind.VIDEO, Kind.LINK) and not text.url:
        return _("Give the address of the video or the page before sending it for review.")
    if kind == Kind.VIDEO and not text.transcript:
        return _("A video needs its transcript, for people who cannot hear or play it.")
    images = _images_checked(text.body)
    if images.without_alt:
        return _("Every image needs alternative text describing it for people who cannot see it.")
    if images.elsewhere:
        # The site's content security policy loads images from this site only, so that no
        # other site learns who reads which health page: an outside image would show broken.
        return _(
            "Every image must be kept on this site (an address starting with /). Images from "
            "other sites do not show here, so that no other site learns who reads the page."
        )
    return None


def text_submit(*, actor: Any, text: ResourceText) -> ResourceText:
    """Send a draft for review."""
    _require_author(actor)
    with transaction.atomic():
        text = _locked(text, Status.DRAFT)
        problem = _missing_for_review(text)
        if problem:
            raise Invalid(problem)
        text.status = Status.IN_REVIEW
        text.review_note = ""
        text.save(update_fields=["status", "review_note", "updated_at"])
        _event(text, ResourceEvent.Action.SUBMITTED, actor)
        _notify(
            text,
            people=_possible_reviewers(text, actor=actor),
            template="resources/email/review_requested",
        )
    return text


def _check_reviewer(actor: Any, text: ResourceText) -> None:
    if not may_review(actor):
        raise NotAllowed(_("Only program staff and reviewers may review resources."))
    if actor.pk in (text.author_id, text.last_edited_by_id):
        raise NotAllowed(_("Someone other than its author must review this text: ask a colleague."))


def text_return(*, actor: Any, text: ResourceText, note: str) -> ResourceText:
    """Send a text in review back to its author with a note of what to change."""
    with transaction.atomic():
        text = _locked(text, Status.IN_REVIEW)
        _check_reviewer(actor, text)
        if not note.strip():
            raise Invalid(_("Say what the author should change."))
        text.status = Status.DRAFT
        text.review_note = note.strip()
        text.save(update_fields=["status", "review_note", "updated_at"])
        _event(text, ResourceEvent.Action.RETURNED, actor, note.strip())
        _notify(
            text,
            people=people_get(user_ids={text.author_id, text.last_edited_by_id}),
            template="resources/email/returned",
            note=text.review_note,
        )
    return text


def clear_communication_record(
    *, actor: Any, text: ResourceText, answers: dict[str, str]
) -> ClearCommunicationReview:
    """The reviewer's Clear Communication Index score sheet for a text in review: an answer
    ("yes", "no" or "na") for each of the 20 items, keyed by item number as text."""
    with transaction.atomic():
        text = _locked(text, Status.IN_REVIEW)
        _check_reviewer(actor, text)
        try:
            result = clear_communication.score_sheet(answers)
        except clear_communication.SheetInvalid as error:
            raise Invalid(str(error)) from error
        sheet = ClearCommunicationReview.objects.create(
            text=text,
            reviewer=actor,
            answers={key: answers[key] for key in sorted(answers, key=int)},
            score=result.score,
            passed=result.passed,
        )
        _event(text, ResourceEvent.Action.SCORED, actor, f"{result.score}/100")
    return sheet


def latest_sheet(text: ResourceText) -> ClearCommunicationReview | None:
    """The score sheet that counts: the newest one filled in since the words last changed."""
    return (
        text.reviews.filter(created_at__gte=text.content_changed_at)
        .order_by("-created_at", "-pk")
        .first()
    )


def text_publish(*, actor: Any, text: ResourceText, above_target_reason: str = "") -> ResourceText:
    """Publish a text in review: someone other than its author, with a passing Clear
    Communication Index sheet, a written reason when it reads above its target, and alt text
    on every image. The public then reads this copy until the next publication."""
    reason = above_target_reason.strip()
    with transaction.atomic():
        text = _locked(text, Status.IN_REVIEW)
        _check_reviewer(actor, text)
        problem = _missing_for_review(text)
        if problem:
            raise Invalid(problem)
        sheet = latest_sheet(text)
        if sheet is None:
            raise Invalid(_("Fill in the Clear Communication Index score sheet first."))
        if not sheet.passed:
            raise Invalid(
                _(
                    "The Clear Communication Index score is %(score)s; a text needs %(passing)s "
                    "to be published. Return it to the author with what to change."
                )
                % {"score": sheet.score, "passing": clear_communication.PASSING_SCORE}
            )
        if not text.meets_target and len(reason) < MINIMUM_REASON_CHARACTERS:
            raise Invalid(
                _(
                    "This text reads above grade %(grade)s. Write why it should be published "
                    "anyway (at least %(count)s characters), or ask the author to simplify it."
                )
                % {
                    "grade": text.readability.get("target_grade"),
                    "count": MINIMUM_REASON_CHARACTERS,
                }
            )
        now = timezone.now()
        text.status = Status.PUBLISHED
        text.reviewer = actor
        text.above_target_reason = "" if text.meets_target else reason
        text.published_title = text.title
        text.published_summary = text.summary
        text.published_body = text.body
        text.published_transcript = text.transcript
        text.published_url = text.url
        text.published_readability = text.readability
        text.first_published_at = text.first_published_at or now
        text.published_at = now
        text.save()
        search.text_index(text)
        _event(text, ResourceEvent.Action.PUBLISHED, actor, text.above_target_reason)
        audit_record(actor=actor, action="resources.publish", target=text, summary=text.title)
        _notify(
            text,
            people=people_get(user_ids={text.author_id}),
            template="resources/email/published",
        )
    return text


def text_withdraw(*, actor: Any, text: ResourceText, reason: str) -> ResourceText:
    """Take a published text down from the public pages (its words stay, as a draft)."""
    if not may_review(actor):
        raise NotAllowed(_("Only program staff and reviewers may withdraw a resource."))
    if not reason.strip():
        raise Invalid(_("Say why the resource is withdrawn."))
    with transaction.atomic():
        text = ResourceText.objects.select_for_update().get(pk=text.pk)
        if not text.is_live:
            raise WrongStatus(_("This text is not published."))
        text.published_at = None
        text.status = Status.DRAFT
        text.save(update_fields=["published_at", "status", "updated_at"])
        search.text_remove(text)
        _event(text, ResourceEvent.Action.WITHDRAWN, actor, reason.strip())
        audit_record(actor=actor, action="resources.withdraw", target=text, summary=reason.strip())
    return text


def text_mark_in_step(*, actor: Any, text: ResourceText) -> ResourceText:
    """Confirm that a text needs no change after its other language changed."""
    _require_author(actor)
    with transaction.atomic():
        text = ResourceText.objects.select_for_update().get(pk=text.pk)
        text.in_step_confirmed_at = timezone.now()
        text.save(update_fields=["in_step_confirmed_at", "updated_at"])
        _event(text, ResourceEvent.Action.IN_STEP, actor)
    return text


def translation_out_of_date(text: ResourceText, other: ResourceText | None) -> bool:
    """Whether `text` is behind its other language: the other's words changed after its own
    last change and after anyone last confirmed it needs no change."""
    if other is None:
        return False
    own = max(filter(None, (text.content_changed_at, text.in_step_confirmed_at)))
    return other.content_changed_at > own


# --- who hears of it ------------------------------------------------------------------------


def _possible_reviewers(text: ResourceText, *, actor: Any) -> list[Person]:
    """Who may review the text: program staff and reviewers, not its author or last editor
    (who may not), nor the person who just sent it (who knows)."""
    excluded = {text.author_id, text.last_edited_by_id, actor.pk}
    found: dict[int, Person] = {}
    for role in (Role.PROGRAM_STAFF, Role.REVIEWER):
        for person in people_with_role(role=role):
            if person.id not in excluded:
                found[person.id] = person
    return sorted(found.values(), key=lambda person: person.email)


def staff_text_url(text_id: int) -> str:
    """The address of a text's staff page, for emails."""
    return settings.SITE_URL + reverse("resources:staff_text", kwargs={"text_id": text_id})


def _notify(text: ResourceText, *, people: Iterable[Person], template: str, note: str = "") -> None:
    """Email each person in their own language; `email_send` queues the message for after the
    transaction commits, so a refused or rolled-back step sends nothing."""
    for person in people:
        email_send(
            to=[person.email],
            template=template,
            context={
                "title": text.title,
                "text_language": Language(text.language).label,
                "note": note,
                "text_url": staff_text_url(text.pk),
            },
            language=person.language,
            recipient_name=person.name,
        )
