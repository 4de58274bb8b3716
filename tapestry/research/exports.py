"""The diversity dashboard's figures as CSV, for program staff and administrators."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from tapestry.core.api import audit_record, csv_lines
from tapestry.research import labels, selectors
from tapestry.research.models import Release

if TYPE_CHECKING:
    from tapestry.accounts.api import User


@dataclass(frozen=True)
class CsvExport:
    filename: str
    lines: Iterator[str]


CSV_HEADER = [
    "section",
    "site",
    "site_name",
    "key",
    "label",
    "count",
    "display",
    "percent",
    "goal_percent",
    "status",
    "projected_month",
    "projection",
]


def _csv_rows(dashboard: selectors.Dashboard) -> list[list[Any]]:
    """The dashboard's figures, one per row, as protected counts and their display text."""
    rows: list[list[Any]] = []
    release = dashboard.release
    rows.append(
        [
            "release",
            "",
            "",
            release.version,
            release.cutoff_date.isoformat() if release.cutoff_date else "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
        ]
    )
    for site in [dashboard.overall, *dashboard.sites]:
        site_name = site.site_name or _("All sites")
        rows.append(
            [
                "participants",
                site.site,
                site_name,
                "participants",
                _("Participants"),
                site.participants.value,
                site.participants.display,
                "",
                "",
                "",
                "",
                "",
            ]
        )
        for goal in site.goals:
            rows.append(
                [
                    "goal",
                    site.site,
                    site_name,
                    goal.code,
                    labels.label(labels.GOAL_LABELS, goal.code),
                    goal.count.value,
                    goal.count.display,
                    _percent(goal.share),
                    round(goal.goal * 100, 1),
                    goal.status,
                    goal.met_on.strftime("%Y-%m") if goal.met_on else "",
                    labels.projection_text(goal),
                ]
            )
        for cell in site.categories:
            rows.append(
                [
                    "category",
                    site.site,
                    site_name,
                    cell.key,
                    labels.label(labels.CATEGORY_LABELS, cell.key),
                    cell.count.value,
                    cell.count.display,
                    _percent(cell.percentage),
                    "",
                    "",
                    "",
                    "",
                ]
            )
    # Those who did not answer each category: published for all sites only.
    for cell, unanswered in zip(
        dashboard.overall.categories, dashboard.overall.not_answered, strict=True
    ):
        rows.append(
            [
                "not_answered",
                "",
                _("All sites"),
                cell.key,
                labels.label(labels.CATEGORY_LABELS, cell.key),
                unanswered.value,
                unanswered.display,
                "",
                "",
                "",
                "",
                "",
            ]
        )
    # Enrollment by year for all sites and for each site: what each site's page shows.
    for site in [dashboard.overall, *dashboard.sites]:
        site_name = site.site_name or _("All sites")
        for point in selectors.enrollment_by_year(release=release, site=site.site):
            for key, count, share in (
                ("enrolled", point.enrolled, None),
                ("minority", point.minority, None),
                ("ubr", point.ubr, None),
                ("minority_share", None, point.minority_share),
                ("ubr_share", None, point.ubr_share),
            ):
                if count is None and share is None:
                    continue  # a site's minorities and UBR by year are not published
                rows.append(
                    [
                        "year",
                        site.site,
                        site_name,
                        str(point.year),
                        key,
                        count.value if count else "",
                        count.display if count else "",
                        _percent(share),
                        "",
                        "",
                        "",
                        "",
                    ]
                )
    return rows


def _percent(percentage: float | None) -> str:
    return "" if percentage is None else f"{percentage:.1f}"


def diversity_csv(*, actor: User, release: Release) -> CsvExport:
    """Every figure of the release's dashboard as CSV, audited when this is called.

    The caller has checked that `actor` may see the dashboard.
    """
    dashboard = selectors.diversity_dashboard(release=release)
    assert dashboard is not None  # all sites always exist
    audit_record(
        actor=actor,
        action="research.diversity_export",
        target=release,
        summary=release.version,
    )
    # A version is free text to the release command; keep the file name to safe characters.
    safe_version = re.sub(r"[^A-Za-z0-9._-]", "-", release.version)
    return CsvExport(
        filename=f"tapestry-diversity-{safe_version}.csv",
        lines=csv_lines([CSV_HEADER, *_csv_rows(dashboard)]),
    )
