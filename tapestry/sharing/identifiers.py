"""ISSNs and ISBNs: read as people type them, checked by their check digit, kept normalized
("0028-0836"; 13 digits for any ISBN, an ISBN-10 converted)."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

_ISSN = re.compile(r"^(\d{4})-?(\d{3}[\dX])$")


def issn_check_digit(first_seven: str) -> str:
    total = sum(
        int(digit) * weight for digit, weight in zip(first_seven, range(8, 1, -1), strict=True)
    )
    check = (11 - total % 11) % 11
    return "X" if check == 10 else str(check)


def issn_normalize(value: str) -> str:
    """The ISSN as "1234-567X", or ValidationError when it is not one (its check digit too)."""
    compact = value.strip().upper().replace(" ", "")
    match = _ISSN.match(compact)
    if not match:
        raise ValidationError(
            _("“%(value)s” is not an ISSN: it is eight characters, such as 0028-0836.")
            % {"value": value.strip()},
            code="invalid_issn",
        )
    digits = match[1] + match[2]
    if issn_check_digit(digits[:7]) != digits[7]:
        raise ValidationError(
            _("“%(value)s” is not a valid ISSN: its last character (the check digit) is wrong.")
            % {"value": value.strip()},
            code="invalid_issn_check_digit",
        )
    return f"{digits[:4]}-{digits[4:]}"


def _isbn13_check_digit(first_twelve: str) -> str:
    total = sum(int(digit) * (3 if index % 2 else 1) for index, digit in enumerate(first_twelve))
    return str((10 - total % 10) % 10)


def isbn_normalize(value: str) -> str:
    """The ISBN as 13 digits (an ISBN-10 converted), or ValidationError when it is not one."""
    compact = re.sub(r"[\s-]", "", value.strip().upper())
    if re.fullmatch(r"\d{9}[\dX]", compact):
        total = sum(
            (10 if character == "X" else int(character)) * weight
            for character, weight in zip(compact, range(10, 0, -1), strict=True)
        )
        if total % 11:
            raise _isbn_invalid(value)
        twelve = "978" + compact[:9]
        return twelve + _isbn13_check_digit(twelve)
    if re.fullmatch(r"97[89]\d{10}", compact):
        if _isbn13_check_digit(compact[:12]) != compact[12]:
            raise _isbn_invalid(value)
        return compact
    raise ValidationError(
        _("“%(value)s” is not an ISBN: it has 10 or 13 digits.") % {"value": value.strip()},
        code="invalid_isbn",
    )


def _isbn_invalid(value: str) -> ValidationError:
    return ValidationError(
        _("“%(value)s” is not a valid ISBN: its check digit is wrong.") % {"value": value.strip()},
        code="invalid_isbn_check_digit",
    )
