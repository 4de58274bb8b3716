"""Researcher access: each requirement lapsing on its own ends registered access at once, and
meeting it again brings it back; bypasses count; staff confirm identities and grant bypasses
(audited, emailed); the access page shows what is still needed; wrong roles change nothing."""

import datetime
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.core import mail
from django.test import Client
from django.utils import timezone

from tapestry.accounts.api import PERSONAS, Role, persona_ensure, role_grant
from tapestry.accounts.tests.factories import TOTP_SECRET, UserFactory
from tapestry.learning.tests.factories import course_finish
from tapestry.research import services
from tapestry.research.access import access_of, conduct_current
from tapestry.research.demo_workbench import workbench_demo
from tapestry.research.models import (
    AccessBypass,
    ConductSignature,
    IdentityAttestation,
    Institution,
    Requirement,
    ResearchLogEntry,
    Tier,
    Workspace,
)
from tapestry.research.tests.researchers import (
    ConductVersionFactory,
    InstitutionFactory,
    program_staff,
    registered_course,
    researcher_make,
    training_renew,
)

pytestmark = pytest.mark.django_db

TODAY = datetime.date


def _missing(user: Any) -> list[str]:
    return [item.requirement.value for item in access_of(user).missing()]


def _log(user: Any) -> list[tuple[str, str]]:
    return [
        (entry.action, entry.summary)
        for entry in ResearchLogEntry.objects.filter(user=user).order_by("at", "id")
    ]


# Each requirement on its own


def test_a_researcher_meeting_every_requirement_has_registered_access() -> None:
    wei = researcher_make()

    state = access_of(wei)

    assert (state.tier, _missing(wei)) == (Tier.REGISTERED, [])
    assert state.institution == Institution.objects.get(name="University of Alabama at Birmingham")
    assert [item.requirement.value for item in state.requirements] == [
        "identity",
        "two_factor",
        "training",
        "conduct",
        "institution",
        "controlled_training",
    ]


def test_expired_training_ends_access_and_renewing_it_brings_it_back() -> None:
    wei = researcher_make()
    a_year_on = timezone.now() + datetime.timedelta(days=366)

    with time_machine.travel(a_year_on, tick=False):
        assert (access_of(wei).tier, _missing(wei)) == (Tier.PUBLIC, ["training"])
        training = next(
            item for item in access_of(wei).requirements if item.requirement == "training"
        )
        assert training.detail == "Your completion has expired: take the course again to renew it."
        assert training.url == "/learning/courses/responsible-conduct-of-research/"
        training_renew(wei)
        assert access_of(wei).tier == Tier.REGISTERED


def test_the_agreement_holds_on_its_last_day_and_ends_the_day_after() -> None:
    wei = researcher_make()
    today = timezone.localdate()

    Institution.objects.update(agreement_expires_on=today)
    assert access_of(wei).tier == Tier.REGISTERED
    Institution.objects.update(agreement_expires_on=today - datetime.timedelta(days=1))
    assert (access_of(wei).tier, _missing(wei)) == (Tier.PUBLIC, ["institution"])
    Institution.objects.update(agreement_expires_on=today + datetime.timedelta(days=365))
    assert access_of(wei).tier == Tier.REGISTERED


def test_an_agreement_not_yet_signed_does_not_count() -> None:
    wei = researcher_make()

    Institution.objects.update(
        agreement_signed_on=timezone.localdate() + datetime.timedelta(days=1),
        agreement_expires_on=timezone.localdate() + datetime.timedelta(days=400),
    )

    assert _missing(wei) == ["institution"]


def test_a_subdomain_of_the_institution_counts_and_an_unverified_address_does_not() -> None:
    wei = researcher_make(institution_domain=None)
    InstitutionFactory.create()
    wei.emailaddress_set.create(email="wei@med.uab.example", verified=False, primary=False)
    assert _missing(wei) == ["institution"]

    wei.emailaddress_set.filter(email="wei@med.uab.example").update(verified=True)

    assert access_of(wei).tier == Tier.REGISTERED


def test_a_new_code_of_conduct_ends_access_until_it_is_signed() -> None:
    wei = researcher_make()
    staff = program_staff()

    version_2 = services.conduct_publish(actor=staff, text_en="Two.", text_es="Dos.")

    assert (access_of(wei).tier, _missing(wei)) == (Tier.PUBLIC, ["conduct"])
    conduct = next(item for item in access_of(wei).requirements if item.requirement == "conduct")
    assert conduct.detail == "A new version (2) was published: read and sign it."
    services.conduct_sign(user=wei, version_id=version_2.pk, typed_name="wei chen")
    assert access_of(wei).tier == Tier.REGISTERED


def test_a_withdrawn_identity_ends_access_and_a_new_confirmation_returns_it() -> None:
    wei = researcher_make()
    staff = program_staff()

    services.identity_withdraw(actor=staff, user_id=wei.pk, reason="ID did not match")
    assert (access_of(wei).tier, _missing(wei)) == (Tier.PUBLIC, ["identity"])
    services.identity_attest(actor=staff, user_id=wei.pk, method="in_person", note="Passport")

    assert access_of(wei).tier == Tier.REGISTERED
    assert [
        (attestation.method, attestation.withdrawn_at is None)
        for attestation in IdentityAttestation.objects.filter(user=wei)
    ] == [("in_person", True), ("video", False)]


def test_removing_the_authenticator_ends_access() -> None:
    wei = researcher_make()

    Authenticator.objects.filter(user=wei).delete()
    assert _missing(wei) == ["two_factor"]
    TOTP.activate(wei, TOTP_SECRET)

    assert access_of(wei).tier == Tier.REGISTERED


def test_taking_the_researcher_role_away_ends_access() -> None:
    wei = researcher_make()

    wei.groups.clear()
    wei.__dict__.pop("_role_names", None)

    assert (access_of(wei).tier, _missing(wei)) == (Tier.PUBLIC, [])


def test_controlled_access_needs_its_training_and_an_agreement_covering_it() -> None:
    wei = researcher_make()
    assert _missing(wei) == []
    assert [item.requirement for item in access_of(wei).missing(Tier.CONTROLLED)] == [
        Requirement.CONTROLLED_TRAINING
    ]


# Bypasses


def test_a_bypass_counts_until_its_last_day_then_access_ends() -> None:
    wei = researcher_make(training=False)
    staff = program_staff()
    today = timezone.localdate()

    services.bypass_grant(
        actor=staff, user_id=wei.pk, requirement="training", reason="Course at UAB", ends_on=today
    )

    training = next(item for item in access_of(wei).requirements if item.requirement == "training")
    assert (access_of(wei).tier, training.bypassed, training.met) == (Tier.REGISTERED, True, True)
    tomorrow = timezone.now() + datetime.timedelta(days=1)
    with time_machine.travel(tomorrow, tick=False):
        assert (access_of(wei).tier, _missing(wei)) == (Tier.PUBLIC, ["training"])


def test_a_withdrawn_bypass_ends_access_and_everything_is_logged_and_emailed(
    django_capture_on_commit_callbacks: Any,
) -> None:
    wei = researcher_make(training=False)
    staff = program_staff()
    ends_on = timezone.localdate() + datetime.timedelta(days=30)
    with django_capture_on_commit_callbacks(execute=True):
        bypass = services.bypass_grant(
            actor=staff,
            user_id=wei.pk,
            requirement="training",
            reason="Course at UAB",
            ends_on=ends_on,
        )

        services.bypass_withdraw(actor=staff, user_id=wei.pk, bypass_id=bypass.pk)

    assert access_of(wei).tier == Tier.PUBLIC
    assert [
        (entry.action, entry.actor, entry.data["event"])
        for entry in ResearchLogEntry.objects.filter(user=wei).order_by("id")
    ] == [("bypass", staff, "granted"), ("bypass", staff, "withdrawn")]
    assert [(message.to, message.subject) for message in mail.outbox] == [
        (
            ["wei@example.org"],
            "A requirement of your research access is waived: Registered-tier training",
        ),
        (
            ["wei@example.org"],
            "A waiver of your research access has ended: Registered-tier training",
        ),
    ]


def test_a_bypass_that_ended_on_its_own_makes_room_for_a_new_one() -> None:
    wei = researcher_make(training=False)
    staff = program_staff()
    AccessBypass.objects.create(
        user=wei,
        requirement="training",
        reason="Earlier",
        ends_on=timezone.localdate() - datetime.timedelta(days=1),
        granted_by=staff,
    )

    services.bypass_grant(
        actor=staff,
        user_id=wei.pk,
        requirement="training",
        reason="Again",
        ends_on=timezone.localdate() + datetime.timedelta(days=10),
    )

    assert [
        (bypass.reason, bypass.withdrawn_at is None, bypass.withdrawn_by)
        for bypass in AccessBypass.objects.filter(user=wei).order_by("id")
    ] == [("Earlier", False, None), ("Again", True, None)]


@pytest.mark.parametrize("days", [-1, 366])
def test_a_bypass_ends_between_today_and_a_year_from_now(days: int) -> None:
    wei = researcher_make(training=False)
    staff = program_staff()

    with pytest.raises(services.AccessRefused):
        services.bypass_grant(
            actor=staff,
            user_id=wei.pk,
            requirement="training",
            reason="Too long",
            ends_on=timezone.localdate() + datetime.timedelta(days=days),
        )

    assert AccessBypass.objects.count() == 0
    assert ResearchLogEntry.objects.filter(action="bypass").count() == 0


def test_a_researcher_cannot_grant_themself_a_bypass() -> None:
    wei = researcher_make(training=False)

    with pytest.raises(services.AccessRefused):
        services.bypass_grant(
            actor=wei,
            user_id=wei.pk,
            requirement="training",
            reason="Me",
            ends_on=timezone.localdate(),
        )

    assert AccessBypass.objects.count() == 0


# The code of conduct page


def _sign_in(client: Client, user: Any) -> Client:
    client.force_login(user)
    return client


def test_signing_the_code_of_conduct_by_typing_ones_name_twice_keeps_one_signature() -> None:
    wei = researcher_make(conduct=False)
    version = ConductVersionFactory.create()
    client = _sign_in(Client(), wei)
    page = client.get("/research/conduct/")
    assert page.status_code == 200
    assert "Use the data only for your stated purpose." in page.content.decode()

    first = client.post("/research/conduct/", {"version": version.pk, "typed_name": "Wei Chen"})
    second = client.post("/research/conduct/", {"version": version.pk, "typed_name": "Wei Chen"})

    assert (first.status_code, first["Location"]) == (302, "/research/access/")
    assert (second.status_code, second["Location"]) == (302, "/research/access/")
    assert list(ConductSignature.objects.values_list("user", "version", "typed_name")) == [
        (wei.pk, version.pk, "Wei Chen")
    ]
    assert ResearchLogEntry.objects.filter(user=wei, action="conduct_signed").count() == 1


def test_the_code_of_conduct_shows_in_spanish_to_a_spanish_reader() -> None:
    lucia = researcher_make(email="lucia@example.org", full_name="Lucía Fernández", language="es")
    ConductVersionFactory.create()
    client = _sign_in(Client(), lucia)

    page = client.get("/research/conduct/", headers={"accept-language": "es"})

    assert "Use los datos solo para el propósito indicado." in page.content.decode()


@pytest.mark.parametrize(
    ("typed_name", "status"), [("Someone Else", 409), ("", 400), ("Wei\x00Chen", 400)]
)
def test_a_signature_in_another_name_is_refused(typed_name: str, status: int) -> None:
    wei = researcher_make(conduct=False)
    version = ConductVersionFactory.create()

    response = _sign_in(Client(), wei).post(
        "/research/conduct/", {"version": version.pk, "typed_name": typed_name}
    )

    assert response.status_code == status
    assert ConductSignature.objects.count() == 0


def test_a_form_for_an_older_version_is_refused() -> None:
    wei = researcher_make(conduct=False)
    old = ConductVersionFactory.create()
    ConductVersionFactory.create()

    response = _sign_in(Client(), wei).post(
        "/research/conduct/", {"version": old.pk, "typed_name": "Wei Chen"}
    )

    assert response.status_code == 409
    assert ConductSignature.objects.count() == 0


# The access page


def test_the_access_page_lists_what_is_missing_with_links_and_the_institutions() -> None:
    lucia = researcher_make(email="lucia@example.org", full_name="Lucía Fernández", training=False)
    InstitutionFactory.create(name="Wayne State University", domain="wayne.example")
    InstitutionFactory.create(
        name="Ended University",
        domain="ended.example",
        agreement_expires_on=timezone.localdate() - datetime.timedelta(days=1),
    )

    page = _sign_in(Client(), lucia).get("/research/access/")

    html = page.content.decode()
    assert page.status_code == 200
    assert "Your tier now: Public." in html
    assert 'href="/learning/courses/responsible-conduct-of-research/">' in html
    assert html.count("Still needed") == 2  # the registered training and the controlled one
    assert "<li>University of Alabama at Birmingham</li>" in html
    assert "<li>Wayne State University</li>" in html
    assert "Ended University" not in html


def test_a_researcher_asks_once_for_an_identity_check_and_staff_are_emailed(
    django_capture_on_commit_callbacks: Any,
) -> None:
    lucia = researcher_make(email="lucia@example.org", full_name="Lucía Fernández", identity=False)
    staff = program_staff()
    client = _sign_in(Client(), lucia)

    with django_capture_on_commit_callbacks(execute=True):
        first = client.post("/research/access/identity/")
        second = client.post("/research/access/identity/")

    assert (first.status_code, second.status_code) == (302, 409)
    assert [(message.to, message.subject) for message in mail.outbox] == [
        ([staff.email], "Identity check asked for: Lucía Fernández")
    ]
    assert f"/research/staff/researchers/{lucia.pk}/" in mail.outbox[0].body
    assert ResearchLogEntry.objects.filter(user=lucia, action="identity").count() == 1
    assert "You asked on" in client.get("/research/access/").content.decode()


def test_an_identity_request_reopens_after_two_weeks() -> None:
    lucia = researcher_make(email="lucia@example.org", full_name="Lucía Fernández", identity=False)
    services.identity_check_request(user=lucia)

    with time_machine.travel(timezone.now() + datetime.timedelta(days=15), tick=False):
        services.identity_check_request(user=lucia)

    assert ResearchLogEntry.objects.filter(user=lucia, action="identity").count() == 2


# Who may see what


@pytest.mark.parametrize(
    "path", ["/research/", "/research/access/", "/research/conduct/", "/research/log/"]
)
def test_a_visitor_is_sent_to_sign_in(path: str) -> None:
    response = Client().get(path)

    assert (response.status_code, response["Location"]) == (
        302,
        f"/accounts/login/?next={path}",
    )


@pytest.mark.parametrize(
    "path", ["/research/", "/research/access/", "/research/conduct/", "/research/log/"]
)
def test_a_person_without_the_researcher_role_is_refused(path: str) -> None:
    liaison = UserFactory.create(roles=[Role.LIAISON])

    response = _sign_in(Client(), liaison).get(path)

    assert response.status_code == 403


def test_a_liaison_cannot_ask_for_an_identity_check_or_sign() -> None:
    liaison = UserFactory.create(roles=[Role.LIAISON], full_name="Lucía Ramírez")
    version = ConductVersionFactory.create()
    client = _sign_in(Client(), liaison)

    responses = [
        client.post("/research/access/identity/").status_code,
        client.post(
            "/research/conduct/", {"version": version.pk, "typed_name": "Lucía Ramírez"}
        ).status_code,
    ]

    assert responses == [403, 403]
    assert ConductSignature.objects.count() == 0
    assert ResearchLogEntry.objects.count() == 0
    assert mail.outbox == []


STAFF_PAGES = [
    ("get", "/research/staff/researchers/"),
    ("get", "/research/staff/log/"),
    ("get", "/research/staff/log.csv"),
    ("get", "/research/staff/researchers/{id}/"),
    ("post", "/research/staff/researchers/{id}/identity/"),
    ("post", "/research/staff/researchers/{id}/bypasses/"),
]


@pytest.mark.parametrize(("method", "path"), STAFF_PAGES)
def test_staff_pages_are_refused_to_researchers(method: str, path: str) -> None:
    wei = researcher_make()
    lucia = researcher_make(
        email="lucia@example.org", full_name="Lucía Fernández", identity=False, training=False
    )
    client = _sign_in(Client(), wei)
    before = ResearchLogEntry.objects.count()

    response = getattr(client, method)(
        path.format(id=lucia.pk),
        {
            "method": "video",
            "requirement": "training",
            "reason": "x",
            "ends_on": timezone.localdate().isoformat(),
        },
    )

    assert response.status_code == 403
    assert ResearchLogEntry.objects.count() == before
    assert IdentityAttestation.objects.filter(user=lucia).count() == 0
    assert AccessBypass.objects.count() == 0


# Program staff's pages


def test_staff_confirm_an_identity_from_the_researchers_page(
    staff_signed_in: Callable[[Any], Client], django_capture_on_commit_callbacks: Any
) -> None:
    lucia = researcher_make(
        email="lucia@example.org", full_name="Lucía Fernández", language="es", identity=False
    )
    staff = program_staff()
    client = staff_signed_in(staff)
    listing = client.get("/research/staff/researchers/?q=lucia")
    assert f'href="/research/staff/researchers/{lucia.pk}/"' in listing.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/research/staff/researchers/{lucia.pk}/identity/",
            {"method": "video", "note": "Passport on a video call"},
        )

    assert (response.status_code, response["Location"]) == (
        302,
        f"/research/staff/researchers/{lucia.pk}/",
    )
    assert list(
        IdentityAttestation.objects.values_list("user", "method", "note", "attested_by")
    ) == [(lucia.pk, "video", "Passport on a video call", staff.pk)]
    entry = ResearchLogEntry.objects.get(user=lucia, action="identity")
    assert (entry.actor, entry.data) == (
        staff,
        {"event": "confirmed", "method": "video", "note": "Passport on a video call"},
    )
    assert [message.to for message in mail.outbox] == [["lucia@example.org"]]


def test_staff_cannot_confirm_someone_without_the_researcher_role(
    staff_signed_in: Callable[[Any], Client],
) -> None:
    liaison = UserFactory.create(roles=[Role.LIAISON])
    client = staff_signed_in(program_staff())
    before = ResearchLogEntry.objects.count()

    response = client.post(
        f"/research/staff/researchers/{liaison.pk}/identity/", {"method": "video"}
    )

    assert response.status_code == 404
    assert IdentityAttestation.objects.count() == 0
    assert ResearchLogEntry.objects.count() == before


def test_staff_grant_a_bypass_with_a_bad_date_get_a_400_and_nothing_changes(
    staff_signed_in: Callable[[Any], Client],
) -> None:
    wei = researcher_make(training=False)
    client = staff_signed_in(program_staff())
    before = ResearchLogEntry.objects.count()

    response = client.post(
        f"/research/staff/researchers/{wei.pk}/bypasses/",
        {
            "requirement": "training",
            "reason": "Course elsewhere",
            "ends_on": (timezone.localdate() + datetime.timedelta(days=400)).isoformat(),
        },
    )

    assert response.status_code == 400
    assert AccessBypass.objects.count() == 0
    assert ResearchLogEntry.objects.count() == before


def test_staff_withdraw_only_the_researchers_own_bypass(
    staff_signed_in: Callable[[Any], Client],
) -> None:
    wei = researcher_make(training=False)
    lucia = researcher_make(email="lucia@example.org", full_name="Lucía Fernández", training=False)
    staff = program_staff()
    bypass = services.bypass_grant(
        actor=staff,
        user_id=lucia.pk,
        requirement="training",
        reason="x",
        ends_on=timezone.localdate(),
    )
    client = staff_signed_in(staff)

    response = client.post(f"/research/staff/researchers/{wei.pk}/bypasses/{bypass.pk}/withdraw/")

    assert response.status_code == 409
    assert AccessBypass.objects.get().withdrawn_at is None


# Institutions and code-of-conduct versions (staff, the admin)


def test_institution_domains_are_stored_lower_case_and_belong_to_one_institution() -> None:
    staff = program_staff()
    today = timezone.localdate()
    ends = today + datetime.timedelta(days=365)

    uab = services.institution_save(
        actor=staff,
        name="UAB",
        domains=[" @UAB.Example ", "med.uab.example."],
        agreement_signed_on=today,
        agreement_expires_on=ends,
    )
    with pytest.raises(services.AccessRefused, match=r"uab\.example already belongs"):
        services.institution_save(
            actor=staff,
            name="Other",
            domains=["uab.example"],
            agreement_signed_on=today,
            agreement_expires_on=ends,
        )
    with pytest.raises(services.AccessRefused, match="is not an email domain"):
        services.institution_save(
            actor=staff,
            name="Bad",
            domains=["not a domain"],
            agreement_signed_on=today,
            agreement_expires_on=ends,
        )

    assert list(uab.domains.values_list("domain", flat=True)) == ["med.uab.example", "uab.example"]
    assert list(Institution.objects.values_list("name", flat=True)) == ["UAB"]


def test_adding_a_code_of_conduct_version_in_the_admin_publishes_it(
    admin_signed_in: Client,
) -> None:
    ConductVersionFactory.create()

    response = admin_signed_in.post(
        "/admin/research/conductversion/add/", {"text_en": "Be careful.", "text_es": "Cuidado."}
    )

    assert response.status_code == 302
    current = conduct_current()
    assert current is not None
    assert (current.version, current.text_en, current.published_at is not None) == (
        2,
        "Be careful.",
        True,
    )
    entry = ResearchLogEntry.objects.get(action="access_change")
    assert entry.data == {"event": "conduct_published", "version": 2}


def test_the_admin_normalizes_an_institutions_domains(admin_signed_in: Client) -> None:
    response = admin_signed_in.post(
        "/admin/research/institution/add/",
        {
            "name": "Wayne State University",
            "agreement_signed_on": "2026-01-01",
            "agreement_expires_on": "2028-12-31",
            "domains-TOTAL_FORMS": "1",
            "domains-INITIAL_FORMS": "0",
            "domains-0-domain": "WAYNE.example",
        },
    )

    assert response.status_code == 302
    assert list(Institution.objects.get().domains.values_list("domain", flat=True)) == [
        "wayne.example"
    ]


# The demo


def test_the_demo_gives_wei_registered_access_and_lucia_all_but_the_training() -> None:
    wei = persona_ensure(
        next(p for p in PERSONAS if p.email == "researcher@tapestry.example"), password="x"
    )
    course_finish(user_id=wei.pk, course=registered_course())  # as learning's demo does

    first = workbench_demo()
    entries = ResearchLogEntry.objects.count()
    second = workbench_demo()

    assert (
        first[-2:]
        == second[-2:]
        == [
            "Wei Chen: Registered access; missing: nothing",
            "Lucía Fernández: Public access; missing: Registered-tier training",
        ]
    )
    assert second[:4] == [
        "Workspace ready: Diabetes and blood sugar control in Birmingham",
        "Workspace ready: Asthma medicines and emergency visits in Chicago",
        "Workspace ready: Blood pressure after age 65 in Detroit",
        "Workspace ready: Depresión y acceso a la atención médica en Kansas City",
    ]
    assert ResearchLogEntry.objects.count() == entries
    workspace = Workspace.objects.get(owner=wei)
    assert workspace.institution.name == "University of Alabama at Birmingham"
    current = conduct_current()
    assert current is not None
    assert "Use los datos solo para el propósito" in current.text_es


def test_staff_who_are_also_researchers_cannot_waive_their_own_requirements() -> None:
    dana = program_staff()
    role_grant(user_id=dana.pk, roles=[Role.RESEARCHER])

    with pytest.raises(services.AccessRefused, match="Another member of program staff"):
        services.bypass_grant(
            actor=dana,
            user_id=dana.pk,
            requirement="training",
            reason="Myself",
            ends_on=timezone.localdate(),
        )
    with pytest.raises(services.AccessRefused, match="Another member of program staff"):
        services.identity_attest(actor=dana, user_id=dana.pk, method="video")

    assert (AccessBypass.objects.count(), IdentityAttestation.objects.count()) == (0, 0)
