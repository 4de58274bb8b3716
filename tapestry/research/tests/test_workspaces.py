"""Workspaces: created with a stated purpose at the researcher's institution, seen only by their
members (another researcher's id is a 404 that logs nothing), changed by members, managed by
the owner; the public list of projects finds them whatever the accents and never shows people."""

import datetime
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from tapestry.research import services
from tapestry.research.models import Institution, ResearchLogEntry, Tier, Workspace
from tapestry.research.tests.researchers import InstitutionFactory, program_staff, researcher_make

pytestmark = pytest.mark.django_db

PURPOSE = (
    "How many adults with type 2 diabetes in Birmingham reach an HbA1c below 7%, by age and sex?"
)


@pytest.fixture
def wei() -> Any:
    return researcher_make()


@pytest.fixture
def wei_client(wei: Any, staff_signed_in: Callable[[Any], Client]) -> Client:
    """Wei signed in with his authenticator's code, as the workbench asks."""
    return staff_signed_in(wei)


def _workspace(owner: Any, name: str = "Diabetes in Birmingham", purpose: str = PURPOSE) -> Any:
    return services.workspace_create(user=owner, name=name, purpose=purpose, tier=Tier.REGISTERED)


def test_a_researcher_creates_a_workspace_at_their_institution(
    wei: Any, wei_client: Client
) -> None:
    response = wei_client.post(
        "/research/workspaces/new/",
        {"name": "Diabetes in Birmingham", "purpose": PURPOSE, "tier": "registered"},
    )

    workspace = Workspace.objects.get()
    assert (response.status_code, response["Location"]) == (
        302,
        f"/research/workspaces/{workspace.public_id}/",
    )
    assert (workspace.name, workspace.purpose, workspace.tier, workspace.owner) == (
        "Diabetes in Birmingham",
        PURPOSE,
        "registered",
        wei,
    )
    assert workspace.institution == Institution.objects.get()
    entry = ResearchLogEntry.objects.get(action="workspace")
    assert (entry.user, entry.workspace, entry.data) == (
        wei,
        workspace,
        {"event": "created", "tier": "registered"},
    )
    page = wei_client.get(f"/research/workspaces/{workspace.public_id}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert PURPOSE in html
    assert "No cohorts yet." in html
    assert "No datasets yet." in html


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (
            {"name": "Short", "purpose": "Too short to say anything.", "tier": "registered"},
            "purpose",
        ),
        ({"name": "", "purpose": PURPOSE, "tier": "registered"}, "name"),
        ({"name": "Controlled", "purpose": PURPOSE, "tier": "controlled"}, "tier"),
        ({"name": "Public", "purpose": PURPOSE, "tier": "public"}, "tier"),
    ],
)
def test_a_workspace_needs_a_name_a_real_purpose_and_a_tier_one_has(
    wei_client: Client, data: dict[str, str], field: str
) -> None:
    response = wei_client.post("/research/workspaces/new/", data)

    assert response.status_code == 400
    assert list(response.context["form"].errors) == [field]
    assert Workspace.objects.count() == 0


def test_without_registered_access_the_new_workspace_page_sends_to_the_access_page(
    staff_signed_in: Callable[[Any], Client],
) -> None:
    lucia = researcher_make(email="lucia@example.org", full_name="Lucía Fernández", training=False)
    client = staff_signed_in(lucia)

    response = client.post(
        "/research/workspaces/new/", {"name": "X", "purpose": PURPOSE, "tier": "registered"}
    )

    assert (response.status_code, response["Location"]) == (302, "/research/access/")
    assert Workspace.objects.count() == 0


def test_a_session_without_the_second_factor_is_asked_for_the_code(wei: Any) -> None:
    client = Client()
    client.force_login(wei)

    response = client.get("/research/workspaces/new/")

    assert (response.status_code, response["Location"]) == (
        302,
        "/accounts/2fa/reauthenticate/?next=%2Fresearch%2Fworkspaces%2Fnew%2F",
    )


def test_another_researchers_workspace_is_a_404_and_logs_nothing(
    staff_signed_in: Callable[[Any], Client],
) -> None:
    amara = researcher_make(email="amara@example.org", full_name="Amara Johnson")
    theirs = _workspace(amara, name="Asthma in Chicago")
    wei = researcher_make()
    client = staff_signed_in(wei)
    before = list(ResearchLogEntry.objects.values_list("pk", flat=True))

    responses = [
        client.get(f"/research/workspaces/{theirs.public_id}/").status_code,
        client.get(f"/research/workspaces/{theirs.public_id}/edit/").status_code,
        client.post(
            f"/research/workspaces/{theirs.public_id}/edit/", {"name": "Mine", "purpose": PURPOSE}
        ).status_code,
        client.post(
            f"/research/workspaces/{theirs.public_id}/members/", {"email": "wei@example.org"}
        ).status_code,
        client.post(f"/research/workspaces/{theirs.public_id}/archive/").status_code,
        client.get(f"/research/workspaces/{uuid.uuid4()}/").status_code,
        client.get("/research/workspaces/not-a-uuid/").status_code,
    ]

    assert responses == [404] * 7
    assert list(ResearchLogEntry.objects.values_list("pk", flat=True)) == before
    theirs.refresh_from_db()
    assert (theirs.name, theirs.archived_at, list(theirs.members.all())) == (
        "Asthma in Chicago",
        None,
        [],
    )


def test_the_owner_adds_a_researcher_who_is_emailed_and_then_sees_the_workspace(
    wei: Any,
    wei_client: Client,
    staff_signed_in: Callable[[Any], Client],
    django_capture_on_commit_callbacks: Any,
) -> None:
    workspace = _workspace(wei)
    amara = researcher_make(email="amara@example.org", full_name="Amara Johnson")

    with django_capture_on_commit_callbacks(execute=True):
        response = wei_client.post(
            f"/research/workspaces/{workspace.public_id}/members/", {"email": "AMARA@example.org"}
        )

    assert response.status_code == 302
    assert list(workspace.members.all()) == [amara]
    assert [(message.to, message.subject) for message in mail.outbox] == [
        (["amara@example.org"], "You were added to the workspace “Diabetes in Birmingham”")
    ]
    assert f"/research/workspaces/{workspace.public_id}/" in mail.outbox[0].body
    assert (
        staff_signed_in(amara).get(f"/research/workspaces/{workspace.public_id}/").status_code
        == 200
    )


def test_a_person_without_access_cannot_be_added(wei: Any, wei_client: Client) -> None:
    workspace = _workspace(wei)
    researcher_make(email="lucia@example.org", full_name="Lucía Fernández", training=False)
    before = ResearchLogEntry.objects.count()

    responses = [
        wei_client.post(
            f"/research/workspaces/{workspace.public_id}/members/", {"email": email}
        ).status_code
        for email in ("lucia@example.org", "nobody@example.org", "not an email", "wei@example.org")
    ]

    assert responses == [409, 409, 400, 409]
    assert list(workspace.members.all()) == []
    assert ResearchLogEntry.objects.count() == before


def test_a_member_may_change_the_purpose_but_not_archive(
    wei: Any, staff_signed_in: Callable[[Any], Client]
) -> None:
    workspace = _workspace(wei)
    amara = researcher_make(email="amara@example.org", full_name="Amara Johnson")
    services.workspace_member_add(user=wei, workspace=workspace, email="amara@example.org")
    client = staff_signed_in(amara)
    new_purpose = PURPOSE + " And how often it is measured."

    edited = client.post(
        f"/research/workspaces/{workspace.public_id}/edit/",
        {"name": "Diabetes in Birmingham", "purpose": new_purpose},
    )
    archived = client.post(f"/research/workspaces/{workspace.public_id}/archive/")

    workspace.refresh_from_db()
    assert (edited.status_code, archived.status_code) == (302, 409)
    assert (workspace.purpose, workspace.archived_at) == (new_purpose, None)


def test_an_archived_workspace_leaves_the_public_list_and_cannot_change(
    wei: Any, wei_client: Client
) -> None:
    workspace = _workspace(wei)

    archived = wei_client.post(f"/research/workspaces/{workspace.public_id}/archive/")

    assert (archived.status_code, archived["Location"]) == (302, "/research/")
    assert wei_client.get(f"/research/workspaces/{workspace.public_id}/").status_code == 200
    assert wei_client.get(f"/research/workspaces/{workspace.public_id}/edit/").status_code == 404
    assert "Diabetes in Birmingham" not in Client().get("/research/projects/").content.decode()


def test_access_that_lapses_mid_session_sends_the_researcher_to_the_access_page(
    wei: Any, wei_client: Client
) -> None:
    workspace = _workspace(wei)
    Institution.objects.update(
        agreement_expires_on=timezone.localdate() - datetime.timedelta(days=1)
    )

    response = wei_client.get(f"/research/workspaces/{workspace.public_id}/")

    assert (response.status_code, response["Location"]) == (302, "/research/access/")
    last = ResearchLogEntry.objects.filter(user=wei, action="access_change").latest("id")
    assert last.data == {"from": "registered", "tier": "public", "missing": ["institution"]}


def test_a_workspace_is_made_at_the_institution_of_the_researchers_confirmed_email() -> None:
    InstitutionFactory.create(name="Wayne State University", domain="wayne.example")
    daniel = researcher_make(
        email="daniel@example.org", full_name="Daniel Kowalski", institution_domain=None
    )
    daniel.emailaddress_set.create(email="daniel@wayne.example", verified=True, primary=False)

    workspace = _workspace(daniel, name="Blood pressure in Detroit")

    assert workspace.institution.name == "Wayne State University"


# The public list of projects


def test_the_public_list_finds_projects_whatever_the_accents_and_shows_no_people(
    wei: Any,
) -> None:
    _workspace(
        wei,
        name="Medición de glucosa en Birmingham",
        purpose="Queremos saber con qué frecuencia se mide la glucosa en adultos con diabetes.",
    )
    _workspace(
        wei,
        name="Asthma",
        purpose="How often adults with asthma fill their medicines and visit an emergency room.",
    )
    visitor = Client()

    answers = {
        query: visitor.get("/research/projects/", {"q": query}).content.decode()
        for query in ("medicion", "MEDICIÓN", "glucosa frecuencia", "asthma", "diabetes asma")
    }

    assert "Medición de glucosa en Birmingham" in answers["medicion"]
    assert "Medición de glucosa en Birmingham" in answers["MEDICIÓN"]
    assert "Medición de glucosa en Birmingham" in answers["glucosa frecuencia"]
    assert "Medición de glucosa" not in answers["asthma"]
    assert "1 project matches" in answers["asthma"]
    assert "0 projects match" in answers["diabetes asma"]
    everything = visitor.get("/research/projects/").content.decode()
    assert "University of Alabama at Birmingham" in everything
    assert "wei@example.org" not in everything
    assert "Wei Chen" not in everything


def test_the_public_list_is_paginated(wei: Any) -> None:
    for number in range(26):
        _workspace(wei, name=f"Project {number:02d}")

    first = Client().get("/research/projects/")
    second = Client().get("/research/projects/", {"page": "2"})
    beyond = Client().get("/research/projects/", {"page": "99"})

    assert "Project 25" in first.content.decode()
    assert "Project 00" not in first.content.decode()
    assert "Project 00" in second.content.decode()
    assert "Page 2 of 2" in beyond.content.decode()


def test_a_search_too_long_is_a_400() -> None:
    response = Client().get("/research/projects/", {"q": "x" * 101})

    assert response.status_code == 400


def test_every_workbench_page_renders_for_its_people(
    wei: Any, wei_client: Client, staff_signed_in: Callable[[Any], Client]
) -> None:
    workspace = _workspace(wei)
    staff = program_staff()
    services.bypass_grant(
        actor=staff,
        user_id=wei.pk,
        requirement="controlled_training",
        reason="Course elsewhere",
        ends_on=timezone.localdate(),
    )
    staff_client = staff_signed_in(staff)

    pages = {
        path: client.get(path)
        for client, path in (
            (wei_client, "/me/"),
            (wei_client, "/research/"),
            (wei_client, "/research/workspaces/new/"),
            (wei_client, f"/research/workspaces/{workspace.public_id}/edit/"),
            (staff_client, f"/research/staff/researchers/{wei.pk}/"),
            (staff_client, "/research/staff/log/?email=wei"),
            (staff_client, "/research/staff/researchers/"),
        )
    }

    assert {path: response.status_code for path, response in pages.items()} == dict.fromkeys(
        pages, 200
    )
    assert "Your tier now: Registered." in pages["/me/"].content.decode()
    assert 'href="/research/workspaces/' in pages["/research/"].content.decode()
    researcher_page = pages[f"/research/staff/researchers/{wei.pk}/"].content.decode()
    assert "Confirmed on" in researcher_page
    assert "Withdraw the bypass of “Controlled-tier training”" in researcher_page
    assert (
        "Workspace created: Diabetes in Birmingham"
        in pages["/research/staff/log/?email=wei"].content.decode()
    )
