"""The research log: sign-ins and changes of tier are recorded; nobody can change or delete an
entry (the model, the queryset and the database all refuse); researchers read their own,
program staff search all and download CSV."""

import csv
import datetime
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.utils import timezone

from tapestry.accounts.api import Role
from tapestry.accounts.tests.factories import UserFactory
from tapestry.research import services
from tapestry.research.access_tasks import access_changes_review_task
from tapestry.research.models import AppendOnly, Institution, ResearchLogEntry, Tier
from tapestry.research.tests.researchers import program_staff, researcher_make

pytestmark = pytest.mark.django_db

PURPOSE = "How many adults with type 2 diabetes in Birmingham reach an HbA1c below 7 percent?"


def _actions(user: Any) -> list[str]:
    return list(
        ResearchLogEntry.objects.filter(user=user)
        .order_by("at", "id")
        .values_list("action", flat=True)
    )


def test_a_researchers_sign_in_is_logged_with_the_tier_they_have(
    staff_signed_in: Callable[[Any], Client],
) -> None:
    wei = researcher_make()

    staff_signed_in(wei)

    assert _actions(wei) == ["login", "access_change"]
    assert ResearchLogEntry.objects.get(user=wei, action="access_change").data == {
        "from": "public",
        "tier": "registered",
        "missing": [],
    }


def test_a_sign_in_of_someone_who_is_not_a_researcher_is_not_logged(
    staff_signed_in: Callable[[Any], Client],
) -> None:
    staff_signed_in(UserFactory.create(roles=[Role.LIAISON]))

    assert ResearchLogEntry.objects.count() == 0


def test_the_log_shows_when_access_ended_and_returned() -> None:
    wei = researcher_make()
    client = Client()
    client.force_login(wei)  # the sign-in notes registered access
    today = timezone.localdate()

    Institution.objects.update(agreement_expires_on=today - datetime.timedelta(days=1))
    client.get("/research/access/")
    client.get("/research/access/")  # no change: nothing new
    Institution.objects.update(agreement_expires_on=today + datetime.timedelta(days=365))
    client.get("/research/")

    assert [
        (entry.data["from"], entry.data["tier"], entry.data["missing"])
        for entry in ResearchLogEntry.objects.filter(user=wei, action="access_change").order_by(
            "id"
        )
    ] == [
        ("public", "registered", []),
        ("registered", "public", ["institution"]),
        ("public", "registered", []),
    ]


# Append-only


@pytest.fixture
def entry() -> ResearchLogEntry:
    wei = researcher_make()
    return services.research_log_record(
        user=wei, action=ResearchLogEntry.Action.COHORT_COUNT, summary="Counted a cohort"
    )


def test_an_entry_cannot_be_saved_again_or_deleted(entry: ResearchLogEntry) -> None:
    entry.summary = "Changed"

    with pytest.raises(AppendOnly):
        entry.save()
    with pytest.raises(AppendOnly):
        entry.delete()
    with pytest.raises(AppendOnly):
        ResearchLogEntry.objects.filter(pk=entry.pk).update(summary="Changed")
    with pytest.raises(AppendOnly):
        ResearchLogEntry.objects.filter(pk=entry.pk).delete()

    assert list(ResearchLogEntry.objects.values_list("summary", flat=True)) == ["Counted a cohort"]


def test_the_database_refuses_an_update(entry: ResearchLogEntry) -> None:
    table = ResearchLogEntry._meta.db_table

    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"UPDATE {table} SET summary = %s WHERE id = %s", ["Changed", entry.pk])  # noqa: S608 - the table name is ours

    assert list(ResearchLogEntry.objects.values_list("summary", flat=True)) == ["Counted a cohort"]


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite's DELETE stays open for the test flush"
)
def test_postgresql_refuses_a_delete(entry: ResearchLogEntry) -> None:
    table = ResearchLogEntry._meta.db_table

    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"DELETE FROM {table} WHERE id = %s", [entry.pk])  # noqa: S608 - the table name is ours

    assert ResearchLogEntry.objects.count() == 1


def test_the_admin_shows_the_log_read_only(
    entry: ResearchLogEntry, admin_signed_in: Client
) -> None:
    listing = admin_signed_in.get("/admin/research/researchlogentry/")
    change = admin_signed_in.post(
        f"/admin/research/researchlogentry/{entry.pk}/change/", {"summary": "Changed"}
    )
    delete = admin_signed_in.post(
        f"/admin/research/researchlogentry/{entry.pk}/delete/", {"post": "yes"}
    )

    assert (listing.status_code, change.status_code, delete.status_code) == (200, 403, 403)
    assert "Counted a cohort" in listing.content.decode()
    assert ResearchLogEntry.objects.get(pk=entry.pk).summary == "Counted a cohort"


# A researcher's own log


def test_a_researcher_reads_only_their_own_log_and_filters_it() -> None:
    wei = researcher_make()
    amara = researcher_make(email="amara@example.org", full_name="Amara Johnson")
    services.workspace_create(user=wei, name="Diabetes", purpose=PURPOSE, tier=Tier.REGISTERED)
    services.workspace_create(
        user=amara, name="Asthma in Chicago", purpose=PURPOSE, tier=Tier.REGISTERED
    )
    client = Client()
    client.force_login(wei)

    everything = client.get("/research/log/").content.decode()
    workspaces = client.get("/research/log/", {"action": "workspace"})
    logins = client.get("/research/log/", {"action": "login"})
    nonsense = client.get("/research/log/", {"action": "drop table"})

    assert "Workspace created: Diabetes" in everything
    assert "Asthma in Chicago" not in everything
    assert [entry.summary for entry in workspaces.context["result"].items] == [
        "Workspace created: Diabetes"
    ]
    assert [entry.summary for entry in logins.context["result"].items] == ["Signed in"]
    assert nonsense.status_code == 400


# Program staff's search


def test_staff_search_the_log_by_person_action_day_and_workspace(
    staff_signed_in: Callable[[Any], Client],
) -> None:
    wei = researcher_make()
    amara = researcher_make(email="amara@example.org", full_name="Amara Johnson")
    workspace = services.workspace_create(
        user=wei, name="Diabetes", purpose=PURPOSE, tier=Tier.REGISTERED
    )
    services.workspace_create(
        user=amara, name="Asthma in Chicago", purpose=PURPOSE, tier=Tier.REGISTERED
    )
    client = staff_signed_in(program_staff())
    today = timezone.localdate().isoformat()
    yesterday = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()

    def summaries(**query: str) -> list[str]:
        response = client.get("/research/staff/log/", query)
        assert response.status_code == 200
        return [entry.summary for entry in response.context["result"].items]

    assert summaries(email="amara", action="workspace") == ["Workspace created: Asthma in Chicago"]
    assert summaries(workspace=str(workspace.public_id)) == ["Workspace created: Diabetes"]
    assert summaries(workspace="asthma") == ["Workspace created: Asthma in Chicago"]
    assert summaries(action="workspace", date_from=today, date_to=today) == [
        "Workspace created: Asthma in Chicago",
        "Workspace created: Diabetes",
    ]
    assert summaries(action="workspace", date_to=yesterday) == []
    refused = client.get("/research/staff/log/", {"date_from": today, "date_to": yesterday})
    assert refused.status_code == 400


def test_staff_download_the_search_as_csv_with_no_formulas(
    staff_signed_in: Callable[[Any], Client],
) -> None:
    wei = researcher_make()
    services.workspace_create(user=wei, name="=HYPERLINK(1)", purpose=PURPOSE, tier=Tier.REGISTERED)
    client = staff_signed_in(program_staff())

    response = client.get("/research/staff/log.csv", {"action": "workspace"})

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.getvalue().decode())))
    assert rows[0] == ["when", "person", "actor", "action", "workspace", "summary"]
    assert [row[1:] for row in rows[1:]] == [
        ["wei@example.org", "", "workspace", "'=HYPERLINK(1)", "Workspace created: =HYPERLINK(1)"]
    ]


def test_the_daily_job_logs_a_lapse_for_a_researcher_who_did_not_come_back() -> None:
    wei = researcher_make()
    services.access_changes_review()  # notes registered access
    Institution.objects.update(
        agreement_expires_on=timezone.localdate() - datetime.timedelta(days=1)
    )

    written = access_changes_review_task.call()

    assert written == 1
    assert services.access_changes_review() == 0
    assert [
        (entry.data["from"], entry.data["tier"])
        for entry in ResearchLogEntry.objects.filter(user=wei, action="access_change").order_by(
            "id"
        )
    ] == [("public", "registered"), ("registered", "public")]
