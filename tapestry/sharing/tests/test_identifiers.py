"""ISSNs and ISBNs as people type them: normalized when their check digit holds, refused with a
message that says why otherwise."""

import pytest
from django.core.exceptions import ValidationError

from tapestry.sharing.identifiers import isbn_normalize, issn_check_digit, issn_normalize


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("0028-0836", "0028-0836"),  # Nature
        ("00280836", "0028-0836"),
        (" 0028 0836 ", "0028-0836"),
        ("0317-8471", "0317-8471"),
        ("2434-561x", "2434-561X"),  # a check digit of 10 is written X
        ("2434-561X", "2434-561X"),
    ],
)
def test_an_issn_is_kept_with_its_hyphen(typed: str, kept: str) -> None:
    # Given an ISSN as someone typed it / When it is normalized / Then it has one shape
    assert issn_normalize(typed) == kept


def test_the_issn_check_digit_is_x_for_ten() -> None:
    assert issn_check_digit("2434561") == "X"
    assert issn_check_digit("0028083") == "6"


def test_an_issn_with_a_wrong_check_digit_is_refused() -> None:
    with pytest.raises(ValidationError) as refused:
        issn_normalize("0028-0837")

    assert refused.value.code == "invalid_issn_check_digit"
    assert refused.value.messages == [
        "“0028-0837” is not a valid ISSN: its last character (the check digit) is wrong."
    ]


@pytest.mark.parametrize(
    "typed", ["", "nature", "0028-083", "0028-08361", "X028-0836", "0028/0836"]
)
def test_what_is_not_an_issn_is_refused(typed: str) -> None:
    with pytest.raises(ValidationError) as refused:
        issn_normalize(typed)

    assert refused.value.code == "invalid_issn"


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("978-0-306-40615-7", "9780306406157"),
        ("9780306406157", "9780306406157"),
        ("0-306-40615-2", "9780306406157"),  # an ISBN-10 becomes its ISBN-13
        ("0306406152", "9780306406157"),
        ("0-8044-2957-X", "9780804429573"),  # an ISBN-10 whose check digit is X
        ("080442957x", "9780804429573"),
        ("979-10-90636-07-1", "9791090636071"),
    ],
)
def test_an_isbn_is_kept_as_thirteen_digits(typed: str, kept: str) -> None:
    assert isbn_normalize(typed) == kept


@pytest.mark.parametrize("typed", ["978-0-306-40615-8", "0-306-40615-3", "0-8044-2957-1"])
def test_an_isbn_with_a_wrong_check_digit_is_refused(typed: str) -> None:
    with pytest.raises(ValidationError) as refused:
        isbn_normalize(typed)

    assert refused.value.code == "invalid_isbn_check_digit"


@pytest.mark.parametrize("typed", ["", "isbn", "12345", "977-0-306-40615-7", "97803064061570"])
def test_what_is_not_an_isbn_is_refused(typed: str) -> None:
    with pytest.raises(ValidationError) as refused:
        isbn_normalize(typed)

    assert refused.value.code == "invalid_isbn"
