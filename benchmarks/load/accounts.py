"""The load test's own accounts, made once in the load test's database (never in a real one).

One account per simulated person who signs in, so that no two of them share a second-factor
code (allauth refuses a code already used by the same account) or a library's reports:
liaisons (each the liaison of one member organization), engagement specialists (covering
every region) and program staff (both with the demo's authenticator secret). Researchers share
the demo's researcher, whose access took the whole workbench demo to set up.

Run by benchmarks/load_test.py through `manage.py shell`; safe to run again (only the missing
accounts are made, since hashing a password is deliberately slow).
"""

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP

from tapestry.accounts.api import Role, role_grant
from tapestry.accounts.models import User
from tapestry.accounts.personas import DEMO_TOTP_SECRET
from tapestry.network.models import Organization, Region, RegionSpecialist

PASSWORD = "tapestry-load-2026"  # noqa: S105 - load test accounts only
DOMAIN = "load.tapestry.example"
# How many accounts of each kind, for up to about 200 simulated people (see locustfile.py).
SHARES = {"liaison": 0.35, "specialist": 0.1, "staff": 0.12}


def email(kind: str, number: int) -> str:
    return f"load-{kind}-{number:03d}@{DOMAIN}"


def _account(address: str, name: str, roles: tuple[Role, ...], *, totp: bool) -> User:
    user = User.objects.filter(email=address).first()
    if user is None:
        user = User.objects.create(email=address, full_name=name, preferred_language="en")
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
        EmailAddress.objects.create(user=user, email=address, verified=True, primary=True)
    role_grant(user_id=user.pk, roles=roles)
    if totp and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, DEMO_TOTP_SECRET)
    return user


def ensure(users: int) -> None:
    """Accounts for `users` simulated people (at least a few of each kind)."""
    counts = {kind: max(5, round(users * share)) for kind, share in SHARES.items()}
    free = Organization.objects.filter(liaison__isnull=True).order_by("pk").iterator()
    for number in range(1, counts["liaison"] + 1):
        user = _account(
            email("liaison", number), f"Load Liaison {number}", (Role.LIAISON,), totp=False
        )
        if not Organization.objects.filter(liaison=user).exists():
            organization = next(free)
            organization.liaison = user
            organization.save(update_fields=["liaison"])
    regions = list(Region.objects.all())
    for number in range(1, counts["specialist"] + 1):
        user = _account(
            email("specialist", number),
            f"Load Specialist {number}",
            (Role.ENGAGEMENT_SPECIALIST,),
            totp=True,
        )
        for region in regions:
            RegionSpecialist.objects.get_or_create(user=user, region=region)
    for number in range(1, counts["staff"] + 1):
        _account(email("staff", number), f"Load Staff {number}", (Role.PROGRAM_STAFF,), totp=True)
    print(f"load accounts: {counts}")
