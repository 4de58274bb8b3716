"""Factories for people. The network's factories build on these."""

import time
from typing import Any, cast

import factory
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    hotp_value,
    yield_hotp_counters_from_time,
)
from factory.django import DjangoModelFactory, Password

from tapestry.accounts.api import role_grant
from tapestry.accounts.models import User

# Every person the factories make signs in with this password.
PASSWORD = "correct-horse-battery-staple"
# The authenticator secret of every person made with `two_factor=True` (base32).
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


class UserFactory(DjangoModelFactory[User]):
    """A person with a verified email address; pass `roles=[...]` and `two_factor=True`."""

    class Meta:
        model = User
        django_get_or_create = ["email"]
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    full_name = factory.Sequence(lambda n: f"Person {n}")
    preferred_language = "en"
    password = Password(PASSWORD)

    @factory.post_generation
    def verified_email(self, create: Any, extracted: Any, **kwargs: Any) -> None:
        # allauth lets a person sign in only once their address is verified.
        if create and extracted is not False:
            EmailAddressFactory.create(user=self, email=self.email)

    @factory.post_generation
    def roles(self, create: Any, extracted: Any, **kwargs: Any) -> None:
        if create and extracted:
            role_grant(user_id=cast(User, self).pk, roles=extracted)

    @factory.post_generation
    def two_factor(self, create: Any, extracted: Any, **kwargs: Any) -> None:
        if create and extracted:
            TOTP.activate(self, TOTP_SECRET)


class EmailAddressFactory(DjangoModelFactory[EmailAddress]):
    class Meta:
        model = EmailAddress

    user = factory.SubFactory(UserFactory, verified_email=False)
    email = factory.LazyAttribute(lambda address: address.user.email)
    verified = True
    primary = True


def totp_code_now() -> str:
    """The authenticator's current code for TOTP_SECRET, as a person's app would show it.
    Near the end of a 30-second window it waits for the next one, as a person would, so that
    the code is still current when the server checks it."""
    period = 30
    if time.time() % period > period - 2:
        time.sleep(period - time.time() % period + 0.05)
    counter = next(iter(yield_hotp_counters_from_time()))
    return format_hotp_value(hotp_value(TOTP_SECRET, counter))


def api_token_make(*, user: User, scopes: list[str]) -> str:
    """A live API token of `user` with these scopes; returns the raw `tap_…` value to send.
    (Other apps' API tests use it: they may import this module, not accounts.services.)"""
    from tapestry.accounts.services import api_token_create

    _token, raw = api_token_create(user=user, name="test token", scopes=scopes)
    return raw
