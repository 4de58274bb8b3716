"""Rural ZIP codes: the FORHP lists an operator loads, and which one is in force on a date.

The program counts a participant as underrepresented for geography when the ZIP code they gave
is on the Federal Office of Rural Health Policy's (HRSA) list of rural ZIP codes that was in
force on their consent date: the 2014 list before 2020-09-15, the 2020 list from that day on
(the Raw Data Repository's `participant_ubr.py`). The lists are the government's reference
data and change between cycles, so they are data an operator loads (`manage.py
research_load_rural_zips`), not code; this module only parses them and applies them.

- A list file has one `STATE,ZIP` line per ZIP code. Spreadsheets dropped the leading zero of
  New England's codes ("CT,6018"), so a code of 3 or 4 digits is zero-padded to five. Any other
  line is an error naming its line number; nothing of a malformed file is loaded.
- A participant's ZIP code is cut to its first five digits (ZIP+4 "59001-1234" is "59001"),
  after dropping anything that is not a digit, as the program does.
- The list in force on a date is the latest list whose `effective_from` is on or before it. A
  date before every list, or no list at all, gives no answer: geography is unknown (null), not
  "not rural".

Imports neither Django nor the ORM.
"""

import datetime
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

_LINE = re.compile(r"^\s*([A-Za-z]{2})\s*,\s*(\d{3,5})\s*$")


class RuralListError(ValueError):
    """A rural ZIP list file is malformed; the message names the line."""


@dataclass(frozen=True)
class RuralList:
    """One loaded FORHP list: its name ("2020"), the first day it applies, its ZIP codes."""

    name: str
    effective_from: datetime.date
    zip_codes: frozenset[str]


def parse_lines(lines: Iterable[str]) -> list[str]:
    """The five-digit ZIP codes of a `STATE,ZIP` file, in file order, without duplicates.

    Blank lines are ignored; a header line `STATE,ZIP` (any case) on the first line is allowed.
    Raises RuralListError naming the first malformed line ("line 7: ...") or an empty file.
    """
    codes: dict[str, None] = {}
    for number, line in enumerate(lines, 1):
        text = line.strip().lstrip("\ufeff")
        if not text or (number == 1 and text.replace(" ", "").upper() in ("STATE,ZIP", "ST,ZIP")):
            continue
        match = _LINE.match(text)
        if match is None:
            raise RuralListError(
                f"line {number}: expected 'STATE,ZIP' (two letters, a comma, 3 to 5 digits), "
                f"not {text[:40]!r}"
            )
        codes[match.group(2).zfill(5)] = None
    if not codes:
        raise RuralListError("the file lists no ZIP codes")
    return list(codes)


def zip5(answer: str | None) -> str | None:
    """The five-digit ZIP code a participant's answer names (ZIP+4 cut), or None if none."""
    if answer is None:
        return None
    digits = re.sub(r"[^0-9]", "", answer)
    return digits[:5] or None


def list_in_force(lists: Sequence[RuralList], on: datetime.date | None) -> RuralList | None:
    """The latest list whose effective_from is on or before `on` (None if none applies)."""
    if on is None:
        return None
    applicable = [item for item in lists if item.effective_from <= on]
    return max(applicable, key=lambda item: item.effective_from, default=None)


def is_rural(
    zip_code: str | None, consent_date: datetime.date | None, lists: Sequence[RuralList]
) -> bool | None:
    """Whether the ZIP code is on the list in force on the consent date; None when unknown
    (no ZIP code, or no list in force then)."""
    code = zip5(zip_code)
    in_force = list_in_force(lists, consent_date)
    if code is None or in_force is None:
        return None
    return code in in_force.zip_codes
