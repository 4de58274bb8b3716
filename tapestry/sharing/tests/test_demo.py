"""Resource sharing's demo tells the story it promises, through the services, once, and
leaves the network's own data as it was."""

import datetime
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from tapestry.accounts.api import PERSONAS, persona_ensure
from tapestry.network.api import (
    organization_liaison,
    organization_places,
    organizations_get,
    organizations_in_regions,
    organizations_of_liaison,
    regions,
)
from tapestry.network.tests.factories import OrganizationFactory
from tapestry.sharing import services
from tapestry.sharing.demo import demo_pdf, demo_sharing_seed, demo_spec
from tapestry.sharing.identifiers import issn_normalize
from tapestry.sharing.models import (
    Charge,
    Closure,
    CopyrightCompliance,
    Delivery,
    Holding,
    HoldingRange,
    Lender,
    LendingPolicy,
    PatronAgreement,
    PreferredLender,
    Request,
    RequestEvent,
)
from tapestry.sharing.tests.factories import LendingPolicyFactory, library, serial_holding

pytestmark = pytest.mark.django_db

# Member libraries in five regions (Chicago, New York, Birmingham, Denver, Seattle), as the
# network's demo has them: a resource, two hospital and two academic libraries, and a public
# library, in each.
ZIP_CODES = ["60601", "10001", "35203", "80202", "98101"]
TYPES = [
    "resource_library",
    "hospital_library",
    "hospital_library",
    "academic_library",
    "academic_library",
    "public_library",
    "community_organization",
]


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def people() -> dict[str, Any]:
    return {
        persona.email: persona_ensure(persona, password="demo-password-1") for persona in PERSONAS
    }


@pytest.fixture
def network(people: dict[str, Any]) -> Any:
    """The network as seed_demo leaves it: Lucía's public library in Chicago, and members."""
    pilsen = OrganizationFactory.create(
        name="Pilsen Community Public Library",
        zip_code="60608",
        org_type="public_library",
        liaison=people["liaison@tapestry.example"],
    )
    for zip_code in ZIP_CODES:
        for org_type in TYPES:
            OrganizationFactory.create(zip_code=zip_code, org_type=org_type)
    return pilsen


def _members() -> tuple[Any, ...]:
    """Every member as other apps see it: name, type, region, address."""
    ids = organizations_in_regions(region_codes=[region.code for region in regions()])
    return organizations_get(organization_ids=ids), organization_places(organization_ids=ids)


def _counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (
            Holding,
            HoldingRange,
            LendingPolicy,
            Closure,
            PreferredLender,
            PatronAgreement,
            Request,
            Lender,
            RequestEvent,
            Delivery,
            Charge,
        )
    }


def test_every_issn_and_isbn_in_the_demo_data_is_valid() -> None:
    # given the demo's data file
    # when it is loaded (its identifiers checked by their check digits)
    spec = demo_spec()

    # then every journal is there, with its ISSN as written
    assert [issn_normalize(journal["issn"]) for journal in spec["journals"]] == [
        "0028-0836",
        "0098-7484",
        "0028-4793",
        "0140-6736",
        "0959-8138",
        "0031-4005",
        "0149-5992",
        "0090-0036",
        "1536-5050",
        "0036-3634",
        "1020-4989",
    ]


def test_the_demo_pdf_passes_the_upload_check() -> None:
    # given the demo's stand-in for a scanned article
    pdf = demo_pdf("Safety and Efficacy (BNT162b2)")

    # then it is a PDF with its end marker, and the fill's check takes it
    assert (pdf[:9], pdf[-6:]) == (b"%PDF-1.4\n", b"%%EOF\n")
    services.pdf_check(SimpleUploadedFile("a.pdf", pdf, content_type="application/pdf"))


def test_the_demo_has_requests_in_every_state_over_six_months(
    people: dict[str, Any], network: Any
) -> None:
    # given the network as seed_demo leaves it
    lucia, rosa = people["liaison@tapestry.example"], people["partner@tapestry.example"]

    # when the demo runs
    lines = demo_sharing_seed(people=people)

    # then the requests are there in every state of their life
    requests = Request.objects.all()
    assert 60 <= requests.count() <= 120
    assert set(requests.values_list("status", flat=True)) == set(Request.Status.values)
    assert set(Lender.objects.values_list("status", flat=True)) == set(Lender.Status.values)
    assert set(Delivery.objects.values_list("method", flat=True)) == {"electronic", "mail"}
    assert requests.filter(kind=Request.Kind.BOOK, status=Request.Status.FILLED).count() == 1
    # passed on after a lender could not fill it, or let its time pass, then filled
    passed_on = Lender.objects.filter(status__in=["not_filled", "timed_out"]).values("request")
    assert requests.filter(pk__in=passed_on, status=Request.Status.FILLED).exists()
    assert requests.filter(pk__in=passed_on, status=Request.Status.UNFILLED).exists()
    # unfilled at once: nobody holds the year
    assert requests.filter(status=Request.Status.UNFILLED, lenders__isnull=True).count() == 1
    # those with a lender now are not yet due, one after a lender let its time pass
    now = timezone.now()
    asked = Lender.objects.filter(status=Lender.Status.ASKED)
    assert asked.count() == requests.filter(status=Request.Status.ROUTING).count() == 5
    assert all(lender.due_at is not None and lender.due_at > now for lender in asked)
    assert asked.filter(request__lenders__status=Lender.Status.TIMED_OUT).count() == 1
    # and the history spreads over six months: charges in at least five months, none ahead
    months = set(Charge.objects.values_list("month", flat=True))
    assert len(months) >= 5
    assert max(months) <= timezone.localdate().replace(day=1)
    assert requests.order_by("created_at").first().created_at < now - datetime.timedelta(days=150)  # type: ignore[union-attr]
    assert all(
        request.closed_at is None or request.created_at < request.closed_at <= now
        for request in requests
    )
    # a PDF filled lately waits for Lucía's library to open it, its link still working
    assert Delivery.objects.filter(
        request__borrower_id=network.pk,
        method="electronic",
        downloads=0,
        expires_at__gt=now,
        purged_at__isnull=True,
    ).exists()
    # every filled request is charged its lender's fee, from $0 to $15
    assert Charge.objects.count() == requests.filter(status=Request.Status.FILLED).count()
    assert {charge.amount_cents for charge in Charge.objects.all()} <= {0, 500, 1000, 1200, 1500}

    # the rule of five: Lucía's library asked six recent articles of Diabetes Care this year,
    # the sixth under CCL
    this_year = requests.filter(
        borrower_id=network.pk, issn="0149-5992", created_at__year=now.year
    ).order_by("pk")
    assert [request.compliance for request in this_year[:6]] == [
        CopyrightCompliance.GUIDELINES
    ] * 5 + [CopyrightCompliance.LAW]

    # the patron's way in: Rosa's agreement approved, one request waiting, one declined
    assert PatronAgreement.objects.get(person=rosa).status == PatronAgreement.Status.APPROVED
    assert (
        PatronAgreement.objects.get(person=people["provider@tapestry.example"]).status
        == PatronAgreement.Status.PENDING
    )
    assert sorted(requests.filter(patron=rosa).values_list("status", flat=True)) == [
        "awaiting_approval",
        "declined",
        "filled",
    ]
    assert LendingPolicy.objects.get(organization_id=network.pk).accepts_patron_requests

    # holdings of real journals, print and electronic, some kept in house by their licence
    assert {holding.issn for holding in Holding.objects.filter(kind="serial")} == {
        journal["issn"] for journal in demo_spec()["journals"]
    }
    assert HoldingRange.objects.filter(lendable=False).exists()
    assert Holding.objects.filter(holding_format="electronic", licence_allows_lending=True).exists()
    assert LendingPolicy.objects.filter(lends=True).count() == 25
    assert Closure.objects.filter(ends_on__isnull=True).count() == 1
    assert list(
        PreferredLender.objects.filter(borrower_id=network.pk).values_list("position", flat=True)
    ) == [1, 2, 3]
    assert lines[0].startswith("Resource sharing: 25 lending libraries")

    # and Lucía herself filed her library's requests
    assert (
        requests.filter(borrower_id=network.pk)
        .exclude(patron=rosa)
        .exclude(created_by=lucia)
        .count()
        == 0
    )


def test_running_the_demo_twice_changes_nothing(people: dict[str, Any], network: Any) -> None:
    # given the demo ran once
    demo_sharing_seed(people=people)
    before = _counts()
    statuses = list(Request.objects.order_by("pk").values_list("pk", "status", "created_at"))

    # when it runs again
    again = demo_sharing_seed(people=people)

    # then it says so and nothing changed
    assert again == [f"Resource sharing: already there ({before['Request']} requests)."]
    assert _counts() == before
    assert list(Request.objects.order_by("pk").values_list("pk", "status", "created_at")) == (
        statuses
    )


def test_the_demo_leaves_the_networks_own_requests_and_policies_alone(
    people: dict[str, Any], network: Any
) -> None:
    # given a real library lending under its own policy, and a real request with it
    lender = library("Rush University Medical Library", zip_code="60612")
    LendingPolicyFactory.create(organization_id=lender.pk, fee_cents=700)
    serial_holding(lender)
    borrower = library("Oak Park Public Library", org_type="public_library")
    real = services.request_create(
        actor=borrower.liaison,
        borrower_id=borrower.pk,
        issn="0028-0836",
        year=2024,
        title="Gut microbes and the immune system",
        needed_by=timezone.localdate() + datetime.timedelta(days=14),
        max_cost_cents=2000,
        compliance=CopyrightCompliance.GUIDELINES,
    )
    members = _members()
    real_lenders = list(Lender.objects.filter(request=real).values())
    real_policy = LendingPolicy.objects.filter(organization_id=lender.pk).values().get()

    # when the demo runs
    demo_sharing_seed(people=people)

    # then the real request, its lender, the real policy and every member are as they were
    assert Request.objects.filter(pk=real.pk).values_list("status", "created_at").get() == (
        "routing",
        real.created_at,
    )
    assert list(Lender.objects.filter(request=real).values()) == real_lenders
    assert LendingPolicy.objects.filter(organization_id=lender.pk).values().get() == real_policy
    assert Holding.objects.filter(organization_id=lender.pk).count() == 1
    assert _members() == members


def test_without_the_liaison_personas_library_the_demo_does_nothing(
    people: dict[str, Any],
) -> None:
    # given no library for the liaison persona (seed_demo has not run)
    # when the demo runs
    lines = demo_sharing_seed(people=people)

    # then it says so and makes nothing
    assert lines[0].startswith("Resource sharing: skipped")
    assert set(_counts().values()) == {0}


def test_the_demo_lenders_act_through_their_own_liaisons_one_of_whom_may_sign_in(
    people: dict[str, Any], network: Any
) -> None:
    lines = demo_sharing_seed(people=people, password="demo-password-1")

    # Every lender that answered acts through its own liaison account, not a stand-in
    answered = Lender.objects.exclude(status__in=["waiting", "asked", "skipped", "timed_out"])
    assert answered.exists()
    for lender in answered:
        liaison_id = organization_liaison(organization_id=lender.organization_id)
        assert liaison_id is not None
        event = (
            lender.request.events.filter(organization_id=lender.organization_id)
            .exclude(kind="asked")
            .first()
        )
        assert event is not None and event.actor_id == liaison_id
    # The liaison named at the end signs in and finds Lucía's request waiting
    email = lines[-1].split("sign in as ")[1].split(" ")[0]
    client = Client()
    assert client.login(email=email, password="demo-password-1")
    # (a demo liaison may act for several libraries of the same address)
    library_ids = organizations_of_liaison(user_id=int(client.session["_auth_user_id"]))
    queues = "".join(
        client.get(f"/sharing/library/{library_id}/lending/").content.decode()
        for library_id in library_ids
    )
    assert "Pilsen Community Public Library" in queues
