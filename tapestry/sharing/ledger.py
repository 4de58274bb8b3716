"""The fee ledger between libraries: every filled request charges its borrower the lender's fee
(a `Charge`, in the month of the fill), and a library's monthly statement nets what it owes and
is owed, counterparty by counterparty.

Reads only: charges are written where requests are filled. Libraries are named through
`network.api`; a library the directory no longer knows keeps its id as its name.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import DateTimeField, Q, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from tapestry.core.api import csv_lines
from tapestry.network.api import organizations_get
from tapestry.sharing.business_days import network_zone
from tapestry.sharing.models import Charge


def dollars(cents: int) -> str:
    """Cents as dollars for people: 1250 → "$12.50", -1250 → "-$12.50", 123456 → "$1,234.56"."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}${whole:,}.{part:02d}"


def plain_dollars(cents: int) -> str:
    """Cents as a spreadsheet number, never negative here: 1250 → "12.50"."""
    whole, part = divmod(abs(cents), 100)
    return f"{whole}.{part:02d}"


def month_start(month: datetime.date) -> datetime.date:
    return month.replace(day=1)


@dataclass(frozen=True)
class StatementLine:
    """What one library and one counterparty owe each other in a month. Positive `net_cents`:
    the counterparty owes us; negative: we owe it."""

    counterparty_id: int
    counterparty_name: str
    owed_by_us_cents: int
    owed_to_us_cents: int

    @property
    def net_cents(self) -> int:
        return self.owed_to_us_cents - self.owed_by_us_cents


@dataclass(frozen=True)
class StatementItem:
    """A filled request behind a statement: we borrowed (we owe) or we lent (we are owed)."""

    request_id: int
    reference: str
    title: str
    filled_at: datetime.datetime
    we_borrowed: bool
    counterparty_id: int
    counterparty_name: str
    amount_cents: int


@dataclass(frozen=True)
class Statement:
    organization_id: int
    organization_name: str
    month: datetime.date
    lines: tuple[StatementLine, ...]
    items: tuple[StatementItem, ...]

    @property
    def owed_by_us_cents(self) -> int:
        return sum(line.owed_by_us_cents for line in self.lines)

    @property
    def owed_to_us_cents(self) -> int:
        return sum(line.owed_to_us_cents for line in self.lines)

    @property
    def net_cents(self) -> int:
        return self.owed_to_us_cents - self.owed_by_us_cents

    @property
    def is_empty(self) -> bool:
        return not self.items


def _names(organization_ids: Iterable[int]) -> dict[int, str]:
    ids = set(organization_ids)
    known = organizations_get(organization_ids=ids)
    return {pk: known[pk].name if pk in known else f"#{pk}" for pk in ids}


def statement(*, organization_id: int, month: datetime.date) -> Statement:
    """The library's statement for the month `month` falls in: one line per counterparty (by
    name), the totals, and the filled requests behind them (oldest fill first). A month without
    charges gives an empty statement with zero totals."""
    month = month_start(month)
    charges = _charges_of(organization_id=organization_id, month=month)
    counterparty_ids = {
        charge["lender_id"] if charge["borrower_id"] == organization_id else charge["borrower_id"]
        for charge in charges
    }
    names = _names(counterparty_ids | {organization_id})
    owed_by_us: dict[int, int] = defaultdict(int)
    owed_to_us: dict[int, int] = defaultdict(int)
    items = []
    for charge in charges:
        we_borrowed = charge["borrower_id"] == organization_id
        counterparty = charge["lender_id"] if we_borrowed else charge["borrower_id"]
        (owed_by_us if we_borrowed else owed_to_us)[counterparty] += charge["amount_cents"]
        items.append(
            StatementItem(
                request_id=charge["request_id"],
                reference=f"R-{charge['request_id']:06d}",
                title=charge["request__title"],
                filled_at=charge["filled_at"],
                we_borrowed=we_borrowed,
                counterparty_id=counterparty,
                counterparty_name=names[counterparty],
                amount_cents=charge["amount_cents"],
            )
        )
    lines = sorted(
        (
            StatementLine(
                counterparty_id=counterparty,
                counterparty_name=names[counterparty],
                owed_by_us_cents=owed_by_us[counterparty],
                owed_to_us_cents=owed_to_us[counterparty],
            )
            for counterparty in counterparty_ids
        ),
        key=lambda line: (line.counterparty_name.casefold(), line.counterparty_id),
    )
    return Statement(
        organization_id=organization_id,
        organization_name=names[organization_id],
        month=month,
        lines=tuple(lines),
        items=tuple(items),
    )


def _charges_of(*, organization_id: int, month: datetime.date) -> list[dict[str, Any]]:
    return [
        dict(row)
        for row in Charge.objects.filter(
            Q(borrower_id=organization_id) | Q(lender_id=organization_id)
        )
        .filter(month=month)
        .annotate(
            filled_at=Coalesce(
                "request__delivery__created_at", "created_at", output_field=DateTimeField()
            )
        )
        .order_by("filled_at", "pk")
        .values(
            "request_id", "request__title", "borrower_id", "lender_id", "amount_cents", "filled_at"
        )
    ]


@dataclass(frozen=True)
class LibraryNet:
    """One library's month across the whole network: what it owes as a borrower, what it is
    owed as a lender, and the difference (positive: the network owes it)."""

    organization_id: int
    name: str
    owes_cents: int
    is_owed_cents: int

    @property
    def net_cents(self) -> int:
        return self.is_owed_cents - self.owes_cents


def statements_network(*, month: datetime.date) -> list[LibraryNet]:
    """Every library with a charge in the month, by name: two aggregate queries, whatever the
    number of requests. Every fee one library owes another is owed to it, so the nets sum to
    zero."""
    charges = Charge.objects.filter(month=month_start(month))
    owes = dict(
        charges.values("borrower_id")
        .annotate(total=Sum("amount_cents"))
        .values_list("borrower_id", "total")
    )
    is_owed = dict(
        charges.values("lender_id")
        .annotate(total=Sum("amount_cents"))
        .values_list("lender_id", "total")
    )
    names = _names(owes.keys() | is_owed.keys())
    return sorted(
        (
            LibraryNet(
                organization_id=pk,
                name=names[pk],
                owes_cents=owes.get(pk, 0),
                is_owed_cents=is_owed.get(pk, 0),
            )
            for pk in names
        ),
        key=lambda net: (net.name.casefold(), net.organization_id),
    )


def _network_day(moment: datetime.datetime) -> str:
    return moment.astimezone(network_zone()).date().isoformat()


def statement_csv_lines(statement: Statement) -> Iterator[str]:
    """The statement as CSV: a line per counterparty and the total, then (after an empty line)
    the filled requests. Amounts are plain numbers ("12.50") a spreadsheet adds up; the net
    goes in the column that says who owes, so no cell is negative. Every cell goes through
    `core.api.csv_cell`: a library named "=HYPERLINK(...)" stays text."""
    rows: list[list[Any]] = [
        [
            _("Library"),
            _("Library ID"),
            _("We owe"),
            _("We are owed"),
            _("Net we owe"),
            _("Net we are owed"),
        ]
    ]
    for line in statement.lines:
        rows.append(
            [
                line.counterparty_name,
                line.counterparty_id,
                *_amount_cells(line.owed_by_us_cents, line.owed_to_us_cents),
            ]
        )
    rows.append(
        [
            _("Total"),
            "",
            *_amount_cells(statement.owed_by_us_cents, statement.owed_to_us_cents),
        ]
    )
    rows.append([])
    rows.append(
        [
            _("Request"),
            _("Filled on"),
            _("Title"),
            _("We borrowed or lent"),
            _("Library"),
            _("Library ID"),
            _("Amount"),
        ]
    )
    for item in statement.items:
        rows.append(
            [
                item.reference,
                _network_day(item.filled_at),
                item.title,
                _("Borrowed") if item.we_borrowed else _("Lent"),
                item.counterparty_name,
                item.counterparty_id,
                plain_dollars(item.amount_cents),
            ]
        )
    return csv_lines(rows)


def network_csv_lines(nets: list[LibraryNet]) -> Iterator[str]:
    """Every library's month as CSV, with the network's total (owed equals owing)."""
    rows: list[list[Any]] = [
        [
            _("Library"),
            _("Library ID"),
            _("Owes"),
            _("Is owed"),
            _("Net owes"),
            _("Net is owed"),
        ]
    ]
    for net in nets:
        rows.append(
            [net.name, net.organization_id, *_amount_cells(net.owes_cents, net.is_owed_cents)]
        )
    rows.append(
        [
            _("Total"),
            "",
            *_amount_cells(
                sum(net.owes_cents for net in nets), sum(net.is_owed_cents for net in nets)
            ),
        ]
    )
    return csv_lines(rows)


def _amount_cells(owes_cents: int, is_owed_cents: int) -> list[str]:
    net = is_owed_cents - owes_cents
    return [
        plain_dollars(owes_cents),
        plain_dollars(is_owed_cents),
        plain_dollars(-net if net < 0 else 0),
        plain_dollars(net if net > 0 else 0),
    ]
