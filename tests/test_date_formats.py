"""One date format per language across the site (config/formats/<language>/formats.py).

Templates write dates four ways (a bare date, `|date`, `|date:"SHORT_DATE_FORMAT"`, a bare
datetime); every one of them reads "29 Nov 2026" in English and "29 nov 2026" in Spanish.
"""

import datetime

import pytest
from django.template import Context, Template
from django.test import Client
from django.utils import translation

from tapestry.research.tests.factories import ReleaseFactory

DATE = datetime.date(2026, 11, 29)
MOMENT = datetime.datetime(2026, 11, 29, 14, 5, tzinfo=datetime.UTC)  # 09:05 in New York


@pytest.mark.parametrize(
    ("language", "date", "moment", "month"),
    [
        ("en", "29 Nov 2026", "29 Nov 2026, 09:05", "November 2026"),
        ("es", "29 nov 2026", "29 nov 2026, 09:05", "noviembre de 2026"),
    ],
)
def test_every_way_a_template_writes_a_date_gives_the_one_format(
    language: str, date: str, moment: str, month: str
) -> None:
    template = Template(
        '{{ day }}|{{ day|date }}|{{ day|date:"SHORT_DATE_FORMAT" }}|{{ moment }}'
        '|{{ moment|date:"SHORT_DATETIME_FORMAT" }}|{{ day|date:"YEAR_MONTH_FORMAT" }}'
    )

    with translation.override(language):
        rendered = template.render(Context({"day": DATE, "moment": MOMENT}))

    assert rendered.split("|") == [date, date, date, moment, moment, month]


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "shown"), [("en", "31 Mar 2025"), ("es", "31 mar 2025")])
def test_the_data_browser_shows_the_release_date_in_the_format(language: str, shown: str) -> None:
    ReleaseFactory(cutoff_date=datetime.date(2025, 3, 31))
    client = Client(headers={"accept-language": language})

    response = client.get("/data/")

    assert response.status_code == 200
    assert response.text.count(shown) == 1
    assert "March 31, 2025" not in response.text
    assert "31/03/2025" not in response.text
