"""The named people the demo and the tests share (see README: Personas)."""

from dataclasses import dataclass

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP

from tapestry.accounts.api import role_grant
from tapestry.accounts.models import User
from tapestry.accounts.roles import Role

# A shared authenticator secret for the demo's staff personas only (base32). Add it to an
# authenticator app, or run `python manage.py totp_code <email>` for the current code.
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # noqa: S105 - demo only


@dataclass(frozen=True)
class Persona:
    email: str
    full_name: str
    roles: tuple[Role, ...]
    preferred_language: str = "en"
    is_staff: bool = False

    @property
    def needs_two_factor(self) -> bool:
        from django.conf import settings

        return self.is_staff or any(
            r.value in settings.TWO_FACTOR_REQUIRED_ROLES for r in self.roles
        )


PERSONAS = [
    Persona("liaison@tapestry.example", "Lucía Ramírez", (Role.LIAISON,)),
    Persona("specialist@tapestry.example", "Samuel Okafor", (Role.ENGAGEMENT_SPECIALIST,)),
    Persona("reviewer@tapestry.example", "Priya Natarajan", (Role.REVIEWER,)),
    Persona("programstaff@tapestry.example", "Dana Whitfield", (Role.PROGRAM_STAFF,)),
    Persona("researcher@tapestry.example", "Wei Chen", (Role.RESEARCHER,)),
    Persona("researcher2@tapestry.example", "Lucía Fernández", (Role.RESEARCHER,), "es"),
    Persona("provider@tapestry.example", "Dr. Aisha Bello", (Role.HEALTH_CARE_PROVIDER,)),
    Persona("partner@tapestry.example", "Rosa Delgado", (Role.COMMUNITY_PARTNER,), "es"),
    Persona("consortium@tapestry.example", "Tom Becker", (Role.CONSORTIUM_STAFF,)),
    Persona("admin@tapestry.example", "Alex Morgan", (Role.ADMINISTRATOR,), is_staff=True),
]


def persona_ensure(persona: Persona, *, password: str) -> User:
    """Create or refresh a persona: verified email, roles, password and, for staff, TOTP."""
    user, _created = User.objects.update_or_create(
        email=persona.email,
        defaults={
            "full_name": persona.full_name,
            "preferred_language": persona.preferred_language,
            "is_staff": persona.is_staff,
            "is_superuser": persona.is_staff,
        },
    )
    user.set_password(password)
    user.save(update_fields=["password"])
    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    role_grant(user_id=user.pk, roles=persona.roles)
    if (
        persona.needs_two_factor
        and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    ):
        TOTP.activate(user, DEMO_TOTP_SECRET)
    return user
