"""An activity report's rows from a CSV file: participants, ZIP code, professional role.

Every row is checked before anything is kept; the errors name the row as a spreadsheet shows
it (the header is row 1) and the column, so a person can fix the file and upload it again.
Headers are the English names (`participants,zip_code,role`) or their Spanish equivalents
(`participantes,codigo_postal,rol`); a role is its code or its English or Spanish label.
"""

import csv
import io
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from tapestry.core.geography import zip_lookup
from tapestry.engagement.models import ProfessionalRole

HEADERS = ("participants", "zip_code", "role")
SPANISH_HEADERS = {
    "participantes": "participants",
    "codigo_postal": "zip_code",
    "codigo postal": "zip_code",
    "rol": "role",
}


@dataclass(frozen=True)
class ReportRow:
    participants: int
    zip_code: str
    role: str


class ReportCsvError(Exception):
    """The file cannot become rows; `problems` are the messages, one per fault."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def _fold(text: str) -> str:
    """Lower case without accents or surrounding space: "Código postal" → "codigo postal"."""
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _role_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for role in ProfessionalRole:
        names[_fold(role.value)] = role.value
        for language in ("en", "es"):
            with translation.override(language):
                names[_fold(str(role.label))] = role.value
    return names


def role_from_text(text: str) -> str | None:
    """The role code a cell names (code or label, English or Spanish), or None."""
    return _role_names().get(_fold(text))


def row_problems(
    *, participants: str, zip_code: str, role: str
) -> tuple[ReportRow | None, list[str]]:
    """One row's values checked: the row, or the problems (without the row number)."""
    problems = []
    count = participants.strip()
    if not count.isdigit():
        problems.append(_("participants must be a whole number"))
    elif int(count) < 1:
        problems.append(_("participants must be at least 1"))
    zip_text = zip_code.strip()
    if len(zip_text) != 5 or not zip_text.isdigit():
        problems.append(_("the ZIP code must be 5 digits"))
    elif zip_lookup(zip_text) is None:
        problems.append(_("%(zip)s is not a known U.S. ZIP code") % {"zip": zip_text})
    role_code = role_from_text(role)
    if role_code is None:
        problems.append(_("“%(role)s” is not one of the roles") % {"role": role.strip()})
    if problems:
        return None, problems
    return ReportRow(participants=int(count), zip_code=zip_text, role=role_code or ""), []


def rows_from_csv(content: bytes, *, file_name: str = "") -> list[ReportRow]:
    """The rows of an uploaded file, or ReportCsvError with every problem found."""
    if file_name and not file_name.lower().endswith(".csv"):
        raise ReportCsvError([_("The file must be a CSV file (its name ends in .csv).")])
    if len(content) > settings.ENGAGEMENT_REPORT_CSV_MAX_BYTES:
        raise ReportCsvError(
            [
                _("The file is too big: at most %(size)s KB.")
                % {"size": settings.ENGAGEMENT_REPORT_CSV_MAX_BYTES // 1024}
            ]
        )
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ReportCsvError(
            [_("The file is not a CSV text file (save it as “CSV UTF-8” and try again).")]
        ) from None
    if "\x00" in text:
        raise ReportCsvError(
            [_("The file is not a CSV text file (save it as “CSV UTF-8” and try again).")]
        )
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        raise ReportCsvError([_("The file is empty.")]) from None
    columns = [SPANISH_HEADERS.get(_fold(name), _fold(name)) for name in header]
    if sorted(columns) != sorted(HEADERS):
        raise ReportCsvError(
            [
                _(
                    "Row 1 must name the columns participants, zip_code and role (or "
                    "participantes, codigo_postal and rol); this file has: %(columns)s."
                )
                % {"columns": ", ".join(name.strip() for name in header) or _("nothing")}
            ]
        )
    position = {name: columns.index(name) for name in HEADERS}
    rows: list[ReportRow] = []
    problems: list[str] = []
    try:
        for number, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != len(columns):
                problems.append(
                    _("row %(row)s: it has %(found)s cells, not %(expected)s")
                    % {"row": number, "found": len(cells), "expected": len(columns)}
                )
                continue
            row, faults = row_problems(
                participants=cells[position["participants"]],
                zip_code=cells[position["zip_code"]],
                role=cells[position["role"]],
            )
            problems += [
                _("row %(row)s: %(problem)s") % {"row": number, "problem": fault}
                for fault in faults
            ]
            if row is not None:
                rows.append(row)
    except csv.Error:
        raise ReportCsvError([_("The file is not a valid CSV file.")]) from None
    if problems:
        raise ReportCsvError(problems)
    if not rows:
        raise ReportCsvError([_("The file has no rows under its header.")])
    if len(rows) > settings.ENGAGEMENT_REPORT_MAX_ROWS:
        raise ReportCsvError(
            [
                _("A report holds at most %(count)s rows.")
                % {"count": settings.ENGAGEMENT_REPORT_MAX_ROWS}
            ]
        )
    return rows


def template_lines() -> list[list[str]]:
    """The downloadable template: the header and two example rows."""
    return [list(HEADERS), ["12", "60601", "community_member"], ["3", "60614", "library_staff"]]
