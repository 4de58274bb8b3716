from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks

from tapestry.accounts.api import Role, user_has_role
from tapestry.network.models import (
    MembershipApplication,
    Organization,
    OrganizationType,
    StateTerritory,
)
from tapestry.network.selectors import DirectoryFilters, organization_search
from tapestry.network.services import (
    AlreadyDecided,
    DuplicateApplication,
    NetworkError,
    NotAllowed,
    OwnApplication,
    membership_application_decide,
    membership_application_submit,
)
from tapestry.network.tests.factories import (
    MembershipApplicationFactory,
    OrganizationFactory,
    RegionSpecialistFactory,
    UserFactory,
    region,
    zip_place,
)

if TYPE_CHECKING:
    from tapestry.accounts.api import User

pytestmark = pytest.mark.django_db


def _details(**overrides: Any) -> dict[str, Any]:
    """What MembershipApplicationForm hands the service for Prairie Library in Evanston, IL."""
    return {
        "name": "Prairie Library",
        "org_type": OrganizationType.PUBLIC_LIBRARY,
        "address_line1": "1703 Orrington Ave",
        "address_line2": "",
        "city": "Evanston",
        "state": StateTerritory.objects.get(code="IL"),
        "zip_code": "60201",
        "phone": "847-555-0100",
        "website": "https://prairie.example.org",
        "library_id": "ILPRA",
        "liaison_name": "Bob Applicant",
        "liaison_email": "bob@example.org",
        "services": {"reference": ["public"]},
        **overrides,
    }


def _written(audit_log: Callable[[], list[tuple]]) -> tuple[Any, ...]:
    """Everything a membership service may write, to show that nothing changed."""
    return (
        list(
            MembershipApplication.objects.order_by("pk").values_list(
                "pk", "status", "decided_by", "decision_reason", "organization"
            )
        ),
        list(Organization.objects.order_by("pk").values_list("pk", "name")),
        audit_log(),
        len(mail.outbox),
    )


# Submitting an application


def test_an_application_goes_to_the_region_of_its_state(
    bob_applicant: User,
    sam_specialist: User,
    olga_other_specialist: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        application = membership_application_submit(applicant=bob_applicant, details=_details())

    stored = MembershipApplication.objects.get()
    assert stored == application
    assert (stored.applicant, stored.region, stored.status) == (
        bob_applicant,
        region("region-6"),
        MembershipApplication.Status.PENDING,
    )
    assert (stored.name, stored.city, stored.state_id, stored.zip_code) == (
        "Prairie Library",
        "Evanston",
        "IL",
        "60201",
    )
    assert stored.services == {"reference": ["public"]}


def test_an_application_emails_only_the_specialists_of_that_region(
    bob_applicant: User,
    sam_specialist: User,
    olga_other_specialist: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        application = membership_application_submit(applicant=bob_applicant, details=_details())

    assert [(message.to, message.subject) for message in mail.outbox] == [
        (["sam@example.org"], "New membership application: Prairie Library"),
        (["bob@example.org"], "We received your application for Prairie Library"),
    ]
    assert f"/network/specialist/applications/{application.pk}/" in mail.outbox[0].body


def test_an_application_in_kentucky_goes_to_region_1(
    bob_applicant: User,
    sam_specialist: User,
    olga_other_specialist: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        application = membership_application_submit(
            applicant=bob_applicant,
            details=_details(
                city="Louisville", state=StateTerritory.objects.get(code="KY"), zip_code="40202"
            ),
        )

    assert application.region == region("region-1")
    assert [message.to for message in mail.outbox] == [["olga@example.org"], ["bob@example.org"]]


def test_a_spanish_speaking_specialist_is_told_the_region_in_spanish(
    bob_applicant: User,
    olga_other_specialist: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        membership_application_submit(
            applicant=bob_applicant,
            details=_details(
                city="Louisville", state=StateTerritory.objects.get(code="KY"), zip_code="40202"
            ),
        )

    assert "Región 1" in mail.outbox[0].body
    assert "Region 1" not in mail.outbox[0].body


def test_an_application_is_audited(
    bob_applicant: User, audit_log: Callable[[], list[tuple]]
) -> None:
    application = membership_application_submit(applicant=bob_applicant, details=_details())

    assert audit_log() == [
        (
            "membership.apply",
            "bob@example.org",
            "network.membershipapplication",
            str(application.pk),
        )
    ]


def test_no_email_leaves_before_the_application_is_committed(
    bob_applicant: User,
    sam_specialist: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        membership_application_submit(applicant=bob_applicant, details=_details())

    assert len(callbacks) == 2  # the specialist's notice and the applicant's receipt
    assert mail.outbox == []


def test_an_existing_member_cannot_apply_again_and_nothing_is_written(
    bob_applicant: User,
    sam_specialist: User,
    audit_log: Callable[[], list[tuple]],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    OrganizationFactory.create(name="Prairie Library", zip_code="60201")
    before = _written(audit_log)

    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(DuplicateApplication) as raised,
    ):
        membership_application_submit(
            applicant=bob_applicant, details=_details(name="PRAIRIE library")
        )

    assert str(raised.value) == (
        "PRAIRIE library in ZIP code 60201 is already a member of the network."
    )
    assert _written(audit_log) == before


def test_a_second_pending_application_is_refused_whatever_its_case(
    bob_applicant: User,
    alice_liaison: User,
    sam_specialist: User,
    audit_log: Callable[[], list[tuple]],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    MembershipApplicationFactory.create(
        name="Prairie Library", zip_code="60201", applicant=alice_liaison
    )
    before = _written(audit_log)

    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(DuplicateApplication) as raised,
    ):
        membership_application_submit(
            applicant=bob_applicant, details=_details(name="prairie LIBRARY")
        )

    assert str(raised.value) == (
        "An application for prairie LIBRARY in ZIP code 60201 is already waiting for review."
    )
    assert _written(audit_log) == before


def test_the_same_name_in_another_zip_code_is_not_a_duplicate(bob_applicant: User) -> None:
    OrganizationFactory.create(name="Prairie Library", zip_code="60601")
    MembershipApplicationFactory.create(name="Prairie Library", zip_code="60614")

    application = membership_application_submit(applicant=bob_applicant, details=_details())

    assert application.zip_code == "60201"
    assert MembershipApplication.objects.count() == 2


def test_a_rejected_application_does_not_block_a_new_one(bob_applicant: User) -> None:
    MembershipApplicationFactory.create(
        name="Prairie Library", zip_code="60201", status=MembershipApplication.Status.REJECTED
    )

    membership_application_submit(applicant=bob_applicant, details=_details())

    assert list(MembershipApplication.objects.order_by("pk").values_list("status", flat=True)) == [
        "rejected",
        "pending",
    ]


# Deciding an application


@pytest.fixture
def prairie_application(bob_applicant: User) -> MembershipApplication:
    return MembershipApplicationFactory.create(
        applicant=bob_applicant,
        name="Prairie Library",
        zip_code="60201",
        liaison_name="Bob Applicant",
        liaison_email="bob@example.org",
        services={"reference": ["public"]},
    )


def test_approval_creates_the_member_with_the_applicant_as_liaison(
    prairie_application: MembershipApplication, sam_specialist: User, bob_applicant: User
) -> None:
    today = timezone.localdate()

    membership_application_decide(
        specialist=sam_specialist, application_id=prairie_application.pk, approve=True
    )

    organization = Organization.objects.get()
    place = zip_place("60201")
    assert (organization.name, organization.city, organization.state_id) == (
        "Prairie Library",
        "Evanston",
        "IL",
    )
    assert (organization.liaison, organization.liaison_email) == (bob_applicant, "bob@example.org")
    assert (organization.latitude, organization.longitude) == (place.latitude, place.longitude)
    assert (organization.joined_on, organization.last_reviewed_on) == (today, today)
    assert organization.services == {"reference": ["public"]}
    prairie_application.refresh_from_db()
    assert (
        prairie_application.status,
        prairie_application.decided_by,
        prairie_application.organization,
    ) == (MembershipApplication.Status.APPROVED, sam_specialist, organization)
    assert prairie_application.decided_at is not None


def test_approval_makes_the_applicant_a_liaison(
    prairie_application: MembershipApplication, sam_specialist: User
) -> None:
    membership_application_decide(
        specialist=sam_specialist, application_id=prairie_application.pk, approve=True
    )

    applicant = type(prairie_application.applicant).objects.get(pk=prairie_application.applicant.pk)
    assert user_has_role(applicant, Role.LIAISON) is True


def test_an_approved_member_appears_in_the_directory(
    prairie_application: MembershipApplication, sam_specialist: User
) -> None:
    membership_application_decide(
        specialist=sam_specialist, application_id=prairie_application.pk, approve=True
    )

    page = organization_search(filters=DirectoryFilters(near=zip_place("60201"), radius_miles=5))
    assert [(o.name, o.distance_miles) for o in page.organizations] == [("Prairie Library", 0.0)]


def test_approval_emails_the_applicant_and_is_audited(
    prairie_application: MembershipApplication,
    sam_specialist: User,
    audit_log: Callable[[], list[tuple]],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        membership_application_decide(
            specialist=sam_specialist, application_id=prairie_application.pk, approve=True
        )

    organization = Organization.objects.get()
    assert [(message.to, message.subject) for message in mail.outbox] == [
        (["bob@example.org"], "Welcome to the network: Prairie Library")
    ]
    assert f"/network/organizations/{organization.pk}/" in mail.outbox[0].body
    assert audit_log()[-1] == (
        "membership.approve",
        "sam@example.org",
        "network.membershipapplication",
        str(prairie_application.pk),
    )


def test_rejection_records_the_reason_and_emails_it(
    prairie_application: MembershipApplication,
    sam_specialist: User,
    audit_log: Callable[[], list[tuple]],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        membership_application_decide(
            specialist=sam_specialist,
            application_id=prairie_application.pk,
            approve=False,
            reason="  We could not confirm the address.  ",
        )

    prairie_application.refresh_from_db()
    assert (
        prairie_application.status,
        prairie_application.decision_reason,
        prairie_application.organization,
    ) == (MembershipApplication.Status.REJECTED, "We could not confirm the address.", None)
    assert Organization.objects.count() == 0
    assert [(message.to, message.subject) for message in mail.outbox] == [
        (["bob@example.org"], "Your application for Prairie Library")
    ]
    assert "We could not confirm the address." in mail.outbox[0].body
    assert audit_log()[-1][:2] == ("membership.reject", "sam@example.org")


def test_rejection_without_a_reason_is_refused_and_nothing_changes(
    prairie_application: MembershipApplication,
    sam_specialist: User,
    audit_log: Callable[[], list[tuple]],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    before = _written(audit_log)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(NetworkError) as raised:
        membership_application_decide(
            specialist=sam_specialist,
            application_id=prairie_application.pk,
            approve=False,
            reason="   ",
        )

    assert str(raised.value) == "Please give the applicant a reason."
    assert _written(audit_log) == before


def test_a_specialist_cannot_decide_outside_their_region_and_nothing_changes(
    prairie_application: MembershipApplication,
    olga_other_specialist: User,
    audit_log: Callable[[], list[tuple]],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    before = _written(audit_log)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(NotAllowed) as raised:
        membership_application_decide(
            specialist=olga_other_specialist, application_id=prairie_application.pk, approve=True
        )

    assert str(raised.value) == "That application is not in a region you cover."
    assert _written(audit_log) == before


def test_a_liaison_cannot_decide_and_nothing_changes(
    prairie_application: MembershipApplication,
    alice_liaison: User,
    audit_log: Callable[[], list[tuple]],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    before = _written(audit_log)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(NotAllowed):
        membership_application_decide(
            specialist=alice_liaison, application_id=prairie_application.pk, approve=True
        )

    assert _written(audit_log) == before


def test_an_unknown_application_is_not_allowed(sam_specialist: User) -> None:
    with pytest.raises(NotAllowed):
        membership_application_decide(
            specialist=sam_specialist, application_id=999999, approve=True
        )


def test_an_administrator_may_decide_in_any_region(
    prairie_application: MembershipApplication, admin: User
) -> None:
    membership_application_decide(
        specialist=admin, application_id=prairie_application.pk, approve=True
    )

    prairie_application.refresh_from_db()
    assert (prairie_application.status, prairie_application.decided_by) == ("approved", admin)


def test_deciding_twice_is_refused_and_nothing_changes(
    prairie_application: MembershipApplication,
    sam_specialist: User,
    audit_log: Callable[[], list[tuple]],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        membership_application_decide(
            specialist=sam_specialist, application_id=prairie_application.pk, approve=True
        )
    before = _written(audit_log)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(AlreadyDecided) as raised:
        membership_application_decide(
            specialist=sam_specialist,
            application_id=prairie_application.pk,
            approve=False,
            reason="Changed my mind",
        )

    assert str(raised.value) == "This application was already decided; nothing was changed."
    assert _written(audit_log) == before


def test_a_decision_keeps_the_date_it_was_made(
    prairie_application: MembershipApplication, sam_specialist: User
) -> None:
    before = timezone.now()

    membership_application_decide(
        specialist=sam_specialist, application_id=prairie_application.pk, approve=True
    )

    prairie_application.refresh_from_db()
    decided_at = prairie_application.decided_at
    assert decided_at is not None
    assert before <= decided_at <= timezone.now()
    assert decided_at - before < datetime.timedelta(seconds=30)


# Nobody decides their own application


@pytest.fixture
def sams_own_application(sam_specialist: User) -> MembershipApplication:
    """Sam, the Region 6 specialist, applies for the library where he also works."""
    return MembershipApplicationFactory.create(
        applicant=sam_specialist, name="Skokie Health Library", zip_code="60201"
    )


@pytest.mark.parametrize("approve", [True, False])
def test_a_specialist_cannot_decide_their_own_application_and_nothing_changes(
    sams_own_application: MembershipApplication,
    sam_specialist: User,
    approve: bool,
    audit_log: Callable[[], list[tuple]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    before = _written(audit_log)

    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(OwnApplication) as refused,
    ):
        membership_application_decide(
            specialist=sam_specialist,
            application_id=sams_own_application.pk,
            approve=approve,
            reason="Looks fine to me",
        )

    assert str(refused.value) == (
        "You sent this application yourself, so another specialist must decide it. "
        "Nothing was changed."
    )
    assert _written(audit_log) == before
    sams_own_application.refresh_from_db()
    assert (sams_own_application.status, sams_own_application.decided_at) == ("pending", None)
    assert (
        user_has_role(type(sam_specialist).objects.get(pk=sam_specialist.pk), Role.LIAISON) is False
    )


def test_an_administrator_cannot_decide_their_own_application_either(
    admin: User, audit_log: Callable[[], list[tuple]]
) -> None:
    own = MembershipApplicationFactory.create(applicant=admin, name="Admin's Library")
    before = _written(audit_log)

    with pytest.raises(OwnApplication):
        membership_application_decide(specialist=admin, application_id=own.pk, approve=True)

    assert _written(audit_log) == before


def test_another_specialist_of_the_region_may_decide_it(
    sams_own_application: MembershipApplication,
) -> None:
    colleague = UserFactory.create(
        email="cleo@example.org", roles=[Role.ENGAGEMENT_SPECIALIST], two_factor=True
    )
    RegionSpecialistFactory.create(user=colleague, region=region("region-6"))

    decided = membership_application_decide(
        specialist=colleague, application_id=sams_own_application.pk, approve=True
    )

    assert (decided.status, decided.decided_by) == ("approved", colleague)


# The duplicate check compares names without case, accents, spaces or punctuation


@pytest.mark.parametrize(
    "variant",
    [
        "Prairie  Library",
        " prairie library ",
        "PRAIRIE LIBRARY",
        "Prairie-Library",
        "Prairie Library.",
        "PrairieLibrary",
        "Práirie Library",
    ],
)
def test_a_member_is_found_whatever_the_spacing_case_or_punctuation_of_its_name(
    bob_applicant: User, variant: str, audit_log: Callable[[], list[tuple]]
) -> None:
    OrganizationFactory.create(name="Prairie Library", zip_code="60201")
    before = _written(audit_log)

    with pytest.raises(DuplicateApplication) as refused:
        membership_application_submit(applicant=bob_applicant, details=_details(name=variant))

    assert str(refused.value) == (
        f"{variant} in ZIP code 60201 is already a member of the network."
    )
    assert _written(audit_log) == before


def test_a_pending_application_is_found_whatever_the_spacing_of_its_name(
    bob_applicant: User, audit_log: Callable[[], list[tuple]]
) -> None:
    MembershipApplicationFactory.create(name="St. Mary's Health Library", zip_code="60201")
    before = _written(audit_log)

    with pytest.raises(DuplicateApplication):
        membership_application_submit(
            applicant=bob_applicant, details=_details(name="St Marys  Health Library")
        )

    assert _written(audit_log) == before


def test_the_database_keeps_one_pending_application_per_name_key(bob_applicant: User) -> None:
    MembershipApplicationFactory.create(name="Prairie Library", zip_code="60201")

    with pytest.raises(IntegrityError), transaction.atomic():
        MembershipApplicationFactory.create(name="prairie-library", zip_code="60201")

    assert MembershipApplication.objects.count() == 1


def test_a_name_with_punctuation_is_accepted_as_written(bob_applicant: User) -> None:
    application = membership_application_submit(
        applicant=bob_applicant, details=_details(name="Library -- Main Campus <East>")
    )

    assert MembershipApplication.objects.get(pk=application.pk).name == (
        "Library -- Main Campus <East>"
    )


# The applicant's receipt


@pytest.mark.parametrize(
    ("language", "subject", "lines"),
    [
        (
            "en",
            "We received your application for O'Brien Family Library",
            [
                "Hello Bob Applicant,",
                "",
                "We received the application for O'Brien Family Library in Evanston, IL to join "
                "the network.",
                "",
                "What happens next",
                "The engagement specialists for Region 6, your organization's region, review the "
                "application. They decide whether it joins the network and answer you by email "
                "at this address. If they need more information, they write to you first.",
                "",
                "Follow your application here: http://127.0.0.1:8000/network/my-applications/",
                "",
                "Thank you for using Tapestry.",
                "http://127.0.0.1:8000",
            ],
        ),
        (
            "es",
            "Recibimos su solicitud para O'Brien Family Library",
            [
                "Hola, Bob Applicant:",
                "",
                "Recibimos la solicitud de O'Brien Family Library, en Evanston, IL, para unirse "
                "a la red.",
                "",
                "Qué pasa ahora",
                "Los especialistas en participación comunitaria de Región 6, la región de su "
                "organización, revisan la solicitud. Ellos deciden si se une a la red y le "
                "responden por correo electrónico a esta dirección. Si necesitan más "
                "información, primero le escriben.",
                "",
                "Siga su solicitud aquí: http://127.0.0.1:8000/network/my-applications/",
                "",
                "Gracias por usar Tapestry.",
                "http://127.0.0.1:8000",
            ],
        ),
    ],
)
def test_the_applicant_gets_a_receipt_in_their_language(
    bob_applicant: User,
    sam_specialist: User,
    language: str,
    subject: str,
    lines: list[str],
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        application = membership_application_submit(
            applicant=bob_applicant,
            details=_details(name="O'Brien Family Library"),
            language=language,
        )

    receipt = mail.outbox[-1]
    assert (receipt.to, receipt.subject) == (["bob@example.org"], subject)
    # Bob's own verified address is the liaison email: confirmed at once, so the receipt does
    # not mention a confirmation link.
    assert receipt.body.splitlines() == lines
    assert "&#" not in receipt.body and "&amp;" not in receipt.body
    assert application.liaison_email_confirmed
