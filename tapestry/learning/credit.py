"""Continuing education: the CHIS competencies, and a person's progress toward the Medical
Library Association's Consumer Health Information Specialization.

The specialization counts CE hours earned within a rolling window (settings
LEARNING_CHIS_WINDOW_YEARS, three years ending on the day one applies): an entry earned on
day E counts up to and including E + 3 years, and leaves the window the day after. Each level
(settings LEARNING_CHIS_LEVELS) needs so many hours in all, and so many of them approved for
credit (Level I: 12 and 8; Level II: 24 and 18).

The competencies are data (data/competencies.csv): the eight core competencies for providing
consumer health information services, five for Level I and three more for Level II.
"""

from __future__ import annotations

import csv
import datetime
import functools
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from tapestry.learning.models import CreditEntry

COMPETENCIES_FILE = Path(__file__).parent / "data" / "competencies.csv"
ZERO = Decimal("0")


@dataclass(frozen=True)
class Competency:
    code: str
    level: int  # the CHIS level that first asks for it
    name_en: str
    name_es: str
    description_en: str
    description_es: str

    def name(self, language: str) -> str:
        return self.name_es if language == "es" else self.name_en

    def description(self, language: str) -> str:
        return self.description_es if language == "es" else self.description_en


@functools.cache
def competencies() -> tuple[Competency, ...]:
    """The competencies in the order of their codes."""
    with COMPETENCIES_FILE.open(encoding="utf-8", newline="") as file:
        rows = [
            Competency(
                code=row["code"],
                level=int(row["level"]),
                name_en=row["name_en"],
                name_es=row["name_es"],
                description_en=row["description_en"],
                description_es=row["description_es"],
            )
            for row in csv.DictReader(file)
        ]
    return tuple(sorted(rows, key=lambda competency: int(competency.code.removeprefix("C"))))


def competency_choices(language: str) -> list[tuple[str, str]]:
    return [(item.code, f"{item.code} {item.name(language)}") for item in competencies()]


def years_before(day: datetime.date, years: int) -> datetime.date:
    """The same day so many years earlier (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def years_after(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def window_start(today: datetime.date) -> datetime.date:
    """The earliest day whose hours still count on `today`."""
    return years_before(today, settings.LEARNING_CHIS_WINDOW_YEARS)


def leaves_window_on(earned_on: datetime.date) -> datetime.date:
    """The first day an entry earned on `earned_on` no longer counts."""
    return years_after(earned_on, settings.LEARNING_CHIS_WINDOW_YEARS) + datetime.timedelta(days=1)


@dataclass(frozen=True)
class LevelProgress:
    level: str  # "I", "II"
    hours_required: Decimal
    approved_required: Decimal
    hours: Decimal
    approved_hours: Decimal

    @property
    def reached(self) -> bool:
        return self.hours >= self.hours_required and self.approved_hours >= self.approved_required

    @property
    def hours_needed(self) -> Decimal:
        return max(ZERO, self.hours_required - self.hours)

    @property
    def approved_needed(self) -> Decimal:
        return max(ZERO, self.approved_required - self.approved_hours)

    @property
    def hours_shown(self) -> Decimal:
        """Hours up to the requirement (what a progress bar fills)."""
        return min(self.hours, self.hours_required)

    @property
    def approved_shown(self) -> Decimal:
        return min(self.approved_hours, self.approved_required)


@dataclass(frozen=True)
class CompetencyTotal:
    competency: Competency
    hours: Decimal
    approved_hours: Decimal


@dataclass(frozen=True)
class CreditSummary:
    today: datetime.date
    window_start: datetime.date
    counted: list[CreditEntry]  # earned within the window, newest first
    hours: Decimal
    approved_hours: Decimal
    levels: list[LevelProgress]
    by_competency: list[CompetencyTotal]
    # The day the oldest counted entries were earned, and the day they stop counting (None:
    # nothing counts).
    oldest_counted_on: datetime.date | None
    next_drop_on: datetime.date | None
    next_drop_hours: Decimal

    @property
    def window_years(self) -> int:
        years: int = settings.LEARNING_CHIS_WINDOW_YEARS
        return years

    @property
    def level_reached(self) -> str | None:
        reached = [progress.level for progress in self.levels if progress.reached]
        return reached[-1] if reached else None


def credit_summary(*, user_id: int, today: datetime.date | None = None) -> CreditSummary:
    """A person's CE hours within the window, by competency, and their progress toward each
    CHIS level. Only this person's entries are read."""
    today = today or timezone.localdate()
    start = window_start(today)
    counted = list(
        CreditEntry.objects.filter(
            user_id=user_id, earned_on__gte=start, earned_on__lte=today
        ).order_by("-earned_on", "-pk")
    )
    hours = sum((entry.hours for entry in counted), ZERO)
    approved = sum((entry.hours for entry in counted if entry.approved), ZERO)
    levels = [
        LevelProgress(
            level=level,
            hours_required=Decimal(required[0]),
            approved_required=Decimal(required[1]),
            hours=hours,
            approved_hours=approved,
        )
        for level, required in settings.LEARNING_CHIS_LEVELS.items()
    ]
    by_competency = [
        CompetencyTotal(
            competency=competency,
            hours=sum(
                (entry.hours for entry in counted if competency.code in entry.competencies), ZERO
            ),
            approved_hours=sum(
                (
                    entry.hours
                    for entry in counted
                    if entry.approved and competency.code in entry.competencies
                ),
                ZERO,
            ),
        )
        for competency in competencies()
    ]
    oldest = min((entry.earned_on for entry in counted), default=None)
    return CreditSummary(
        today=today,
        window_start=start,
        counted=counted,
        hours=hours,
        approved_hours=approved,
        levels=levels,
        by_competency=by_competency,
        oldest_counted_on=oldest,
        next_drop_on=leaves_window_on(oldest) if oldest else None,
        next_drop_hours=sum((entry.hours for entry in counted if entry.earned_on == oldest), ZERO),
    )


def ledger_entries(*, user_id: int) -> list[CreditEntry]:
    """Every entry of the person's ledger, newest first (those outside the window too)."""
    return list(CreditEntry.objects.filter(user_id=user_id).order_by("-earned_on", "-pk"))
