"""Chart axes people can read: round ticks, units as people write them."""

import datetime
import math

import pytest
from django.test import Client
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from tapestry.research import charts, labels
from tapestry.research.models import Domain
from tapestry.research.tests.factories import ConceptSummaryFactory, ReleaseFactory
from tapestry.research.warehouse import clinical


@pytest.mark.parametrize(
    ("maximum", "ticks"),
    [
        (1_875, [0, 500, 1_000, 1_500, 2_000]),
        (2_000, [0, 500, 1_000, 1_500, 2_000]),
        (2_001, [0, 500, 1_000, 1_500, 2_000, 2_500]),
        (1_100, [0, 250, 500, 750, 1_000, 1_250]),
        (12_360, [0, 2_500, 5_000, 7_500, 10_000, 12_500]),
        (80, [0, 20, 40, 60, 80]),
        (20, [0, 5, 10, 15, 20]),
        (7, [0, 2, 4, 6, 8]),
        (1, [0, 1]),
        (0, [0, 1]),
    ],
)
def test_count_axes_tick_at_round_numbers(maximum: int, ticks: list[int]) -> None:
    assert charts.count_axis(maximum) == ticks


@given(st.integers(min_value=1, max_value=10**9))
def test_every_count_axis_steps_by_1_2_2_5_or_5_times_a_power_of_ten(maximum: int) -> None:
    axis = charts.count_axis(maximum)

    step = axis[1]
    mantissa = step / 10 ** math.floor(math.log10(step))
    assert round(mantissa, 9) in {1, 2, 2.5, 5}
    assert axis == [step * index for index in range(len(axis))]
    assert axis[-2] < maximum <= axis[-1]
    assert len(axis) <= 6


def test_the_enrollment_chart_labels_its_ticks_in_round_thousands() -> None:
    months = [datetime.date(2024, month, 1) for month in range(1, 13)]
    values = [160 * month for month in range(1, 13)]  # up to 1,920

    with translation.override("en"):
        english = charts.counts_line_chart(months, values, "Participants")
    with translation.override("es"):
        spanish = charts.counts_line_chart(months, values, "Participantes")

    assert [tick.label for tick in english.y_ticks] == ["0", "500", "1,000", "1,500", "2,000"]
    assert [tick.label for tick in spanish.y_ticks] == [
        "0",
        "500",
        "1\xa0000",
        "1\xa0500",
        "2\xa0000",
    ]
    # Evenly spaced from the baseline (260) to the top of the plot (20).
    assert [tick.position for tick in english.y_ticks] == [260.0, 200.0, 140.0, 80.0, 20.0]


def test_units_read_as_people_write_them() -> None:
    assert labels.unit_display("mm[Hg]") == "mmHg"
    assert labels.unit_display("kg/m2") == "kg/m²"
    assert labels.unit_display("10*3/uL") == "×10³/µL"
    assert labels.unit_display("u[IU]/mL") == "µIU/mL"
    assert labels.unit_display("mg/dL") == "mg/dL"


def test_every_unit_the_warehouse_produces_has_a_display() -> None:
    codes = {measurement.unit for measurement in clinical.model().measurements}

    assert codes <= set(labels._unit_displays())


@pytest.mark.django_db
def test_a_blood_pressure_page_writes_mmhg(client: Client) -> None:
    release = ReleaseFactory.create()
    ConceptSummaryFactory.create(
        release=release,
        domain=Domain.MEASUREMENT,
        measurement=True,
        concept_id=3004249,
        name="Systolic blood pressure",
        code="8480-6",
        participants=1_001,
        histogram={"unit": "mm[Hg]", "bins": [[100, 120, 400], [120, 140, 401], [140, 160, 200]]},
    )

    response = client.get("/data/concepts/3004249/")

    assert response.status_code == 200
    assert response.text.count("mmHg") == 3  # the sentence, the axis title, the table caption
    assert "mm[Hg]" not in response.text


def test_a_histograms_value_axis_ticks_at_round_values_between_the_bin_edges() -> None:
    # Ten bins of body weight from 48 kg, 8.45 kg wide, as a release computes them
    edges = [(48 + 8.45 * index, 48 + 8.45 * (index + 1)) for index in range(10)]

    with translation.override("en"):
        chart = charts.histogram_chart(edges, [100] * 10)

    assert [tick.label for tick in chart.x_ticks] == [
        "50", "60", "70", "80", "90", "100", "110", "120", "130"
    ]  # fmt: skip
    # 50 kg lies 2/8.45 of the way into the first bin, which starts at the axis (76).
    slot = chart.frame.plot_width / 10
    assert chart.x_ticks[0].position == round(76 + slot * 2 / 8.45, 1)
