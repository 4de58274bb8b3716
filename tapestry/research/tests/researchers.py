"""Researchers for the workbench tests, at any stage of access.

`researcher_make()` gives a person who meets every requirement of registered access, each one
the real way: program staff confirmed their identity, an authenticator app, the registered-tier
course passed (learning's factories), the current code of conduct signed, and a confirmed
address at an institution whose agreement is in force. Pass `training=False` (and so on) to
leave one out.
"""

from __future__ import annotations

import datetime
from typing import Any

import factory
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Max
from django.utils import timezone
from factory.django import DjangoModelFactory

from tapestry.accounts.api import Role
from tapestry.accounts.tests.factories import TOTP_SECRET, UserFactory
from tapestry.learning import services as learning_services
from tapestry.learning.tests.factories import course_finish, course_make, enrollment_of
from tapestry.research.access import conduct_current
from tapestry.research.models import (
    ConductSignature,
    ConductVersion,
    IdentityAttestation,
    Institution,
    InstitutionDomain,
)


class InstitutionFactory(DjangoModelFactory[Institution]):
    """An institution whose agreement is in force: signed 400 days ago, ending in two years."""

    class Meta:
        model = Institution
        django_get_or_create = ["name"]
        skip_postgeneration_save = True

    name = "University of Alabama at Birmingham"
    agreement_signed_on = factory.LazyFunction(
        lambda: timezone.localdate() - datetime.timedelta(days=400)
    )
    agreement_expires_on = factory.LazyFunction(
        lambda: timezone.localdate() + datetime.timedelta(days=730)
    )

    @factory.post_generation
    def domain(obj: Institution, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            InstitutionDomain.objects.get_or_create(
                institution=obj, domain=extracted or "uab.example"
            )


class ConductVersionFactory(DjangoModelFactory[ConductVersion]):
    class Meta:
        model = ConductVersion

    version = factory.LazyFunction(
        lambda: (ConductVersion.objects.aggregate(Max("version"))["version__max"] or 0) + 1
    )
    text_en = "1. Use the data only for your stated purpose."
    text_es = "1. Use los datos solo para el propósito indicado."
    published_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=30))


def program_staff() -> Any:
    """Program staff who confirm identities (with an authenticator: staff need one); the same
    person each time."""
    existing = get_user_model().objects.filter(email="dana@example.org").first()
    return existing or UserFactory.create(
        email="dana@example.org",
        full_name="Dana Whitfield",
        roles=[Role.PROGRAM_STAFF],
        two_factor=True,
    )


def registered_course() -> Any:
    """The registered-tier course (RESEARCH_REGISTERED_COURSE), a compliance course."""
    # Through the app registry: the import contracts keep learning's models private.
    existing = (
        apps.get_model("learning", "Course")
        .objects.filter(slug=settings.RESEARCH_REGISTERED_COURSE)
        .first()
    )
    return existing or course_make(
        slug=settings.RESEARCH_REGISTERED_COURSE,
        title="Responsible conduct of research",
        compliance=True,
    )


def training_renew(user: Any) -> None:
    """The researcher takes the registered-tier course again (renewal open or expired)."""
    course = registered_course()
    learning_services.course_renew(enrollment=enrollment_of(user_id=user.pk, course=course))
    course_finish(user_id=user.pk, course=course)


def researcher_make(
    *,
    email: str = "wei@example.org",
    full_name: str = "Wei Chen",
    language: str = "en",
    **requirements: Any,
) -> Any:
    """A researcher meeting the requirements asked for (all by default: see
    `requirements_meet`)."""
    user = UserFactory.create(
        email=email, full_name=full_name, preferred_language=language, roles=[Role.RESEARCHER]
    )
    requirements_meet(user, **requirements)
    return user


def requirements_meet(
    user: Any,
    *,
    institution_domain: str | None = "uab.example",
    identity: bool = True,
    two_factor: bool = True,
    totp_secret: str = TOTP_SECRET,
    training: bool = True,
    conduct: bool = True,
) -> None:
    """Meet the requirements asked for, each the real way: a second, confirmed address at the
    institution; staff's confirmation; an authenticator; the course passed; the current code
    of conduct signed (published first if there is none)."""
    if two_factor and not Authenticator.objects.filter(user=user).exists():
        TOTP.activate(user, totp_secret)
    if institution_domain:
        InstitutionFactory.create()
        local = user.email.split("@")[0]
        EmailAddress.objects.create(
            user=user, email=f"{local}@{institution_domain}", verified=True, primary=False
        )
    if identity:
        IdentityAttestation.objects.create(
            user=user, method=IdentityAttestation.Method.VIDEO, attested_by=program_staff()
        )
    if training:
        course_finish(user_id=user.pk, course=registered_course())
    if conduct:
        current = conduct_current() or ConductVersionFactory.create()
        ConductSignature.objects.create(user=user, version=current, typed_name=user.get_full_name())
