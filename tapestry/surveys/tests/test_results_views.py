"""The results page: who may read it, what it shows, filters, breakdowns and both languages."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tapestry.surveys.demo import responses_generate
from tapestry.surveys.models import Instrument, Response
from tapestry.surveys.tests.factories import instrument_make

URL = "/surveys/staff/sample-needs/results/"


@pytest.fixture
def anonymous_survey(db: None) -> Instrument:
    instrument = instrument_make()
    responses_generate(
        instrument=instrument, count=300, seed=3, regions=("1", "3", "4", "5", "6", "7")
    )
    # A region with only 3 respondents.
    responses_generate(instrument=instrument, count=3, seed=4, regions=("2",), roles=("liaison",))
    return instrument


def test_program_staff_read_the_results(paula_client: Client, anonymous_survey: Instrument) -> None:
    response = paula_client.get(URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Responses: 303" in html
    assert "What is your role?" in html
    assert "People could choose more than one answer" in html
    assert "Median:" in html


def test_an_administrator_reads_them_too(
    admin_signed_in: Client, anonymous_survey: Instrument
) -> None:
    assert admin_signed_in.get(URL).status_code == 200


def test_a_specialist_is_refused(sam_client: Client, anonymous_survey: Instrument) -> None:
    assert sam_client.get(URL).status_code == 403


def test_a_liaison_is_refused(alice_client: Client, anonymous_survey: Instrument) -> None:
    assert alice_client.get(URL).status_code == 403


def test_a_visitor_is_sent_to_sign_in(visitor: Client, anonymous_survey: Instrument) -> None:
    response = visitor.get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_an_unknown_instrument_is_404(paula_client: Client, db: None) -> None:
    assert paula_client.get("/surveys/staff/nothing-here/results/").status_code == 404


def test_a_small_region_shows_fewer_than_5(
    paula_client: Client, anonymous_survey: Instrument
) -> None:
    response = paula_client.get(URL, {"region": "2"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "Responses: fewer than 5" in html
    assert re.search(r"Answered by fewer than 5\.", html)
    assert not re.search(r'text-tabular">[1-4]<', html)


def test_anonymous_results_take_one_filter_at_a_time(
    paula_client: Client, anonymous_survey: Instrument
) -> None:
    response = paula_client.get(URL, {"region": "1", "language": "es"})

    assert response.status_code == 400
    assert "can be filtered by one thing at a time" in response.content.decode()


def test_an_unknown_group_is_refused(paula_client: Client, anonymous_survey: Instrument) -> None:
    assert paula_client.get(URL, {"region": "99"}).status_code == 400


def test_the_breakdown_by_language_shows_a_table(
    paula_client: Client, anonymous_survey: Instrument
) -> None:
    response = paula_client.get(URL, {"breakdown": "language"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "Answers to “I am confident finding health information.” by group" in html
    assert '<th scope="col" class="text-right">Spanish</th>' in html


def test_the_results_in_spanish(paula_client: Client, anonymous_survey: Instrument) -> None:
    paula_client.cookies["django_language"] = "es"

    response = paula_client.get(URL, {"region": "2"}, headers={"Accept-Language": "es"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "¿Cuál es su función?" in html
    assert "menos de 5" in html


def test_identified_results_combine_filters_and_show_exact_numbers(
    paula_client: Client, db: None
) -> None:
    instrument = instrument_make(mode="identified")
    responses_generate(instrument=instrument, count=40, seed=5)
    spanish_in_one = Response.objects.filter(
        instrument=instrument, language="es", region="1"
    ).count()

    response = paula_client.get(URL, {"region": "1", "language": "es"})

    assert response.status_code == 200
    assert f"Responses: {spanish_in_one}" in response.content.decode()


def test_htmx_gets_only_the_results(paula_client: Client, anonymous_survey: Instrument) -> None:
    response = paula_client.get(URL, {"language": "en"}, headers={"HX-Request": "true"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert "Responses:" in html
