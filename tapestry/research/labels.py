"""Translated labels for the codes the summaries store (group keys, domains, UBR categories).

The warehouse speaks plain English codes and labels and knows nothing of Django; the pages,
the API and the CSV show these labels in the visitor's language. A code without a label here
shows as itself, and a test checks every code the warehouse can produce has one.
"""

import csv
from functools import cache
from pathlib import Path

from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tapestry.research.charts import format_number
from tapestry.research.models import Domain
from tapestry.research.privacy import PublicCount
from tapestry.research.selectors import GoalProgress

SEX_LABELS: dict[str, Promise] = {
    "female": _("Female"),
    "male": _("Male"),
    "intersex": _("Intersex"),
    "other": _("Other"),
    "unknown": _("Skipped or unknown"),
}

AGE_LABELS: dict[str, Promise] = {
    "0-17": _("Under 18"),
    "18-29": _("18 to 29"),
    "30-39": _("30 to 39"),
    "40-49": _("40 to 49"),
    "50-59": _("50 to 59"),
    "60-69": _("60 to 69"),
    "70-79": _("70 to 79"),
    "80+": _("80 and older"),
}

RACE_LABELS: dict[str, Promise] = {
    "aian": _("American Indian or Alaska Native"),
    "asian": _("Asian"),
    "black": _("Black or African American"),
    "hispanic": _("Hispanic, Latino or Spanish"),
    "mena": _("Middle Eastern or North African"),
    "nhpi": _("Native Hawaiian or other Pacific Islander"),
    "white": _("White"),
    "more_than_one": _("More than one race or ethnicity"),
    "none_of_these": _("None of these"),
    "unknown": _("Skipped or unknown"),
}

# One per code in warehouse.ubr.CATEGORIES.
CATEGORY_LABELS: dict[str, Promise] = {
    "race_ethnicity": _("Racial or ethnic minority"),
    "age": _("Age 65 or older, or under 18"),
    "sex_at_birth": _("Sex at birth other than male or female"),
    "sexual_orientation_gender_identity": _("Sexual or gender minority"),
    "income": _("Household income below 200% of the poverty level"),
    "education": _("Less than a high school diploma or GED"),
    "rural": _("Rural residence"),
    "disability": _("Disability"),
    "access_to_care": _("Limited access to care"),
}

GOAL_LABELS: dict[str, Promise] = {
    "minority": _("Racial and ethnic minorities"),
    "ubr": _("Underrepresented in biomedical research"),
}

# One per survey in warehouse.vocabulary.SURVEYS, named as the program names them.
SURVEY_LABELS: dict[str, Promise] = {
    "consent": _("Consent to join"),
    "the_basics": _("The Basics"),
    "health_care_access": _("Health Care Access & Utilization"),
    "other": _("Other survey questions"),
}

DOMAIN_LABELS: dict[str, Promise] = {domain.value: domain.label for domain in Domain}

BREAKDOWN_LABELS: dict[str, dict[str, Promise]] = {
    "sex": SEX_LABELS,
    "age": AGE_LABELS,
    "race": RACE_LABELS,
}


def label(labels: dict[str, Promise], code: str) -> str:
    """The code's label in the active language, or the code itself if it has none."""
    return str(labels.get(code, code))


UNITS_FILE = Path(__file__).resolve().parent / "data" / "units.csv"


@cache
def _unit_displays() -> dict[str, str]:
    with UNITS_FILE.open(encoding="utf-8", newline="") as rows:
        return {row["ucum_code"]: row["display"] for row in csv.DictReader(rows)}


def unit_display(code: str) -> str:
    """A UCUM unit code as people write it: "mm[Hg]" is "mmHg", "kg/m2" is "kg/m²".

    The warehouse keeps the codes, as OMOP stores them; a code without a display in
    data/units.csv shows as itself.
    """
    return _unit_displays().get(code, code)


def public_count_text(count: PublicCount | None) -> str:
    """A PublicCount as the visitor reads it: "≤ 20" as it is, "Suppressed" translated, and
    any other count as the rounded number written the local way ("1,240", "1.240")."""
    if count is None:
        return ""
    if count.suppressed:
        return gettext("Suppressed")
    if count.value is None or count.display.startswith("≤"):
        return count.display
    return format_number(count.value)


def projection_text(goal: GoalProgress) -> str:
    """Where a goal stands, in one sentence: met, when it will be, or not at this pace."""
    if goal.status == "met":
        return gettext("The goal is met.")
    if goal.status == "projected" and goal.met_on is not None:
        return gettext("At the current pace, the goal will be met in %(month)s.") % {
            "month": date_format(goal.met_on, "YEAR_MONTH_FORMAT")
        }
    if goal.status == "no_data":
        return gettext("No enrollment yet, so there is no projection.")
    if goal.status == "overall_only":
        return gettext("Projections are made for all sites together.")
    if goal.status == "not_shown":
        return gettext("Some of the counts it needs are suppressed, so there is no projection.")
    return gettext("At the current pace, the goal will not be met.")
