"""Shapes of the public research API. Every count is a CountOut: never a raw number."""

from ninja import Schema


class CountOut(Schema):
    count: int | None  # the rounded number; null when suppressed
    display: str  # "≤ 20", "1,240" or "suppressed"
    suppressed: bool


class ReleaseOut(Schema):
    version: str
    cutoff_date: str | None
    published_at: str | None


class DomainOut(Schema):
    domain: str
    label: str
    participants: CountOut
    concepts: int


class SummaryOut(Schema):
    release: ReleaseOut
    participants: CountOut
    domains: list[DomainOut]


class ConceptOut(Schema):
    concept_id: int
    name: str
    code: str
    vocabulary: str
    domain: str
    participants: CountOut
    url: str


class ConceptSearchOut(Schema):
    release: ReleaseOut
    q: str
    domain: str
    count: int
    limit: int
    results: list[ConceptOut]


class CellOut(Schema):
    key: str
    label: str
    count: CountOut
    percentage: float | None  # of the breakdown's total, from the rounded counts


class BreakdownOut(Schema):
    total: CountOut
    cells: list[CellOut]


class HistogramBinOut(Schema):
    low: float
    high: float
    count: CountOut


class HistogramOut(Schema):
    unit: str
    bins: list[HistogramBinOut]


class ConceptDetailOut(ConceptOut):
    release: ReleaseOut
    by_sex: BreakdownOut
    by_age: BreakdownOut
    by_race: BreakdownOut
    histogram: HistogramOut | None


class MessageOut(Schema):
    """Why there is no answer: an unknown concept, no release yet."""

    detail: str


class ErrorOut(MessageOut):
    """Bad input: what is wrong with each parameter."""

    errors: dict[str, list[str]] = {}
