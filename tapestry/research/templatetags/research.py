"""Filters that show the research summaries' protected figures in the visitor's language."""

import datetime

from django import template
from django.utils import translation
from django.utils.formats import date_format

from tapestry.research import labels
from tapestry.research.charts import format_number, format_percent
from tapestry.research.privacy import PublicCount
from tapestry.research.selectors import ConceptHit, GoalProgress

register = template.Library()


@register.filter
def public_count(count: PublicCount | None) -> str:
    return labels.public_count_text(count)


@register.filter
def local_name(concept: ConceptHit) -> str:
    """The concept's name in the visitor's language (Spanish where the team wrote one)."""
    return concept.local_name(translation.get_language() or "")


@register.filter
def percent(value: float | None) -> str:
    """A percentage (0 to 100), or a dash when there is none (a suppressed cell)."""
    return "—" if value is None else format_percent(value)


@register.filter
def goal_percent(value: float | None) -> str:
    """A goal, stored as a share (0.5), as a whole percentage ("50%")."""
    return "—" if value is None else format_percent(value * 100, 0)


@register.filter
def number(value: float | None) -> str:
    return "" if value is None else format_number(value)


@register.filter
def group_label(code: str, kind: str) -> str:
    """`{{ cell.key|group_label:"sex" }}`: a breakdown group's label."""
    return labels.label(labels.BREAKDOWN_LABELS.get(kind, {}), code)


@register.filter
def domain_label(code: str) -> str:
    return labels.label(labels.DOMAIN_LABELS, code)


@register.filter
def survey_label(code: str) -> str:
    """A survey's name as the program gives it: "The Basics", "Lo básico"."""
    return labels.label(labels.SURVEY_LABELS, code)


@register.filter
def category_label(code: str) -> str:
    return labels.label(labels.CATEGORY_LABELS, code)


@register.filter
def goal_label(code: str) -> str:
    return labels.label(labels.GOAL_LABELS, code)


@register.filter
def projection(goal: GoalProgress) -> str:
    return labels.projection_text(goal)


@register.filter
def month(value: datetime.date) -> str:
    """A month as the active language names it: "March 2024", "marzo de 2024"."""
    return date_format(value, "YEAR_MONTH_FORMAT")


@register.filter
def unit(code: str) -> str:
    """A UCUM unit code as people write it: `{{ page.unit|unit }}` shows "mmHg"."""
    return labels.unit_display(code)
