"""surveys.api: what learning, engagement and funding use to attach and send evaluations."""

import datetime
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone
from pytest_django.fixtures import Settings

from tapestry.accounts.tests.factories import UserFactory
from tapestry.surveys import api
from tapestry.surveys.demo import responses_generate
from tapestry.surveys.models import AccessToken, Attachment, Instrument, Response, token_hash
from tapestry.surveys.results import results_page
from tapestry.surveys.services import tallies_rebuild
from tapestry.surveys.tests.factories import instrument_make

pytestmark = pytest.mark.django_db


def _course_evaluation(**changes: Any) -> Instrument:
    return instrument_make(
        slug=changes.pop("slug", "course-eval"), purpose="course_evaluation", **changes
    )


def _secret(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


def test_evaluation_instruments_lists_only_published_instruments_of_the_purpose() -> None:
    published = _course_evaluation(title={"en": "Course feedback", "es": "Opinión del curso"})
    _course_evaluation(slug="draft-eval", status=Instrument.Status.DRAFT)
    instrument_make(slug="event-eval", purpose="event_evaluation")

    choices = api.evaluation_instruments(purpose="course_evaluation")

    assert choices == [
        api.EvaluationChoice(
            slug=published.slug,
            title_en="Course feedback",
            title_es="Opinión del curso",
            purpose="course_evaluation",
            anonymous=True,
        )
    ]
    assert choices[0].title("es") == "Opinión del curso"


def test_evaluation_instruments_refuses_an_unknown_purpose() -> None:
    with pytest.raises(api.SurveyError):
        api.evaluation_instruments(purpose="pizza")


def test_attaching_twice_replaces_the_first_evaluation() -> None:
    _course_evaluation(slug="first")
    _course_evaluation(slug="second")
    api.evaluation_attach(subject_kind="course", subject_ref="42", instrument_slug="first")

    choice = api.evaluation_attach(
        subject_kind="course", subject_ref="42", instrument_slug="second"
    )

    assert choice.slug == "second"
    assert api.evaluation_of(subject_kind="course", subject_ref="42") == choice
    assert Attachment.objects.count() == 1


@pytest.mark.parametrize(
    ("slug", "subject_kind"),
    [
        ("nothing-here", "course"),  # unknown
        ("draft-eval", "course"),  # not published
        ("event-eval", "course"),  # made for events
        ("course-eval", "webinar"),  # not a kind of subject
    ],
)
def test_attach_refuses_what_cannot_evaluate_the_subject(slug: str, subject_kind: str) -> None:
    _course_evaluation(slug="draft-eval", status=Instrument.Status.DRAFT)
    _course_evaluation()
    instrument_make(slug="event-eval", purpose="event_evaluation")

    with pytest.raises(api.SurveyError):
        api.evaluation_attach(subject_kind=subject_kind, subject_ref="42", instrument_slug=slug)

    assert Attachment.objects.count() == 0


def test_detach_removes_the_evaluation_and_says_whether_there_was_one() -> None:
    _course_evaluation()
    api.evaluation_attach(subject_kind="course", subject_ref="7", instrument_slug="course-eval")

    assert api.evaluation_detach(subject_kind="course", subject_ref="7") is True
    assert api.evaluation_detach(subject_kind="course", subject_ref="7") is False
    assert api.evaluation_of(subject_kind="course", subject_ref="7") is None
    assert Attachment.objects.count() == 0


def test_an_invitation_issues_a_one_time_link_for_the_subject_and_no_person_when_anonymous(
    django_capture_on_commit_callbacks: Any,
) -> None:
    instrument = _course_evaluation()
    learner = UserFactory.create(email="ana@example.org", full_name="Ana Torres")
    api.evaluation_attach(subject_kind="course", subject_ref="42", instrument_slug="course-eval")

    with django_capture_on_commit_callbacks(execute=True):
        url = api.evaluation_invite(
            subject_kind="course",
            subject_ref="42",
            email="ana@example.org",
            language="es",
            person_id=learner.pk,
        )

    assert url is not None
    secret = _secret(url)
    assert url == f"{settings.SITE_URL}/surveys/course-eval/r/{secret}/"
    token = AccessToken.objects.get()
    assert token.secret_hash == token_hash(secret)
    assert (token.instrument, token.subject_kind, token.subject_ref, token.person_id) == (
        instrument,
        "course",
        "42",
        None,
    )
    (message,) = mail.outbox
    assert message.to == ["ana@example.org"]
    assert url in message.body
    assert "Sus respuestas son anónimas" in message.body
    assert "Necesidades de información de salud" in message.subject


def test_an_identified_instrument_records_the_person_on_the_link(
    django_capture_on_commit_callbacks: Any,
) -> None:
    _course_evaluation(mode="identified")
    learner = UserFactory.create(email="ana@example.org")
    api.evaluation_attach(subject_kind="course", subject_ref="42", instrument_slug="course-eval")

    with django_capture_on_commit_callbacks(execute=True):
        api.evaluation_invite(
            subject_kind="course",
            subject_ref="42",
            email="ana@example.org",
            language="en",
            person_id=learner.pk,
        )

    assert AccessToken.objects.get().person_id == learner.pk
    (message,) = mail.outbox
    assert "anonymous" not in message.body


def test_an_invitation_says_when_the_survey_closes(django_capture_on_commit_callbacks: Any) -> None:
    instrument = _course_evaluation()
    instrument.closes_at = timezone.make_aware(datetime.datetime(2099, 3, 31, 12))
    instrument.save(update_fields=["closes_at"])
    api.evaluation_attach(subject_kind="course", subject_ref="42", instrument_slug="course-eval")

    with django_capture_on_commit_callbacks(execute=True):
        api.evaluation_invite(
            subject_kind="course", subject_ref="42", email="ana@example.org", language="en"
        )

    assert "The survey closes on 31 Mar 2099." in mail.outbox[0].body


def test_no_invitation_when_nothing_is_attached_or_the_window_is_closed(
    django_capture_on_commit_callbacks: Any,
) -> None:
    instrument = _course_evaluation()
    api.evaluation_attach(subject_kind="course", subject_ref="42", instrument_slug="course-eval")
    instrument.opens_at = timezone.now() - datetime.timedelta(days=30)
    instrument.closes_at = timezone.now() - datetime.timedelta(days=1)
    instrument.save(update_fields=["opens_at", "closes_at"])

    with django_capture_on_commit_callbacks(execute=True):
        closed = api.evaluation_invite(
            subject_kind="course", subject_ref="42", email="ana@example.org", language="en"
        )
        unattached = api.evaluation_invite(
            subject_kind="course", subject_ref="43", email="ana@example.org", language="en"
        )

    assert (closed, unattached) == (None, None)
    assert AccessToken.objects.count() == 0
    assert mail.outbox == []


def test_an_invitation_to_a_bad_address_is_refused_and_issues_nothing() -> None:
    _course_evaluation()
    api.evaluation_attach(subject_kind="course", subject_ref="42", instrument_slug="course-eval")

    with pytest.raises(api.SurveyError):
        api.evaluation_invite(
            subject_kind="course", subject_ref="42", email="not an address", language="en"
        )

    assert AccessToken.objects.count() == 0


def _responses_for(instrument: Instrument, *, subject_ref: str, count: int) -> None:
    responses_generate(instrument=instrument, count=count, seed=count)
    Response.objects.filter(instrument=instrument, subject_kind="").update(
        subject_kind="course", subject_ref=subject_ref
    )
    tallies_rebuild(instrument=instrument)  # the rows changed behind the tallies' back


def test_summary_hides_a_small_anonymous_count_and_shows_a_large_one() -> None:
    instrument = _course_evaluation()
    for ref in ("small", "middle", "large"):
        api.evaluation_attach(subject_kind="course", subject_ref=ref, instrument_slug="course-eval")
    _responses_for(instrument, subject_ref="small", count=4)
    _responses_for(instrument, subject_ref="middle", count=6)
    _responses_for(instrument, subject_ref="large", count=30)

    small = api.evaluation_summary(subject_kind="course", subject_ref="small")
    large = api.evaluation_summary(subject_kind="course", subject_ref="large")

    assert (small.responses, small.suppressed, small.small_cell) == (None, True, 5)
    assert (large.responses, large.suppressed) == (30, False)
    assert large.evaluation is not None and large.evaluation.slug == "course-eval"


def test_summary_hides_a_count_that_would_give_away_a_hidden_one_beside_the_total() -> None:
    # Two courses: 4 and 5 evaluations, and the results page shows the total of 9.
    instrument = _course_evaluation()
    api.evaluation_attach(subject_kind="course", subject_ref="small", instrument_slug="course-eval")
    api.evaluation_attach(subject_kind="course", subject_ref="other", instrument_slug="course-eval")
    _responses_for(instrument, subject_ref="small", count=4)
    _responses_for(instrument, subject_ref="other", count=5)

    other = api.evaluation_summary(subject_kind="course", subject_ref="other")

    # Showing 5 would give away the 4 (9 - 5), so it is hidden as the results hide it.
    assert other.responses is None
    assert results_page(instrument=instrument, language="en").responses.value == 9


def test_summary_shows_any_count_of_an_identified_instrument(settings: Settings) -> None:
    settings.SURVEYS_SMALL_CELL = 10
    instrument = _course_evaluation(mode="identified")
    api.evaluation_attach(subject_kind="course", subject_ref="9", instrument_slug="course-eval")
    _responses_for(instrument, subject_ref="9", count=3)

    summary = api.evaluation_summary(subject_kind="course", subject_ref="9")

    assert (summary.responses, summary.small_cell) == (3, 10)
