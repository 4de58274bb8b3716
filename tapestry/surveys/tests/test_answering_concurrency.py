"""Two submits at the same moment, in two threads with their own database connections: exactly
one response. PostgreSQL only (SQLite serializes writers on a file lock, so there is no race to
lose there; the sequential tests in test_answering*.py cover the same refusals)."""

import threading

import pytest
from django.db import connection

from tapestry.accounts.tests.factories import UserFactory
from tapestry.surveys.models import Draft, Instrument, Response
from tapestry.surveys.selectors import instrument_structure
from tapestry.surveys.services import (
    AlreadyAnswered,
    LinkUsed,
    SurveyError,
    answering_start,
    draft_for_person,
    draft_save,
    response_submit,
)
from tapestry.surveys.tests.factories import instrument_make
from tapestry.surveys.tests.test_answering import ABOUT_YOU, NEEDS

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="a real race needs two PostgreSQL sessions"
    ),
]


def filled(instrument: Instrument, draft: Draft) -> None:
    draft_save(
        draft=draft,
        structure=instrument_structure(instrument=instrument),
        answers={**ABOUT_YOU, **NEEDS},
        section_position=1,
        language="en",
    )


def race(instrument: Instrument, draft_pk: int) -> list[str]:
    """Submit the same draft from two threads released together; what each one got."""
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def submit() -> None:
        try:
            draft = Draft.objects.select_related("token", "person").get(pk=draft_pk)
            structure = instrument_structure(instrument=instrument)
            barrier.wait(timeout=10)
            response_submit(draft=draft, structure=structure, revision=1, language="en")
            outcomes.append("made")
        except SurveyError as error:
            outcomes.append(type(error).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return sorted(outcomes)


def test_two_submits_with_one_link_at_once_make_one_response() -> None:
    instrument = instrument_make()
    answering_start(instrument=instrument, language="en")
    draft = Draft.objects.get()
    filled(instrument, draft)

    assert race(instrument, draft.pk) == [LinkUsed.__name__, "made"]
    assert Response.objects.count() == 1


def test_two_submits_of_one_person_at_once_make_one_response() -> None:
    instrument = instrument_make(mode="identified", allow_multiple=True)
    person = UserFactory.create()
    draft = draft_for_person(instrument=instrument, person=person, language="en")
    filled(instrument, draft)

    assert race(instrument, draft.pk) == [AlreadyAnswered.__name__, "made"]
    assert Response.objects.count() == 1
