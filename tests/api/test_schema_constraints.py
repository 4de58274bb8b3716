"""The constraints the OpenAPI document states are the rules the forms apply.

The API checks each parameter against its documented pattern before the form sees it, so a
pattern stricter than the form refuses searches the pages accept, and a looser one lets through
values the form then refuses with a 400 the schema promised would not come. These tests hold
each free-text pattern to its form's rule, character by character.
"""

import unicodedata

from hypothesis import example, given
from hypothesis import strategies as st
from pydantic import ValidationError

from tapestry.network.forms import plain_text_error
from tapestry.network.schemas import DirectoryQuery
from tapestry.research.schemas import ConceptQuery

# Text weighted towards what the rules are about: punctuation pairs and control characters.
# No lone surrogates: UTF-8 cannot encode one, so no request (a form's or the API's) carries it.
_RULE_CHARACTERS = st.sampled_from(list("-/*<>;= aZ\t\n\x00\x1f\x7f\x85\x9f\xa0²"))
texts = st.text(
    alphabet=st.one_of(_RULE_CHARACTERS, st.characters(exclude_categories=["Cs"])),
    max_size=12,
)


def _api_accepts_directory_search(value: str) -> bool:
    try:
        DirectoryQuery(q=value)
    except ValidationError:
        return False
    return True


def _api_accepts_concept_search(value: str) -> bool:
    try:
        ConceptQuery(q=value)
    except ValidationError:
        return False
    return True


@given(texts)
@example("Library -- Main Campus")
@example("Saint-Luc / Hôpital * Bibliothèque")
@example("a-/-*-b")
@example("name\n")
def test_the_directory_search_pattern_allows_what_the_directory_form_allows(value: str) -> None:
    assert _api_accepts_directory_search(value) == (plain_text_error(value) is None)


@given(texts)
@example("diabetes\x85")
@example("hemoglobin A1c\n")
def test_the_concept_search_pattern_allows_what_the_search_form_allows(value: str) -> None:
    form_allows = not any(unicodedata.category(character) == "Cc" for character in value)

    assert _api_accepts_concept_search(value) == form_allows
