"""An application's statuses and the transitions between them (ADR 0026).

The transitions are data (`data/transitions.csv`: from, to, who may make it, whether a reason
is required), read once into `TRANSITIONS`. Services ask `transition_rule` before any write;
a pair that is not listed is no transition at all. No Django beyond the choices' labels.
"""

import csv
from dataclasses import dataclass
from pathlib import Path

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

TRANSITIONS_FILE = Path(__file__).resolve().parent / "data" / "transitions.csv"


class Status(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("funding application", "Draft")
    SUBMITTED = "submitted", pgettext_lazy("funding application", "Submitted")
    SCREENED = "screened", pgettext_lazy("funding application", "Screened")
    UNDER_REVIEW = "under_review", pgettext_lazy("funding application", "Under review")
    AWARDED = "awarded", pgettext_lazy("funding application", "Awarded")
    DECLINED = "declined", pgettext_lazy("funding application", "Declined")
    WITHDRAWN = "withdrawn", pgettext_lazy("funding application", "Withdrawn")


class Actor(models.TextChoices):
    """Who may make a transition: the application's own people, or program staff."""

    APPLICANT = "applicant", _("The applicant")
    STAFF = "staff", _("Program staff")


@dataclass(frozen=True)
class Transition:
    from_status: Status
    to_status: Status
    by: Actor
    reason_required: bool


def _load(path: Path) -> dict[tuple[Status, Status], Transition]:
    with path.open(encoding="utf-8", newline="") as rows:
        transitions = [
            Transition(
                from_status=Status(row["from"]),
                to_status=Status(row["to"]),
                by=Actor(row["by"]),
                reason_required={"yes": True, "no": False}[row["reason_required"]],
            )
            for row in csv.DictReader(rows)
        ]
    return {(rule.from_status, rule.to_status): rule for rule in transitions}


TRANSITIONS = _load(TRANSITIONS_FILE)
# Statuses no transition leaves: the application's story is over.
FINAL = frozenset(Status) - {rule.from_status for rule in TRANSITIONS.values()}


def transition_rule(from_status: str, to_status: str) -> Transition | None:
    """The rule for moving from one status to another, or None if that is no transition."""
    try:
        return TRANSITIONS.get((Status(from_status), Status(to_status)))
    except ValueError:
        return None


def next_statuses(from_status: str, by: Actor) -> list[Status]:
    """The statuses `by` may move an application to from `from_status`, in file order."""
    return [
        rule.to_status
        for rule in TRANSITIONS.values()
        if rule.from_status == from_status and rule.by == by
    ]
