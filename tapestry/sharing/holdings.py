"""What a library holds and how it lends: its holdings (journals by ISSN with the years and
volumes held, books by ISBN), their CSV import and export, its lending policy, its closures and
its preferred lenders; and the directory's "document delivery" service, which follows from them.

Every write is scoped: the actor must act for the library (`permissions.acts_for`), or
`NotYourLibrary` is raised and nothing changes. Bad input raises `ValidationError` with a
message per field (the form's field names), and nothing changes either.
"""

import csv
import datetime
import io
import itertools
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tapestry.core.api import audit_record
from tapestry.network.api import organization_service_set, organizations_get
from tapestry.sharing.business_days import Closed
from tapestry.sharing.identifiers import isbn_normalize, issn_normalize
from tapestry.sharing.models import (
    Closure,
    Holding,
    HoldingFormat,
    HoldingRange,
    LendingPolicy,
    PreferredLender,
)
from tapestry.sharing.permissions import acts_for

FIRST_YEAR = 1600


class NotYourLibrary(Exception):
    """The actor does not act for this library (views answer 404: they never say it exists)."""


def _require_library(actor: Any, organization_id: int) -> None:
    if not acts_for(actor, organization_id):
        raise NotYourLibrary(organization_id)


# --- Holdings statements: "1990-1995 v.1-6; 1998- v.9-" ---


@dataclass(frozen=True)
class HoldingSpan:
    """Years (and volumes, where known) held without a gap; `year_to` None is "to the present",
    `volume_to` None with a `volume_from` is "from that volume on"."""

    year_from: int
    year_to: int | None = None
    volume_from: int | None = None
    volume_to: int | None = None

    def __str__(self) -> str:
        text = f"{self.year_from}-{self.year_to or ''}"
        if self.year_to == self.year_from:
            text = str(self.year_from)
        if self.volume_from is not None:
            if self.volume_to == self.volume_from:
                text += f" v.{self.volume_from}"
            else:
                text += f" v.{self.volume_from}-{self.volume_to or ''}"
        return text


_DASH = r"\s*[-–—]\s*"
_PART = re.compile(
    rf"^(?P<year_from>\d{{4}})(?:(?P<year_dash>{_DASH})(?P<year_to>\d{{4}})?)?"
    rf"(?:\s*(?:v|vol)\.?\s*(?P<volume_from>\d{{1,6}})(?:(?P<volume_dash>{_DASH})"
    rf"(?P<volume_to>\d{{1,6}})?)?)?$",
    re.IGNORECASE,
)


def statement_parse(statement: str, *, today: datetime.date | None = None) -> list[HoldingSpan]:
    """The ranges a holdings statement names, in year order: "1990-1995; 1998-" or with volumes
    "1990-1995 v.1-6; 1998- v.9-"; a lone year ("2001") is that year alone. ValidationError
    lists every problem: a part that is not a range, a year before 1600 or after next year,
    years or volumes out of order, ranges that overlap. An empty statement is no ranges."""
    last_year = (today or timezone.localdate()).year + 1
    errors: list[str] = []
    spans: list[tuple[str, HoldingSpan]] = []
    for raw_part in statement.split(";"):
        part = " ".join(raw_part.split())
        if not part:
            continue
        match = _PART.match(part)
        if not match:
            errors.append(
                _(
                    "“%(part)s” is not a range of years: write it like 1990-1995, 1998- (to the "
                    "present) or 1990-1995 v.1-6, with a semicolon between ranges."
                )
                % {"part": part}
            )
            continue
        year_from = int(match["year_from"])
        year_to = int(match["year_to"]) if match["year_to"] else None
        if year_to is None and not match["year_dash"]:
            year_to = year_from
        volume_from = int(match["volume_from"]) if match["volume_from"] else None
        volume_to = int(match["volume_to"]) if match["volume_to"] else None
        if volume_from is not None and volume_to is None and not match["volume_dash"]:
            volume_to = volume_from
        part_errors = []
        for year in (year_from, year_to):
            if year is not None and not FIRST_YEAR <= year <= last_year:
                part_errors.append(
                    _(
                        "In “%(part)s”, %(year)s is not a year held: years run from %(first)s to %(last)s."
                    )
                    % {"part": part, "year": year, "first": FIRST_YEAR, "last": last_year}
                )
        if year_to is not None and year_to < year_from:
            part_errors.append(
                _("In “%(part)s” the years are out of order: %(start)s comes after %(end)s.")
                % {"part": part, "start": year_from, "end": year_to}
            )
        if volume_from is not None and volume_to is not None and volume_to < volume_from:
            part_errors.append(
                _("In “%(part)s” the volumes are out of order: %(start)s comes after %(end)s.")
                % {"part": part, "start": volume_from, "end": volume_to}
            )
        if volume_from == 0 or volume_to == 0:
            part_errors.append(
                _("In “%(part)s” a volume is 0: volumes start at 1.") % {"part": part}
            )
        errors.extend(part_errors)
        if not part_errors:
            spans.append((part, HoldingSpan(year_from, year_to, volume_from, volume_to)))
    spans.sort(key=lambda item: item[1].year_from)
    for (earlier_text, earlier), (later_text, later) in itertools.pairwise(spans):
        if earlier.year_to is None or earlier.year_to >= later.year_from:
            errors.append(
                _("“%(first)s” and “%(second)s” overlap: name each year once.")
                % {"first": earlier_text, "second": later_text}
            )
    if errors:
        raise ValidationError(errors, code="invalid_statement")
    return [span for _text, span in spans]


def statement_format(spans: Iterable[HoldingSpan | HoldingRange]) -> str:
    """The holdings statement of these ranges, in year order ("1990-1995 v.1-6; 1998- v.9-"):
    what statement_parse reads back."""
    parts = [
        HoldingSpan(span.year_from, span.year_to, span.volume_from, span.volume_to)
        for span in spans
    ]
    return "; ".join(str(span) for span in sorted(parts, key=lambda span: span.year_from))


# --- Holdings ---


@dataclass(frozen=True)
class HoldingValues:
    """A holding's fields once checked and normalized."""

    kind: str
    title: str
    issn: str
    isbn: str
    holding_format: str
    licence_allows_lending: bool
    spans: list[HoldingSpan]


def holding_clean(
    *,
    kind: str,
    title: str,
    issn: str = "",
    isbn: str = "",
    holding_format: str = HoldingFormat.PRINT,
    licence_allows_lending: bool = False,
    statement: str = "",
) -> HoldingValues:
    """The holding's values normalized, or ValidationError by field (kind, title, issn, isbn,
    holding_format, statement)."""
    errors: dict[str, list[str]] = {}
    title = " ".join(title.split())
    if kind not in Holding.Kind.values:
        errors["kind"] = [_("Choose a journal or a book.")]
    if not title:
        errors["title"] = [_("Enter the title.")]
    elif len(title) > 300:
        errors["title"] = [_("Keep the title to 300 characters.")]
    if holding_format not in HoldingFormat.values:
        errors["holding_format"] = [_("Choose print or electronic.")]
    spans: list[HoldingSpan] = []
    if kind == Holding.Kind.SERIAL:
        if isbn.strip():
            errors["isbn"] = [_("A journal is known by its ISSN: leave the ISBN empty.")]
        if not issn.strip():
            errors["issn"] = [_("Enter the journal's ISSN, such as 0028-0836.")]
        else:
            try:
                issn = issn_normalize(issn)
            except ValidationError as error:
                errors["issn"] = error.messages
        if not statement.strip():
            errors["statement"] = [
                _("Enter the years held, such as 1990-1995; 1998- (to the present).")
            ]
        else:
            try:
                spans = statement_parse(statement)
            except ValidationError as error:
                errors["statement"] = error.messages
        isbn = ""
    elif kind == Holding.Kind.BOOK:
        if issn.strip():
            errors["issn"] = [_("A book is known by its ISBN: leave the ISSN empty.")]
        if statement.strip():
            errors["statement"] = [_("A book has no years held: leave the holdings empty.")]
        if not isbn.strip():
            errors["isbn"] = [_("Enter the book's ISBN (10 or 13 digits).")]
        else:
            try:
                isbn = isbn_normalize(isbn)
            except ValidationError as error:
                errors["isbn"] = error.messages
        issn = ""
    if errors:
        raise ValidationError(errors)
    return HoldingValues(
        kind=kind,
        title=title,
        issn=issn,
        isbn=isbn,
        holding_format=holding_format,
        # The licence matters only where the copy is electronic.
        licence_allows_lending=(
            bool(licence_allows_lending) and holding_format == HoldingFormat.ELECTRONIC
        ),
        spans=spans,
    )


def _same_holding(organization_id: int, values: HoldingValues) -> Q:
    if values.kind == Holding.Kind.SERIAL:
        return Q(
            organization_id=organization_id,
            kind=Holding.Kind.SERIAL,
            issn=values.issn,
            holding_format=values.holding_format,
        )
    return Q(organization_id=organization_id, kind=Holding.Kind.BOOK, isbn=values.isbn)


def _duplicate_error(values: HoldingValues, existing_title: str) -> ValidationError:
    if values.kind == Holding.Kind.SERIAL:
        return ValidationError(
            {
                "issn": _(
                    "Your library already holds the %(format)s journal %(issn)s (“%(title)s”): "
                    "change that one instead."
                )
                % {
                    "format": HoldingFormat(values.holding_format).label.lower(),
                    "issn": values.issn,
                    "title": existing_title,
                }
            },
            code="duplicate",
        )
    return ValidationError(
        {
            "isbn": _(
                "Your library already holds the book %(isbn)s (“%(title)s”): change that one instead."
            )
            % {"isbn": values.isbn, "title": existing_title}
        },
        code="duplicate",
    )


def _holding_write(holding: Holding, values: HoldingValues) -> None:
    holding.kind = values.kind
    holding.title = values.title
    holding.issn = values.issn
    holding.isbn = values.isbn
    holding.holding_format = values.holding_format
    holding.licence_allows_lending = values.licence_allows_lending
    holding.save()
    # The copied fields (ISSN, library, lendable) must follow the holding: rewrite the rows.
    holding.ranges.all().delete()
    if values.kind == Holding.Kind.SERIAL:
        HoldingRange.objects.bulk_create(
            HoldingRange(
                holding=holding,
                organization_id=holding.organization_id,
                issn=holding.issn,
                lendable=holding.lendable,
                year_from=span.year_from,
                year_to=span.year_to,
                volume_from=span.volume_from,
                volume_to=span.volume_to,
            )
            for span in values.spans
        )


def holding_save(
    *,
    actor: Any,
    organization_id: int,
    holding_id: int | None = None,
    kind: str,
    title: str,
    issn: str = "",
    isbn: str = "",
    holding_format: str = HoldingFormat.PRINT,
    licence_allows_lending: bool = False,
    statement: str = "",
) -> Holding:
    """Create a holding (no `holding_id`) or change one of this library's. Raises NotYourLibrary,
    Holding.DoesNotExist (not one of this library's holdings), or ValidationError by field (a
    bad ISSN or statement, the same journal and format held already)."""
    _require_library(actor, organization_id)
    values = holding_clean(
        kind=kind,
        title=title,
        issn=issn,
        isbn=isbn,
        holding_format=holding_format,
        licence_allows_lending=licence_allows_lending,
        statement=statement,
    )
    with transaction.atomic():
        if holding_id is None:
            holding = Holding(organization_id=organization_id)
        else:
            holding = Holding.objects.select_for_update().get(
                pk=holding_id, organization_id=organization_id
            )
        duplicate = (
            Holding.objects.filter(_same_holding(organization_id, values))
            .exclude(pk=holding.pk)
            .first()
        )
        if duplicate is not None:
            raise _duplicate_error(values, duplicate.title)
        try:
            # A savepoint: a twin saved at the same moment is refused, not a 500.
            with transaction.atomic():
                _holding_write(holding, values)
        except IntegrityError:
            raise _duplicate_error(values, values.title) from None
        audit_record(
            actor=actor,
            action="sharing.holding_create" if holding_id is None else "sharing.holding_update",
            target=holding,
            summary=str(holding),
            data={"organization_id": organization_id, "statement": statement_format(values.spans)},
        )
        directory_sync(organization_id=organization_id)
    return holding


def holding_delete(*, actor: Any, organization_id: int, holding_id: int) -> None:
    """Delete one of this library's holdings (and its ranges). Raises NotYourLibrary or
    Holding.DoesNotExist."""
    _require_library(actor, organization_id)
    with transaction.atomic():
        holding = Holding.objects.select_for_update().get(
            pk=holding_id, organization_id=organization_id
        )
        audit_record(
            actor=actor,
            action="sharing.holding_delete",
            target=holding,
            summary=str(holding),
            data={"organization_id": organization_id},
        )
        holding.delete()
        directory_sync(organization_id=organization_id)


def holding_get(*, actor: Any, organization_id: int, holding_id: int) -> Holding:
    """One of this library's holdings with its ranges. Raises NotYourLibrary or
    Holding.DoesNotExist."""
    _require_library(actor, organization_id)
    return Holding.objects.prefetch_related("ranges").get(
        pk=holding_id, organization_id=organization_id
    )


_ISSN_LIKE = re.compile(r"^(\d{4})-?(\d{0,3}[\dX]?)$", re.IGNORECASE)


def holdings_search(*, actor: Any, organization_id: int, query: str = "") -> QuerySet[Holding]:
    """This library's holdings by title, with their ranges; `query` matches a word of the title,
    an ISSN (with or without its hyphen, or its start) or an ISBN. Raises NotYourLibrary."""
    _require_library(actor, organization_id)
    holdings = Holding.objects.filter(organization_id=organization_id).prefetch_related("ranges")
    query = query.strip()
    if query:
        matches = Q(title__icontains=query)
        issn_like = _ISSN_LIKE.match(query)
        if issn_like:
            prefix = issn_like[1] + ("-" + issn_like[2].upper() if issn_like[2] else "")
            matches |= Q(issn__startswith=prefix)
        compact = re.sub(r"[\s-]", "", query)
        if compact.isdigit() and len(compact) >= 4:
            matches |= Q(isbn__contains=compact)
        holdings = holdings.filter(matches)
    return holdings.order_by("title", "pk")


# --- CSV import and export ---

CSV_COLUMNS = ("kind", "title", "issn", "isbn", "format", "licence_allows_lending", "holdings")
# The CSV's columns for the service's fields (an error on a field is shown on its column).
_COLUMN_OF_FIELD = {
    "kind": "kind",
    "title": "title",
    "issn": "issn",
    "isbn": "isbn",
    "holding_format": "format",
    "licence_allows_lending": "licence_allows_lending",
    "statement": "holdings",
}
_KIND_WORDS = {"serial": "serial", "journal": "serial", "book": "book"}
_YES = {"yes", "y", "true", "1", "si", "sí"}
_NO = {"no", "n", "false", "0", ""}


@dataclass(frozen=True)
class RowError:
    """One problem of an import: the spreadsheet row (the header is row 1; None for the file
    as a whole), the column ("" for the whole row) and what is wrong."""

    row: int | None
    column: str
    message: str


class HoldingsImportRefused(Exception):
    """The file was not imported (nothing was written): `errors` says why, row by row."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} errors")
        self.errors = errors


@dataclass(frozen=True)
class HoldingsImportResult:
    created: int
    updated: int
    holding_ids: list[int] = field(default_factory=list)


_NOT_CSV_STARTS = (b"PK\x03\x04", b"%PDF", b"\xd0\xcf\x11\xe0")


def _not_csv_message() -> str:
    return _(
        "The file is not a CSV file. In your spreadsheet, choose Save As and “CSV UTF-8 "
        "(comma delimited)”, then import that file."
    )


def _file_refused(message: str) -> HoldingsImportRefused:
    return HoldingsImportRefused([RowError(row=None, column="", message=message)])


def _csv_rows(data: bytes) -> list[tuple[int, dict[str, str]]]:
    """The data rows by spreadsheet row number, or HoldingsImportRefused for the file."""
    if len(data) > settings.SHARING_HOLDINGS_CSV_MAX_BYTES:
        raise _file_refused(
            _("The file is larger than %(size)s KB: split it into smaller files.")
            % {"size": settings.SHARING_HOLDINGS_CSV_MAX_BYTES // 1024}
        )
    # A spreadsheet's own file (an .xlsx is a zip, an .xls an OLE file) or a PDF, not its CSV.
    if b"\x00" in data[:4096] or data.startswith(_NOT_CSV_STARTS):
        raise _file_refused(_not_csv_message())
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _file_refused(
            _(
                "The file is not UTF-8 text. In your spreadsheet, save it as “CSV UTF-8 "
                "(comma delimited)” and try again."
            )
        ) from None
    if not text.strip():
        raise _file_refused(_("The file is empty."))
    # Spreadsheets set to Spanish (and most of Europe) separate CSV cells with semicolons.
    text = text.lstrip("\r\n")
    first_line = text.splitlines()[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    try:
        lines = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error:
        raise _file_refused(_not_csv_message()) from None
    header = [name.strip().lower() for name in lines[0]]
    missing = [column for column in CSV_COLUMNS if column not in header]
    if missing:
        raise _file_refused(
            _(
                "The first row must name the columns %(columns)s; it lacks %(missing)s. Start "
                "from an export of your holdings."
            )
            % {"columns": ", ".join(CSV_COLUMNS), "missing": ", ".join(missing)}
        )
    rows = [
        (
            number,
            {
                name: (cells[index] if index < len(cells) else "")
                for index, name in enumerate(header)
            },
        )
        for number, cells in enumerate(lines[1:], start=2)
        if any(cell.strip() for cell in cells)
    ]
    if not rows:
        raise _file_refused(_("The file has a header but no holdings."))
    if len(rows) > settings.SHARING_HOLDINGS_CSV_MAX_ROWS:
        raise _file_refused(
            ngettext(
                "The file has %(rows)s holding; one import takes at most %(max)s.",
                "The file has %(rows)s holdings; one import takes at most %(max)s: split it.",
                len(rows),
            )
            % {"rows": len(rows), "max": settings.SHARING_HOLDINGS_CSV_MAX_ROWS}
        )
    return rows


def _row_values(number: int, row: dict[str, str]) -> tuple[HoldingValues | None, list[RowError]]:
    errors = []
    kind = _KIND_WORDS.get(row["kind"].strip().lower())
    if kind is None:
        errors.append(
            RowError(number, "kind", _("Write “serial” for a journal or “book” for a book."))
        )
    holding_format = row["format"].strip().lower() or HoldingFormat.PRINT
    if holding_format not in HoldingFormat.values:
        errors.append(RowError(number, "format", _("Write “print” or “electronic”.")))
    licence_word = row["licence_allows_lending"].strip().lower()
    if licence_word not in _YES | _NO:
        errors.append(RowError(number, "licence_allows_lending", _("Write “yes” or “no”.")))
    if kind is None:
        # Without a kind, which identifier the row needs is unknown: the rest waits for it.
        return None, errors
    try:
        values = holding_clean(
            kind=kind,
            title=row["title"],
            issn=row["issn"],
            isbn=row["isbn"],
            # A wrong format or licence is reported above; check the rest of the row anyway.
            holding_format=(
                holding_format if holding_format in HoldingFormat.values else HoldingFormat.PRINT
            ),
            licence_allows_lending=licence_word in _YES,
            statement=row["holdings"],
        )
    except ValidationError as error:
        return None, errors + [
            RowError(number, _COLUMN_OF_FIELD.get(name, ""), message)
            for name, messages in error.message_dict.items()
            for message in messages
        ]
    if errors:
        return None, errors
    return values, []


def _identity(values: HoldingValues) -> tuple[str, str, str]:
    if values.kind == Holding.Kind.SERIAL:
        return (values.kind, values.issn, values.holding_format)
    return (values.kind, values.isbn, "")


def holdings_import(*, actor: Any, organization_id: int, data: bytes) -> HoldingsImportResult:
    """Import a holdings CSV (columns CSV_COLUMNS; "holdings" is the statement): every row is
    checked first, and if any is wrong HoldingsImportRefused lists them all and nothing is
    written. A row for a journal already held in that format, or a book by its ISBN, updates
    that holding; the others are created. One audit row for the import. Raises NotYourLibrary."""
    _require_library(actor, organization_id)
    rows = _csv_rows(data)
    errors: list[RowError] = []
    checked: list[tuple[int, HoldingValues]] = []
    first_row_of: dict[tuple[str, str, str], int] = {}
    for number, row in rows:
        values, row_errors = _row_values(number, row)
        errors.extend(row_errors)
        if values is None:
            continue
        identity = _identity(values)
        if identity in first_row_of:
            column = "issn" if values.kind == Holding.Kind.SERIAL else "isbn"
            errors.append(
                RowError(
                    number,
                    column,
                    _("Row %(row)s already lists this holding: keep one row for it.")
                    % {"row": first_row_of[identity]},
                )
            )
            continue
        first_row_of[identity] = number
        checked.append((number, values))
    if errors:
        raise HoldingsImportRefused(errors)
    created = updated = 0
    holding_ids = []
    with transaction.atomic():
        for number, values in checked:
            holding = (
                Holding.objects.select_for_update()
                .filter(_same_holding(organization_id, values))
                .first()
            )
            if holding is None:
                holding = Holding(organization_id=organization_id)
                created += 1
            else:
                updated += 1
            try:
                with transaction.atomic():
                    _holding_write(holding, values)
            except IntegrityError:
                # Another import wrote the same holding at the same moment: this one stops
                # whole (the outer transaction rolls back) and says which row.
                raise HoldingsImportRefused(
                    [RowError(number, "", _("This holding was saved meanwhile: import again."))]
                ) from None
            holding_ids.append(holding.pk)
        audit_record(
            actor=actor,
            action="sharing.holdings_import",
            summary=f"{created} created, {updated} updated",
            data={"organization_id": organization_id, "created": created, "updated": updated},
        )
        directory_sync(organization_id=organization_id)
    return HoldingsImportResult(created=created, updated=updated, holding_ids=holding_ids)


def holdings_export_rows(*, actor: Any, organization_id: int) -> Iterator[list[Any]]:
    """The holdings CSV of this library (header first), in the shape holdings_import reads; for
    tapestry.core.api.csv_lines. Raises NotYourLibrary."""
    _require_library(actor, organization_id)
    yield list(CSV_COLUMNS)
    holdings = (
        Holding.objects.filter(organization_id=organization_id)
        .prefetch_related("ranges")
        .order_by("title", "pk")
    )
    for holding in holdings:
        yield [
            holding.kind,
            holding.title,
            holding.issn,
            holding.isbn,
            holding.holding_format,
            "yes" if holding.licence_allows_lending else "no",
            statement_format(holding.ranges.all()),
        ]


# --- Lending policy ---

POLICY_FIELDS = (
    "lends",
    "lends_to_region",
    "lends_to_network",
    "lends_to_public_libraries",
    "fee_cents",
    "delivers_electronically",
    "delivers_by_mail",
    "answer_business_days",
    "accepts_patron_requests",
)


def lending_policy_get(*, actor: Any, organization_id: int) -> LendingPolicy | None:
    """This library's lending policy, or None (it does not lend yet). Raises NotYourLibrary."""
    _require_library(actor, organization_id)
    return LendingPolicy.objects.filter(organization_id=organization_id).first()


def lending_policy_save(*, actor: Any, organization_id: int, **fields: Any) -> LendingPolicy:
    """Set this library's lending policy (the fields of POLICY_FIELDS given; the others keep
    their value, or the default for a new policy). A lender delivers somehow and lends to
    someone; it answers in 1 to 10 business days; the fee (cents) is not negative. Raises
    NotYourLibrary or ValidationError by field."""
    _require_library(actor, organization_id)
    unknown = set(fields) - set(POLICY_FIELDS)
    if unknown:
        raise TypeError(f"unknown lending policy fields: {sorted(unknown)}")
    with transaction.atomic():
        policy = LendingPolicy.objects.select_for_update().filter(
            organization_id=organization_id
        ).first() or LendingPolicy(
            organization_id=organization_id,
            answer_business_days=settings.SHARING_DEFAULT_ANSWER_BUSINESS_DAYS,
        )
        for name, value in fields.items():
            setattr(policy, name, value)
        errors: dict[str, list[str]] = {}
        if not isinstance(policy.fee_cents, int) or policy.fee_cents < 0:
            errors["fee_cents"] = [_("The fee is an amount of at least $0.00.")]
        if not isinstance(policy.answer_business_days, int) or not (
            1 <= policy.answer_business_days <= 10
        ):
            errors["answer_business_days"] = [_("Answer within 1 to 10 business days.")]
        if policy.lends and not (policy.delivers_electronically or policy.delivers_by_mail):
            errors[NON_FIELD_ERRORS] = [
                _(
                    "A library that lends must deliver somehow: choose secure electronic delivery, mail, or both."
                )
            ]
        elif policy.lends and not (
            policy.lends_to_region or policy.lends_to_network or policy.lends_to_public_libraries
        ):
            errors[NON_FIELD_ERRORS] = [
                _("Choose whom you lend to: your region, the whole network, or public libraries.")
            ]
        if errors:
            raise ValidationError(errors)
        created = policy.pk is None
        try:
            with transaction.atomic():
                policy.save()
        except IntegrityError:
            # Two first saves at once: the other one made the policy; ask to save again.
            raise ValidationError(
                _("Your lending policy was saved meanwhile: check it and save again.")
            ) from None
        audit_record(
            actor=actor,
            action="sharing.policy_create" if created else "sharing.policy_update",
            target=policy,
            summary=f"lends={policy.lends} fee_cents={policy.fee_cents}",
            data={
                "organization_id": organization_id,
                **{name: getattr(policy, name) for name in POLICY_FIELDS},
            },
        )
        directory_sync(organization_id=organization_id)
    return policy


# --- Closures ---


def closures_of(*, organization_id: int, today: datetime.date | None = None) -> list[Closed]:
    """The closures of this library that are not over (for routing and due dates)."""
    today = today or timezone.localdate()
    return [
        Closed(starts_on=starts_on, ends_on=ends_on)
        for starts_on, ends_on in Closure.objects.filter(organization_id=organization_id)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
        .values_list("starts_on", "ends_on")
    ]


def closures_list(*, actor: Any, organization_id: int) -> QuerySet[Closure]:
    """This library's closures that are not over, first first. Raises NotYourLibrary."""
    _require_library(actor, organization_id)
    return (
        Closure.objects.filter(organization_id=organization_id)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=timezone.localdate()))
        .order_by("starts_on", "pk")
    )


def closure_add(
    *,
    actor: Any,
    organization_id: int,
    starts_on: datetime.date,
    ends_on: datetime.date | None,
    reason: str,
) -> Closure:
    """Close this library from `starts_on` to `ends_on` (included; None: paused until the
    closure is removed). Raises NotYourLibrary or ValidationError by field."""
    _require_library(actor, organization_id)
    reason = " ".join(reason.split())
    errors: dict[str, list[str]] = {}
    if not reason:
        errors["reason"] = [_("Say why, such as “Thanksgiving” or “Moving the collection”.")]
    elif len(reason) > 200:
        errors["reason"] = [_("Keep the reason to 200 characters.")]
    if ends_on is not None and ends_on < starts_on:
        errors["ends_on"] = [_("The last day closed cannot come before the first.")]
    elif ends_on is not None and ends_on < timezone.localdate():
        errors["ends_on"] = [_("This closure is already over.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        closure = Closure.objects.create(
            organization_id=organization_id, starts_on=starts_on, ends_on=ends_on, reason=reason
        )
        audit_record(
            actor=actor,
            action="sharing.closure_add",
            target=closure,
            summary=str(closure),
            data={"organization_id": organization_id},
        )
        directory_sync(organization_id=organization_id)
    return closure


def closure_remove(*, actor: Any, organization_id: int, closure_id: int) -> None:
    """Remove one of this library's closures (reopening it if it was paused). Raises
    NotYourLibrary or Closure.DoesNotExist."""
    _require_library(actor, organization_id)
    with transaction.atomic():
        closure = Closure.objects.select_for_update().get(
            pk=closure_id, organization_id=organization_id
        )
        audit_record(
            actor=actor,
            action="sharing.closure_remove",
            target=closure,
            summary=str(closure),
            data={"organization_id": organization_id},
        )
        closure.delete()
        directory_sync(organization_id=organization_id)


# --- Preferred lenders ---


def preferred_lenders_of(*, organization_id: int) -> list[int]:
    """The lenders this library asks first, in its order."""
    return list(
        PreferredLender.objects.filter(borrower_id=organization_id)
        .order_by("position")
        .values_list("lender_id", flat=True)
    )


def preferred_lenders_set(*, actor: Any, borrower_id: int, lender_ids: Sequence[int]) -> list[int]:
    """Replace this library's preferred lenders with these, first asked first. Each is another
    member library, named once. Raises NotYourLibrary or ValidationError (on "lender_ids")."""
    _require_library(actor, borrower_id)
    lender_ids = list(lender_ids)
    errors = []
    if borrower_id in lender_ids:
        errors.append(_("Your library cannot lend to itself: leave it out."))
    if len(set(lender_ids)) != len(lender_ids):
        errors.append(_("Name each library once."))
    known = organizations_get(organization_ids=lender_ids)
    if any(lender_id not in known for lender_id in lender_ids):
        errors.append(_("Choose member libraries of the network."))
    if errors:
        raise ValidationError({"lender_ids": errors})
    with transaction.atomic():
        # The borrower's rows, locked: two saves at once run one after the other.
        list(PreferredLender.objects.select_for_update().filter(borrower_id=borrower_id))
        PreferredLender.objects.filter(borrower_id=borrower_id).delete()
        PreferredLender.objects.bulk_create(
            PreferredLender(borrower_id=borrower_id, lender_id=lender_id, position=position)
            for position, lender_id in enumerate(lender_ids, start=1)
        )
        audit_record(
            actor=actor,
            action="sharing.preferred_lenders_set",
            summary=", ".join(str(lender_id) for lender_id in lender_ids),
            data={"organization_id": borrower_id, "lender_ids": lender_ids},
        )
    return lender_ids


# --- The directory's "document delivery" service ---


def lends_now(*, organization_id: int) -> LendingPolicy | None:
    """The library's policy if it lends: a policy that lends and a holding it may lend."""
    policy = LendingPolicy.objects.filter(organization_id=organization_id, lends=True).first()
    if policy is None:
        return None
    lendable = Holding.objects.filter(organization_id=organization_id).filter(
        Q(holding_format=HoldingFormat.PRINT) | Q(licence_allows_lending=True)
    )
    return policy if lendable.exists() else None


def directory_sync(*, organization_id: int) -> list[str] | None:
    """List "document delivery" in the library's directory entry when it lends (for its
    affiliated users; for the public and unaffiliated health professionals too when it takes
    their requests), or remove it. Returns the audiences listed (None: removed)."""
    policy = lends_now(organization_id=organization_id)
    audiences: list[str] | None = None
    if policy is not None:
        audiences = ["affiliated"]
        if policy.accepts_patron_requests:
            audiences += ["public", "unaffiliated_professionals"]
    organization_service_set(
        organization_id=organization_id, service="document_delivery", audiences=audiences
    )
    return audiences
