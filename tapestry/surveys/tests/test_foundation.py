"""Instruments from a spec, and the bulk responses the demo and benchmarks use."""

import pytest

from tapestry.accounts.tests.factories import UserFactory
from tapestry.surveys.demo import responses_generate
from tapestry.surveys.models import (
    AccessToken,
    Answer,
    Choice,
    Instrument,
    Question,
    Response,
    token_hash,
)
from tapestry.surveys.schemas import InstrumentSpec
from tapestry.surveys.selectors import instrument_spec, instrument_structure
from tapestry.surveys.services import SpecError, instrument_create, token_issue
from tapestry.surveys.tests.factories import instrument_make, sample_spec

pytestmark = pytest.mark.django_db


def test_an_instrument_made_from_a_spec_gives_the_same_spec_back() -> None:
    spec = InstrumentSpec.model_validate(sample_spec())

    instrument = instrument_create(spec=spec)

    again = instrument_spec(structure=instrument_structure(instrument=instrument))
    assert InstrumentSpec.model_validate(again) == spec
    assert instrument.status == Instrument.Status.DRAFT


def test_a_spec_with_a_condition_on_a_later_question_creates_nothing() -> None:
    spec = sample_spec()
    spec["sections"][0]["questions"][0]["show_if"] = {"op": "=", "question": "staff", "value": "3"}

    with pytest.raises(SpecError) as refused:
        instrument_create(spec=InstrumentSpec.model_validate(spec))

    assert refused.value.problems == [
        "role: the condition cannot be used: 'staff' is not a question that comes before this one."
    ]
    assert (Instrument.objects.count(), Question.objects.count(), Choice.objects.count()) == (
        0,
        0,
        0,
    )


def test_generated_responses_follow_the_branching() -> None:
    instrument = instrument_make()

    responses_generate(instrument=instrument, count=200, seed=1)

    assert Response.objects.filter(instrument=instrument).count() == 200
    topics_without_yes = Answer.objects.filter(question__code="topics").exclude(
        response__answers__question__code="offers_health", response__answers__choice__code="1"
    )
    assert not topics_without_yes.exists()
    assert Answer.objects.filter(question__code="topics").exists()


def test_an_anonymous_link_keeps_no_person_and_only_the_secrets_hash() -> None:
    instrument = instrument_make()
    person = UserFactory.create()

    secret = token_issue(
        instrument=instrument, subject_kind="event", subject_ref="42", person_id=person.pk
    )

    token = AccessToken.objects.get()
    assert (token.person_id, token.subject_kind, token.subject_ref) == (None, "event", "42")
    assert token.secret_hash == token_hash(secret) != secret


def test_a_link_name_the_site_uses_for_its_own_pages_is_refused() -> None:
    with pytest.raises(SpecError) as refused:
        instrument_create(spec=InstrumentSpec.model_validate(sample_spec(slug="Staff")))

    assert refused.value.problems == [
        "Staff is kept for the site's own pages; choose another link name."
    ]
    assert not Instrument.objects.exists()
