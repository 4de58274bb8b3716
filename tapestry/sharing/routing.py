"""Routing: the libraries a request is sent to, in turn (ADR 0028).

A lender qualifies when it holds the cited year (and volume, where its holdings say) in a form
it may lend, lends to this borrower under its policy, is open today, charges no more than the
borrower's maximum, and delivers in a way the item allows (a book goes by mail). The sequence
is the borrower's own preferred lenders in its order, then the libraries of its region, then
the rest of the network; cheaper before dearer within each group; libraries of equal fee in an
order drawn from the request, so that equal lenders share the load instead of the first by name
taking every request. Never the borrower itself; at most SHARING_MAX_LENDERS.
"""

import datetime
import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Exists, OuterRef, Q

from tapestry.network.api import organizations_get, organizations_in_regions
from tapestry.sharing.business_days import Closed
from tapestry.sharing.models import Closure, Holding, HoldingRange, LendingPolicy, PreferredLender

PREFERRED, REGION, NETWORK = 0, 1, 2


@dataclass(frozen=True)
class Citation:
    """What routing needs of a request: the journal and year (and volume), or the book."""

    issn: str = ""
    year: int | None = None
    volume: int | None = None
    isbn: str = ""

    @property
    def is_book(self) -> bool:
        return bool(self.isbn)


@dataclass(frozen=True)
class Candidate:
    organization_id: int
    fee_cents: int
    group: int
    answer_business_days: int
    closures: tuple[Closed, ...]


def volume_number(volume: str) -> int | None:
    """The volume as a number when it is one ("625"), else None (routing then goes by year)."""
    digits = volume.strip()
    return int(digits) if digits.isdigit() and len(digits) <= 9 else None


def _holders(citation: Citation) -> Q:
    """The libraries that hold the item in a form they may lend, as a filter on policies."""
    if citation.is_book:
        books = Holding.objects.filter(kind=Holding.Kind.BOOK, isbn=citation.isbn).filter(
            Q(holding_format="print") | Q(licence_allows_lending=True)
        )
        return Q(organization_id__in=books.values("organization_id"))
    year = citation.year or 0
    ranges = HoldingRange.objects.filter(issn=citation.issn, lendable=True, year_from__lte=year)
    ranges = ranges.filter(Q(year_to__isnull=True) | Q(year_to__gte=year))
    if citation.volume is not None:
        ranges = ranges.filter(
            Q(volume_from__isnull=True) | Q(volume_from__lte=citation.volume),
            Q(volume_to__isnull=True) | Q(volume_to__gte=citation.volume),
        )
    return Q(organization_id__in=ranges.values("organization_id"))


def _load_order(seed: int, organization_id: int) -> bytes:
    return hashlib.blake2b(f"{seed}:{organization_id}".encode(), digest_size=8).digest()


def lenders_route(
    *,
    borrower_id: int,
    citation: Citation,
    max_cost_cents: int,
    today: datetime.date,
    seed: int,
) -> list[Candidate]:
    """The lender sequence for a request, best first (see the module's docstring).

    A popular journal has thousands of holders: they are read as plain rows (libraries closed
    today already left out by the database) and ranked, and only the few chosen are looked up
    further (their closures, that they are still members)."""
    borrower = organizations_get(organization_ids=[borrower_id]).get(borrower_id)
    if borrower is None:
        return []
    same_region = (
        set(organizations_in_regions(region_codes=[borrower.region_code]))
        if borrower.region_code
        else set()
    )
    borrower_is_public = borrower.org_type == "public_library"
    closed_today = Closure.objects.filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=today),
        organization_id=OuterRef("organization_id"),
        starts_on__lte=today,
    )
    rows = (
        LendingPolicy.objects.filter(_holders(citation), lends=True, fee_cents__lte=max_cost_cents)
        .exclude(organization_id=borrower_id)
        .filter(Q(delivers_by_mail=True) if citation.is_book else Q())
        .exclude(Exists(closed_today))
        .values_list(
            "organization_id",
            "fee_cents",
            "answer_business_days",
            "lends_to_region",
            "lends_to_network",
            "lends_to_public_libraries",
        )
    )
    preferred = dict(
        PreferredLender.objects.filter(borrower_id=borrower_id).values_list("lender_id", "position")
    )
    ranked = []
    for organization_id, fee, days, to_region, to_network, to_public in rows:
        in_region = organization_id in same_region
        if not (to_network or (to_region and in_region) or (to_public and borrower_is_public)):
            continue
        if organization_id in preferred:
            group = PREFERRED
        elif in_region:
            group = REGION
        else:
            group = NETWORK
        ranked.append(
            (
                group,
                preferred.get(organization_id, 0),
                fee,
                _load_order(seed, organization_id),
                organization_id,
                days,
            )
        )
    ranked.sort()
    # A policy may outlive its library's membership: keep those still in the directory.
    shortlist = ranked[: settings.SHARING_MAX_LENDERS * 2]
    members = organizations_get(organization_ids=[row[4] for row in shortlist])
    chosen = [row for row in shortlist if row[4] in members][: settings.SHARING_MAX_LENDERS]
    closures: dict[int, list[Closed]] = {}
    for organization_id, starts_on, ends_on in Closure.objects.filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=today),
        organization_id__in=[row[4] for row in chosen],
    ).values_list("organization_id", "starts_on", "ends_on"):
        closures.setdefault(organization_id, []).append(Closed(starts_on, ends_on))
    return [
        Candidate(
            organization_id=organization_id,
            fee_cents=fee,
            group=group,
            answer_business_days=days,
            closures=tuple(closures.get(organization_id, ())),
        )
        for group, _position, fee, _order, organization_id, days in chosen
    ]
