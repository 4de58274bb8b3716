"""The results tallies kept at each submission say exactly what counting every answer says."""

import io
import random

import pytest
from django.core.management import CommandError, call_command

from tapestry.surveys.demo import answers_random, responses_generate
from tapestry.surveys.demo_seed import demo_surveys_seed
from tapestry.surveys.models import Draft, Instrument, Response, Tally, token_hash
from tapestry.surveys.results import counts_collect, counts_from_tallies
from tapestry.surveys.selectors import instrument_structure
from tapestry.surveys.services import answering_start, response_submit, tallies_rebuild
from tapestry.surveys.tests.factories import instrument_make

pytestmark = pytest.mark.django_db


def test_tallies_kept_at_each_submission_match_a_full_recount() -> None:
    instrument = instrument_make()
    structure = instrument_structure(instrument=instrument)
    rng = random.Random(8)
    for index in range(40):
        language = "es" if index % 3 == 0 else "en"
        secret = answering_start(instrument=instrument, language=language)
        draft = Draft.objects.get(token__secret_hash=token_hash(secret))
        draft.answers = answers_random(structure, rng, language)
        draft.save(update_fields=["answers"])
        response_submit(draft=draft, structure=structure, revision=1, language=language)

    kept = counts_from_tallies(instrument)

    assert kept == counts_collect(structure)
    assert sum(kept.responses.values()) == 40
    assert kept.shown  # the optional branched questions were counted as shown


def test_a_rebuild_after_a_bulk_load_stores_the_same_counts_again() -> None:
    instrument = instrument_make()
    responses_generate(instrument=instrument, count=300, seed=4)
    before = counts_from_tallies(instrument)
    rows = Tally.objects.count()

    assert tallies_rebuild(instrument=instrument) == rows
    assert (
        counts_from_tallies(instrument)
        == before
        == counts_collect(instrument_structure(instrument=instrument))
    )


def test_the_demo_surveys_tallies_match_their_answers_after_the_seed_reshapes_them() -> None:
    demo_surveys_seed()

    for instrument in Instrument.objects.filter(responses__isnull=False).distinct():
        assert counts_from_tallies(instrument) == counts_collect(
            instrument_structure(instrument=instrument)
        ), instrument.slug


def test_the_rebuild_command_recounts_what_a_data_fix_changed_and_refuses_unknown_names() -> None:
    instrument = instrument_make()
    responses_generate(instrument=instrument, count=50, seed=6)
    Response.objects.filter(instrument=instrument).update(language="es")
    out = io.StringIO()

    call_command("surveys_tallies_rebuild", "sample-needs", stdout=out)

    assert (
        counts_from_tallies(instrument).responses.keys()
        == counts_collect(instrument_structure(instrument=instrument)).responses.keys()
    )
    assert {combo[2] for combo in counts_from_tallies(instrument).responses} == {"es"}
    assert out.getvalue().startswith("  sample-needs: ")
    with pytest.raises(CommandError, match=r"No instrument with the link name nowhere\."):
        call_command("surveys_tallies_rebuild", "nowhere")
