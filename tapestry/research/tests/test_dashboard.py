"""The diversity dashboard and its CSV: program staff and administrators only."""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from django.conf import settings
from django.test import Client

from tapestry.research.models import CategorySummary, EnrollmentSummary, Release
from tapestry.research.tests.factories import (
    CategorySummaryFactory,
    EnrollmentSummaryFactory,
    ReleaseFactory,
)
from tapestry.research.warehouse import ubr

if TYPE_CHECKING:
    from tapestry.accounts.api import User

pytestmark = pytest.mark.django_db

DASHBOARD = "/research/diversity/"
EXPORT = "/research/diversity.csv"
MONTHS = [datetime.date(2023 + index // 12, index % 12 + 1, 1) for index in range(24)]


@pytest.fixture
def release() -> Release:
    """Two sites over 2023 and 2024.

    Chicago: 200 a month, 60% minority (goal met), 70% UBR (below the goal, and so is its pace).
    Detroit: 100 a month; minority 30 then 60 a month (45%, reaching 50% in December 2025 at
    the recent pace); UBR 50 then 85 a month (67.5%, reaching 75% in June 2026).
    Overall: minority 55% (met); UBR 69.2%, and the recent pace is exactly the goal, which
    never closes the gap.
    """
    release = ReleaseFactory.create(version="R2025-01", cutoff_date=datetime.date(2024, 12, 31))
    for index, month in enumerate(MONTHS):
        later = index >= 12
        EnrollmentSummaryFactory.create(
            release=release,
            site="chicago",
            site_name="Chicago, IL",
            month=month,
            participants=200,
            minority=120,
            ubr=140,
        )
        EnrollmentSummaryFactory.create(
            release=release,
            site="detroit",
            site_name="Detroit, MI",
            month=month,
            participants=100,
            minority=60 if later else 30,
            ubr=85 if later else 50,
        )
    for site, category, participants in [
        ("chicago", "race_ethnicity", 2_880),
        ("detroit", "race_ethnicity", 1_080),
        ("chicago", "income", 1_500),
        ("detroit", "income", 7),
    ]:
        CategorySummaryFactory.create(
            release=release, site=site, category=category, participants=participants
        )
    return release


def _csv(response: Any) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.content.decode())))


# Who may see it


@pytest.mark.parametrize("client_fixture", ["paula_client", "admin_signed_in"])
def test_program_staff_and_administrators_see_the_dashboard(
    request: pytest.FixtureRequest, release: Release, client_fixture: str
) -> None:
    client = request.getfixturevalue(client_fixture)

    response = client.get(DASHBOARD)

    assert response.status_code == 200
    assert response.context["dashboard"].release == release


@pytest.mark.parametrize("client_fixture", ["alice_client", "sam_client", "bob_client"])
def test_everyone_else_is_refused_the_dashboard(
    request: pytest.FixtureRequest, release: Release, client_fixture: str
) -> None:
    client = request.getfixturevalue(client_fixture)

    response = client.get(DASHBOARD)

    assert response.status_code == 403
    assert "Chicago, IL" not in response.text


def test_my_tapestry_links_program_staff_to_the_dashboard(
    paula_client: Client, alice_client: Client
) -> None:
    assert f'href="{DASHBOARD}"' in paula_client.get("/me/").text
    assert f'href="{DASHBOARD}"' not in alice_client.get("/me/").text


def test_a_community_partner_is_refused_the_dashboard(
    signed_in: Callable[[User], Client], rosa_spanish: User, release: Release
) -> None:
    response = signed_in(rosa_spanish).get(DASHBOARD)

    assert response.status_code == 403


@pytest.mark.parametrize("path", [DASHBOARD, EXPORT])
def test_a_visitor_is_sent_to_sign_in(visitor: Client, release: Release, path: Any) -> None:
    response = visitor.get(path)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={path}"


@pytest.mark.parametrize("client_fixture", ["alice_client", "sam_client", "bob_client"])
def test_everyone_else_is_refused_the_export_and_nothing_is_audited(
    request: pytest.FixtureRequest,
    release: Release,
    audit_log: Callable[[], list[tuple]],
    client_fixture: str,
) -> None:
    client = request.getfixturevalue(client_fixture)
    before = audit_log()

    response = client.get(EXPORT)

    assert response.status_code == 403
    assert audit_log() == before


# What it shows


def test_the_dashboard_shows_progress_toward_both_goals(
    paula_client: Client, release: Release
) -> None:
    response = paula_client.get(DASHBOARD)

    text = response.text
    overall = response.context["dashboard"].overall
    assert [(goal.code, goal.share, goal.status) for goal in overall.goals] == [
        ("minority", 55.0, "met"),
        ("ubr", 69.2, "not_at_current_pace"),
    ]
    assert "7,200" in text
    assert "Racial and ethnic minorities" in text
    assert "Underrepresented in biomedical research" in text
    assert "3,960 participants; the goal is 50%." in text
    assert "4,980 participants; the goal is 75%." in text
    assert "The goal is met." in text
    assert "At the current pace, the goal will not be met." in text


def test_each_site_has_its_shares_and_whether_it_met_the_goals(
    paula_client: Client, release: Release
) -> None:
    response = paula_client.get(DASHBOARD)

    sites = response.context["dashboard"].sites
    assert [(site.site_name, site.participants.value) for site in sites] == [
        ("Chicago, IL", 4_800),
        ("Detroit, MI", 2_400),
    ]
    chicago, detroit = sites
    assert [(goal.share, goal.status) for goal in chicago.goals] == [
        (60.0, "met"),
        (70.0, "overall_only"),
    ]
    # A site's minorities and UBR participants by year are not published, so its pace is not.
    assert [(goal.share, goal.status, goal.met_on) for goal in detroit.goals] == [
        (45.0, "overall_only", None),
        (67.5, "overall_only", None),
    ]
    assert "Projections are made for all sites together." in response.text


def test_the_overall_projection_uses_the_latest_years_published_counts(
    paula_client: Client, release: Release
) -> None:
    """Detroit alone, as all sites: its 2024 pace reaches 50% minorities in December 2025
    and 75% UBR in June 2026 (every count is a multiple of 20, so rounding changes nothing)."""
    EnrollmentSummary.objects.filter(release=release, site="chicago").delete()

    overall = paula_client.get(DASHBOARD).context["dashboard"].overall

    assert [
        (goal.share, goal.status, goal.met_on, goal.recent_share) for goal in overall.goals
    ] == [
        (45.0, "projected", datetime.date(2025, 12, 1), 60.0),
        (67.5, "projected", datetime.date(2026, 6, 1), 85.0),
    ]


def test_enrollment_over_time_is_drawn_and_tabled(paula_client: Client, release: Release) -> None:
    response = paula_client.get(DASHBOARD)

    text = response.text
    assert text.count('role="img" aria-labelledby') == 2
    assert 'aria-labelledby="participants-chart-title participants-chart-desc"' in text
    assert 'aria-labelledby="shares-chart-title shares-chart-desc"' in text
    assert "Goal: 50%" in text and "Goal: 75%" in text
    assert '<th scope="row">2023</th>' in text
    assert '<th scope="row">2024</th>' in text
    years = response.context["dashboard"].years
    assert [(point.year, point.enrolled.display) for point in years] == [
        (2023, "3,600"),
        (2024, "3,600"),
    ]
    assert (years[0].minority_share, years[-1].minority_share) == (50.0, 55.0)


def test_categories_are_translated_labels_with_protected_counts(
    paula_client: Client, release: Release
) -> None:
    response = paula_client.get(DASHBOARD)

    text = response.text
    assert "Household income below 200% of the poverty level" in text
    assert "Limited access to care" in text
    detroit_income = next(
        cell for cell in response.context["dashboard"].sites[1].categories if cell.key == "income"
    )
    assert detroit_income.count.display == "≤ 20"
    assert ">7<" not in text


def test_the_dashboard_shows_who_did_not_answer_each_category_protected(
    paula_client: Client, release: Release
) -> None:
    # Given 45 + 3 participants who skipped or declined the income question
    CategorySummary.objects.filter(release=release, category="income", site="chicago").update(
        not_answered=45
    )
    CategorySummary.objects.filter(release=release, category="income", site="detroit").update(
        not_answered=3
    )

    response = paula_client.get(DASHBOARD)

    # Then the categories table has a "did not answer" column, rounded like its neighbours
    assert "Did not answer (all sites)" in response.text
    income = ubr.CATEGORIES.index(ubr.INCOME)
    assert response.context["dashboard"].overall.not_answered[income].display == "60"
    assert ">48<" not in response.text
    assert "No rural ZIP code list was loaded for this release" in response.text


def test_without_a_release_the_dashboard_says_so(paula_client: Client) -> None:
    response = paula_client.get(DASHBOARD)

    assert response.status_code == 200
    assert "No data release yet" in response.text


def test_the_dashboard_speaks_spanish(paula_client: Client, release: Release) -> None:
    paula_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"

    response = paula_client.get(DASHBOARD)

    text = response.text
    assert "Inscripción y diversidad" in text
    assert "Minorías raciales y étnicas" in text
    assert "7\xa0200" in text
    assert "55,0\xa0%" in text
    assert "Las proyecciones se hacen para todos los centros juntos." in text
    assert "Ingresos del hogar inferiores al 200 % del nivel de pobreza" in text


# The CSV export


def test_the_export_has_the_dashboard_figures_protected_and_is_audited(
    paula_client: Client,
    paula_program_staff: User,
    release: Release,
    audit_log: Callable[[], list[tuple]],
) -> None:
    response = paula_client.get(EXPORT)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="tapestry-diversity-R2025-01.csv"'
    )
    rows = _csv(response)
    assert list(rows[0]) == [
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
    assert rows[0]["section"] == "release" and rows[0]["key"] == "R2025-01"

    def row(section: str, site: str, key: str) -> dict[str, Any]:
        return next(r for r in rows if (r["section"], r["site"], r["key"]) == (section, site, key))

    assert row("participants", "", "participants")["display"] == "7,200"
    minority = row("goal", "", "minority")
    assert (minority["count"], minority["display"], minority["percent"]) == (
        "3960",
        "3,960",
        "55.0",
    )
    assert (minority["goal_percent"], minority["status"], minority["projection"]) == (
        "50.0",
        "met",
        "The goal is met.",
    )
    detroit_ubr = row("goal", "detroit", "ubr")
    assert (detroit_ubr["status"], detroit_ubr["percent"]) == ("overall_only", "67.5")
    income = row("category", "detroit", "income")
    assert (income["count"], income["display"], income["label"]) == (
        "20",
        "≤ 20",
        "Household income below 200% of the poverty level",
    )
    assert row("not_answered", "", "income")["display"] == "0"
    assert row("year", "", "2024")["display"] == "3,600"
    assert row("year", "detroit", "2024")["display"] == "1,200"
    assert all(r["count"] != "7" for r in rows)
    assert audit_log() == [
        ("research.diversity_export", "paula@example.org", "research.release", str(release.pk))
    ]


def test_an_administrator_may_export(admin_signed_in: Client, release: Release) -> None:
    response = admin_signed_in.get(EXPORT)

    assert response.status_code == 200


def test_without_a_release_there_is_nothing_to_export(
    paula_client: Client, audit_log: Callable[[], list[tuple]]
) -> None:
    response = paula_client.get(EXPORT)

    assert response.status_code == 404
    assert audit_log() == []


# The admin


def test_the_admin_lists_releases_read_only(admin_signed_in: Client, release: Release) -> None:
    response = admin_signed_in.get("/admin/research/release/")

    assert response.status_code == 200
    assert "R2025-01" in response.text
    assert "/admin/research/release/add/" not in response.text
    assert admin_signed_in.get("/admin/research/release/add/").status_code == 403


def test_enrollment_over_time_can_be_shown_for_one_site(
    paula_client: Client, release: Release
) -> None:
    response = paula_client.get(DASHBOARD, {"site": "detroit"})

    assert response.status_code == 200
    assert "Enrollment by year, Detroit, MI" in response.text
    years = response.context["dashboard"].years
    assert [point.enrolled.display for point in years] == ["1,200", "1,200"]
    assert [point.minority for point in years] == [None, None]  # all sites only


def test_an_unknown_site_is_not_found(paula_client: Client, release: Release) -> None:
    response = paula_client.get(DASHBOARD, {"site": "atlantis"})

    assert response.status_code == 404
