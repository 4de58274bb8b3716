"""Who may use which tier of the research data, worked out afresh at every request.

Registered access needs every one of: identity confirmed by program staff, a two-factor
authenticator, the registered-tier training complete and current (learning's `api.py`), the
current Data User Code of Conduct signed, and a verified email at an institution whose
data-use agreement is in force today. Controlled access adds the controlled-tier training and
an agreement that covers that tier. Nothing is stored as "has access": a lapsed training,
agreement or bypass ends access at once, and meeting it again brings access back.

Only people holding the researcher role get a tier above public. A requirement program staff
bypass (`AccessBypass`, with a reason and an end date) counts as met until the bypass ends or
is withdrawn.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from tapestry.accounts.api import Role, user_has_role
from tapestry.learning.api import training_current
from tapestry.research.models import (
    AccessBypass,
    ConductSignature,
    ConductVersion,
    IdentityAttestation,
    Institution,
    InstitutionDomain,
    Requirement,
    Tier,
)

REGISTERED = (
    Requirement.IDENTITY,
    Requirement.TWO_FACTOR,
    Requirement.TRAINING,
    Requirement.CONDUCT,
    Requirement.INSTITUTION,
)
CONTROLLED = (Requirement.CONTROLLED_TRAINING,)
TIER_ORDER = (Tier.PUBLIC, Tier.REGISTERED, Tier.CONTROLLED)


@dataclass(frozen=True)
class RequirementStatus:
    """One requirement and where the person stands on it."""

    requirement: Requirement
    met: bool
    bypassed: bool
    detail: str  # what is missing, or until when it holds, for the person to read
    url: str  # where to go to meet it ("" when there is nothing the person can do there)
    ends_on: datetime.date | None  # when it lapses, if it does


@dataclass(frozen=True)
class AccessState:
    tier: Tier
    requirements: tuple[RequirementStatus, ...]
    institution: Institution | None

    def has(self, tier: Tier) -> bool:
        return TIER_ORDER.index(self.tier) >= TIER_ORDER.index(tier)

    def missing(self, tier: Tier = Tier.REGISTERED) -> list[RequirementStatus]:
        """The requirements still to meet for `tier`."""
        needed = REGISTERED if tier == Tier.REGISTERED else (*REGISTERED, *CONTROLLED)
        return [item for item in self.requirements if item.requirement in needed and not item.met]


def conduct_current() -> ConductVersion | None:
    """The Data User Code of Conduct in force: the latest published version."""
    return (
        ConductVersion.objects.filter(published_at__isnull=False, published_at__lte=timezone.now())
        .order_by("-version")
        .first()
    )


def institution_of(*, user_id: int, on: datetime.date) -> tuple[Institution | None, str]:
    """The institution of the person's verified email addresses whose agreement is in force on
    `on` (a subdomain counts: "med.uab.edu" for "uab.edu"), with the email that matched; else
    (None, "")."""
    addresses = EmailAddress.objects.filter(user_id=user_id, verified=True).values_list(
        "email", flat=True
    )
    for email in sorted(addresses):
        domain = email.rpartition("@")[2].lower()
        parts = domain.split(".")
        candidates = [".".join(parts[i:]) for i in range(len(parts) - 1)]
        match = (
            InstitutionDomain.objects.select_related("institution")
            .filter(
                domain__in=candidates,
                institution__agreement_signed_on__lte=on,
                institution__agreement_expires_on__gte=on,
            )
            .first()
        )
        if match is not None:
            return match.institution, email
    return None, ""


def access_of(user: AbstractBaseUser | AnonymousUser | None) -> AccessState:
    """The tier the person may use now and every requirement's state, in the order a
    researcher meets them."""
    if user is None or not user.is_authenticated:
        return AccessState(Tier.PUBLIC, (), None)
    today = timezone.localdate()
    bypasses = {
        bypass.requirement: bypass
        for bypass in AccessBypass.objects.filter(
            user_id=user.pk, withdrawn_at__isnull=True, ends_on__gte=today
        )
    }
    institution, _email = institution_of(user_id=user.pk, on=today)
    statuses = [
        _identity(user.pk),
        _two_factor(user.pk),
        _training(user.pk, settings.RESEARCH_REGISTERED_COURSE, Requirement.TRAINING),
        _conduct(user.pk),
        _institution(institution),
        _training(user.pk, settings.RESEARCH_CONTROLLED_COURSE, Requirement.CONTROLLED_TRAINING),
    ]
    statuses = [_with_bypass(status, bypasses.get(status.requirement)) for status in statuses]
    met = {status.requirement for status in statuses if status.met}
    tier = Tier.PUBLIC
    # Only a person holding the researcher role may use the data: taking the role away ends
    # access at once, whatever else still holds.
    if set(REGISTERED) <= met and user_has_role(user, Role.RESEARCHER):
        tier = Tier.REGISTERED
        if set(CONTROLLED) <= met and institution is not None and institution.controlled_tier:
            tier = Tier.CONTROLLED
    return AccessState(tier, tuple(statuses), institution)


def session_two_factor(request: HttpRequest) -> bool:
    """Whether this session completed the second factor at sign-in (allauth records it); a
    token-authenticated API request has no session and is judged by access_of alone."""
    from allauth.account.authentication import get_authentication_records

    records = get_authentication_records(request, request.user)
    return any(record.get("method") == "mfa" for record in records)


def _day(day: datetime.date | None) -> str:
    """A day as the reader's language writes it ("November 29, 2028", "29 de noviembre")."""
    return date_format(day) if day else ""


def _with_bypass(status: RequirementStatus, bypass: AccessBypass | None) -> RequirementStatus:
    if status.met or bypass is None:
        return status
    return RequirementStatus(
        status.requirement,
        met=True,
        bypassed=True,
        detail=_("Waived by program staff until %(date)s.") % {"date": _day(bypass.ends_on)},
        url="",
        ends_on=bypass.ends_on,
    )


def _identity(user_id: int) -> RequirementStatus:
    attested = IdentityAttestation.objects.filter(user_id=user_id, withdrawn_at__isnull=True)
    if attested.exists():
        return RequirementStatus(
            Requirement.IDENTITY, True, False, _("Confirmed by program staff."), "", None
        )
    return RequirementStatus(
        Requirement.IDENTITY,
        False,
        False,
        _(
            "Program staff confirm who you are on a short video call or in person, with a "
            "photo ID. Ask for it from your access page."
        ),
        reverse("research:access"),
        None,
    )


def _two_factor(user_id: int) -> RequirementStatus:
    if Authenticator.objects.filter(user_id=user_id, type=Authenticator.Type.TOTP).exists():
        return RequirementStatus(
            Requirement.TWO_FACTOR, True, False, _("An authenticator app is set up."), "", None
        )
    return RequirementStatus(
        Requirement.TWO_FACTOR,
        False,
        False,
        _("Set up an authenticator app so that you sign in with a code as well."),
        reverse("mfa_activate_totp"),
        None,
    )


def _training(user_id: int, slug: str, requirement: Requirement) -> RequirementStatus:
    state = training_current(user_id=user_id, course_slug=slug)
    url = reverse("learning:course", kwargs={"slug": slug})
    if state.current:
        ends_on = timezone.localdate(state.expires_at) if state.expires_at else None
        detail = (
            _("Complete; current until %(date)s.") % {"date": _day(ends_on)}
            if ends_on
            else _("Complete.")
        )
        return RequirementStatus(requirement, True, False, detail, url, ends_on)
    detail = (
        _("Your completion has expired: take the course again to renew it.")
        if state.status == "expired"
        else _("Take the course and pass its quiz.")
    )
    return RequirementStatus(requirement, False, False, detail, url, None)


def _conduct(user_id: int) -> RequirementStatus:
    current = conduct_current()
    url = reverse("research:conduct")
    if current is None:
        return RequirementStatus(
            Requirement.CONDUCT,
            False,
            False,
            _("The Data User Code of Conduct has not been published yet."),
            "",
            None,
        )
    if ConductSignature.objects.filter(user_id=user_id, version=current).exists():
        return RequirementStatus(
            Requirement.CONDUCT,
            True,
            False,
            _("You signed version %(version)s.") % {"version": current.version},
            url,
            None,
        )
    signed_before = ConductSignature.objects.filter(user_id=user_id).exists()
    detail = (
        _("A new version (%(version)s) was published: read and sign it.")
        if signed_before
        else _("Read and sign version %(version)s.")
    ) % {"version": current.version}
    return RequirementStatus(Requirement.CONDUCT, False, False, detail, url, None)


def _institution(institution: Institution | None) -> RequirementStatus:
    if institution is not None:
        return RequirementStatus(
            Requirement.INSTITUTION,
            True,
            False,
            _("%(name)s; its agreement is in force until %(date)s.")
            % {"name": institution.name, "date": _day(institution.agreement_expires_on)},
            "",
            institution.agreement_expires_on,
        )
    return RequirementStatus(
        Requirement.INSTITUTION,
        False,
        False,
        _(
            "Add and confirm your email address at an institution with a data-use agreement; "
            "the list of institutions is on your access page."
        ),
        reverse("account_email"),
        None,
    )
