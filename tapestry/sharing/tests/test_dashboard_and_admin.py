"""The "My Tapestry" panel for a library's liaison, and the Django admin's pages (read-only
where the services keep the rules)."""

import datetime
from typing import Any

import pytest
from django.test import Client

from tapestry.sharing import services
from tapestry.sharing.dashboard import liaison_panels
from tapestry.sharing.models import Request
from tapestry.sharing.tests.factories import LendingPolicyFactory, library, serial_holding

pytestmark = pytest.mark.django_db


def test_someone_who_acts_for_no_library_sees_no_panel(bob_applicant: Any) -> None:
    assert liaison_panels(bob_applicant) == []


def test_the_panel_counts_what_waits_for_each_library(signed_in: Any) -> None:
    borrower = library("Oak Park Public Library", org_type="public_library")
    lender = library("Northwestern Galter Library", zip_code="60612")
    LendingPolicyFactory.create(organization_id=lender.pk)
    serial_holding(lender)
    services.request_create(
        actor=borrower.liaison,
        borrower_id=borrower.pk,
        issn="0028-0836",
        year=2024,
        title="Gut microbes",
        needed_by=datetime.date.today() + datetime.timedelta(days=10),
        max_cost_cents=2000,
        compliance="ccg",
    )

    (borrower_panel,) = liaison_panels(borrower.liaison)
    (lender_panel,) = liaison_panels(lender.liaison)

    assert [
        (row["library"].name, row["asked"], row["open"]) for row in borrower_panel.context["rows"]
    ] == [("Oak Park Public Library", 0, 1)]
    assert [
        (row["library"].name, row["asked"], row["open"]) for row in lender_panel.context["rows"]
    ] == [("Northwestern Galter Library", 1, 0)]
    page = signed_in(lender.liaison).get("/me/").content.decode()
    assert "1 request to answer" in page


def test_the_admin_reads_requests_but_never_changes_them(admin_signed_in: Client) -> None:
    borrower = library("Oak Park Public Library", org_type="public_library")
    lender = library("Northwestern Galter Library", zip_code="60612")
    LendingPolicyFactory.create(organization_id=lender.pk)
    serial_holding(lender)
    request = services.request_create(
        actor=borrower.liaison,
        borrower_id=borrower.pk,
        issn="0028-0836",
        year=2024,
        title="Gut microbes",
        needed_by=datetime.date.today() + datetime.timedelta(days=10),
        max_cost_cents=2000,
        compliance="ccg",
    )

    for url in [
        "/admin/sharing/request/",
        f"/admin/sharing/request/{request.pk}/change/",
        "/admin/sharing/lendingpolicy/",
        "/admin/sharing/holding/",
        "/admin/sharing/charge/",
        "/admin/sharing/delivery/",
        "/admin/sharing/patronagreement/",
        "/admin/sharing/closure/",
    ]:
        assert admin_signed_in.get(url).status_code == 200, url
    response = admin_signed_in.post(
        f"/admin/sharing/request/{request.pk}/change/", {"status": "filled"}
    )
    assert response.status_code == 403
    assert Request.objects.get().status == Request.Status.ROUTING
    assert admin_signed_in.get("/admin/sharing/request/add/").status_code == 403
