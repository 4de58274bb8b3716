"""State and region lists sort as each language's readers expect, on SQLite and PostgreSQL alike
(ADR 0011).

The order comes from ICU's collation in the database, so these tests run on the real list of
states and territories the migrations load, and the same assertions hold on both databases.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from django.db import connection
from django.test import Client
from django.utils import translation

from tapestry.network.forms import DirectoryFilterForm
from tapestry.network.selectors import states_in_name_order

if TYPE_CHECKING:
    from tapestry.accounts.api import User

pytestmark = pytest.mark.django_db

SPANISH_ORDER = [
    "Alabama", "Alaska", "Arizona", "Arkansas", "California", "Carolina del Norte",
    "Carolina del Sur", "Colorado", "Connecticut", "Dakota del Norte", "Dakota del Sur",
    "Delaware", "Distrito de Columbia", "Estados Federados de Micronesia", "Florida", "Georgia",
    "Guam", "Hawái", "Idaho", "Illinois", "Indiana", "Iowa", "Islas Marianas del Norte",
    "Islas Marshall", "Islas Vírgenes de los Estados Unidos", "Kansas", "Kentucky", "Luisiana",
    "Maine", "Maryland", "Massachusetts", "Míchigan", "Minnesota", "Misisipi", "Misuri",
    "Montana", "Nebraska", "Nevada", "Nueva Jersey", "Nueva York", "Nuevo Hampshire",
    "Nuevo México", "Ohio", "Oklahoma", "Oregón", "Palaos", "Pensilvania", "Puerto Rico",
    "Rhode Island", "Samoa Estadounidense", "Tennessee", "Texas", "Utah", "Vermont", "Virginia",
    "Virginia Occidental", "Washington", "Wisconsin", "Wyoming",
]  # fmt: skip


ENGLISH_ORDER = [
    "Alabama", "Alaska", "American Samoa", "Arizona", "Arkansas", "California", "Colorado",
    "Connecticut", "Delaware", "District of Columbia", "Federated States of Micronesia",
    "Florida", "Georgia", "Guam", "Hawaii", "Idaho", "Illinois", "Indiana", "Iowa", "Kansas",
    "Kentucky", "Louisiana", "Maine", "Marshall Islands", "Maryland", "Massachusetts",
    "Michigan", "Minnesota", "Mississippi", "Missouri", "Montana", "Nebraska", "Nevada",
    "New Hampshire", "New Jersey", "New Mexico", "New York", "North Carolina", "North Dakota",
    "Northern Mariana Islands", "Ohio", "Oklahoma", "Oregon", "Palau", "Pennsylvania",
    "Puerto Rico", "Rhode Island", "South Carolina", "South Dakota", "Tennessee", "Texas",
    "U.S. Virgin Islands", "Utah", "Vermont", "Virginia", "Washington", "West Virginia",
    "Wisconsin", "Wyoming",
]  # fmt: skip


def _option_labels(html: str) -> list[str]:
    """The visible labels of a select's options with a value, in page order."""
    return re.findall(r'<option value="[^"]+"[^>]*>([^<]+)</option>', html)


def _collated_less_than(left: str, right: str, *, collation: str) -> bool:
    """Ask the database itself whether `left` sorts before `right` under `collation`."""
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT CAST(%s AS TEXT) COLLATE "{collation}" < CAST(%s AS TEXT)', [left, right]
        )
        return bool(cursor.fetchone()[0])


def test_every_state_and_territory_sorts_in_spanish_order() -> None:
    names = [state.name_es for state in states_in_name_order(language="es")]

    assert names == SPANISH_ORDER


def test_a_regional_spanish_language_code_sorts_the_same_way() -> None:
    names = [state.name_es for state in states_in_name_order(language="es-mx")]

    assert names == SPANISH_ORDER


def test_english_names_sort_in_english_order() -> None:
    names = [state.name for state in states_in_name_order(language="en")]

    assert names == ENGLISH_ORDER


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("Míchigan", "Minnesota"),  # the accent does not push Míchigan after the plain i's
        ("Oregón", "Oregon City"),  # nor after a longer name
        ("nz", "ñandú"),  # ñ is its own letter after n, as Spanish dictionaries have it
        ("árbol", "Bolivia"),  # case and accents only break ties
        ("Región 2", "Región 10"),  # numbers by value
    ],
)
def test_the_database_compares_with_the_spanish_collation(left: str, right: str) -> None:
    assert _collated_less_than(left, right, collation="tapestry_es")
    assert not _collated_less_than(right, left, collation="tapestry_es")


def test_the_directory_state_filter_lists_states_in_spanish_order() -> None:
    with translation.override("es"):
        state_select = str(DirectoryFilterForm()["state"])

    assert _option_labels(state_select) == SPANISH_ORDER


def test_the_join_form_lists_states_in_spanish_order(bob_client: Client) -> None:
    bob_client.cookies["django_language"] = "es"

    response = bob_client.get("/network/join/")

    state_select = response.text.split('name="state"', 1)[1].split("</select>", 1)[0]
    assert _option_labels(state_select) == SPANISH_ORDER


def test_the_region_map_lists_each_regions_states_in_spanish_order(visitor: Client) -> None:
    response = visitor.get("/network/regions/", headers={"accept-language": "es"})

    assert response.status_code == 200
    # The cell carries a data-label for the stacked table on phones (h-looks), hence ">...".
    assert ">Illinois, Indiana, Iowa, Míchigan, Minnesota, Ohio, Wisconsin</td>" in response.text


def test_the_region_map_lists_each_regions_states_in_english_order(visitor: Client) -> None:
    response = visitor.get("/network/regions/")

    assert ">Illinois, Indiana, Iowa, Michigan, Minnesota, Ohio, Wisconsin</td>" in response.text


def test_the_spanish_order_is_the_same_for_a_signed_in_reader(rosa_spanish: User) -> None:
    client = Client()
    client.force_login(rosa_spanish)

    response = client.get("/network/")

    state_select = response.text.split('name="state"', 1)[1].split("</select>", 1)[0]
    assert _option_labels(state_select) == SPANISH_ORDER


# The eight named regions of the 2016 map, by their names in each language.
NAMED_REGIONS_SPANISH = [
    "Atlántico Medio", "Centro del Continente", "Centro Sur", "Gran Medio Oeste",
    "Noroeste del Pacífico", "Nueva Inglaterra", "Sudeste/Atlántico", "Suroeste del Pacífico",
]  # fmt: skip
NAMED_REGIONS_ENGLISH = [
    "Greater Midwest", "MidContinental", "Middle Atlantic", "New England", "Pacific Northwest",
    "Pacific Southwest", "South Central", "Southeastern/Atlantic",
]  # fmt: skip


def test_the_old_maps_regions_are_listed_in_spanish_order_on_the_region_map(
    visitor: Client,
) -> None:
    response = visitor.get(
        "/network/regions/?map=eight-regions-2016", headers={"accept-language": "es"}
    )

    legend = response.text.split('class="usa-list usa-list--unstyled tapestry-legend"', 1)[1]
    legend = legend.split("</ul>", 1)[0]
    assert re.findall(r"</span> ([^<]+)</li>", legend) == NAMED_REGIONS_SPANISH


def test_the_directory_region_filter_lists_each_maps_regions_in_spanish_order() -> None:
    with translation.override("es"):
        region_select = str(DirectoryFilterForm()["region"])

    assert _option_labels(region_select) == [
        *(f"Región {number}" for number in range(1, 8)),
        # The site's one date format (config/formats/es/formats.py).
        *(f"{name} (hasta el 30 abr 2021)" for name in NAMED_REGIONS_SPANISH),
    ]


def test_the_directory_region_filter_lists_each_maps_regions_in_english_order() -> None:
    with translation.override("en"):
        region_select = str(DirectoryFilterForm()["region"])

    assert _option_labels(region_select) == [
        *(f"Region {number}" for number in range(1, 8)),
        # The site's one date format (config/formats/en/formats.py).
        *(f"{name} (until 30 Apr 2021)" for name in NAMED_REGIONS_ENGLISH),
    ]
