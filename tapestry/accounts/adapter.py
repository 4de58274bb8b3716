import hashlib
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.internal import ratelimit
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from tapestry.accounts.models import User
from tapestry.core.api import email_render, email_send_rendered, site_info

_KNOWN_DEVICE_SALT = "tapestry.accounts.known-device"


def _account_digest(login: str) -> str:
    return hashlib.sha256(login.strip().lower().encode()).hexdigest()


class AccountAdapter(DefaultAccountAdapter):
    """allauth, the Tapestry way: mail through the worker in the recipient's language, failed
    sign-ins throttled per address and per account from that address, banners in the person's
    language."""

    # Email ------------------------------------------------------------------------------------

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        recipient = User.objects.filter(email__iexact=email, is_active=True).first()
        language = recipient.preferred_language if recipient else translation.get_language()
        context = {
            "email": email,
            # allauth's templates greet with the site's name and domain.
            "current_site": site_info(),
            "recipient_name": recipient.get_full_name() if recipient else "",
            **context,
        }
        with translation.override(language):
            subject = self.format_email_subject(
                email_render(f"{template_prefix}_subject.txt", context, one_line=True)
            )
            body = email_render(f"{template_prefix}_message.txt", context)
        email_send_rendered(to=[email], subject=subject, body=body)

    # Throttling -------------------------------------------------------------------------------

    def _get_login_attempts_cache_key(self, request: HttpRequest, **credentials: Any) -> str:
        # allauth keys failed sign-ins by account alone, so anyone could lock anyone out. The
        # account *and* the client's address: an attacker elsewhere fills only their own
        # counter (docs/adr/0012-sign-in-throttling.md). Password reset clears this key too.
        login = str(credentials.get("email", credentials.get("username", ""))).lower()
        return f"{login}|{self.get_client_ip(request)}"

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        """Refuse the attempt if the address, or the account from this address, or the account
        from browsers it has never signed in from, has failed too often lately."""
        login = str(credentials.get("email", credentials.get("username", ""))).lower()
        per_address = ratelimit.consume(
            request,
            app="allauth.account",
            action="login_failed",
            key=self._get_login_attempts_cache_key(request, **credentials),
        )
        if not per_address:
            raise self.validation_error("too_many_login_attempts")
        usage = per_address
        if not self._is_known_device(request, login):
            per_account = ratelimit.consume(
                request, app="allauth.account", action="login_failed_account", key=login
            )
            if not per_account:
                per_address.rollback()
                raise self.validation_error("too_many_login_attempts")
            usage = ratelimit.RateLimitUsage(usage=[*per_address.usage, *per_account.usage])
        # allauth rolls this back when the password is right: only failures count.
        self._login_failed_rl_usage = usage

    def _is_known_device(self, request: HttpRequest, login: str) -> bool:
        value = request.COOKIES.get(settings.KNOWN_DEVICE_COOKIE, "")
        try:
            digest = signing.loads(
                value, salt=_KNOWN_DEVICE_SALT, max_age=settings.KNOWN_DEVICE_MAX_AGE_SECONDS
            )
        except signing.BadSignature:
            return False
        return bool(digest == _account_digest(login))

    def post_login(
        self,
        request: HttpRequest,
        user: AbstractBaseUser,
        *,
        email_verification: str,
        signal_kwargs: dict[str, Any] | None,
        email: str | None,
        signup: bool,
        redirect_url: str | None,
    ) -> HttpResponse:
        response = super().post_login(
            request,
            user,
            email_verification=email_verification,
            signal_kwargs=signal_kwargs,
            email=email,
            signup=signup,
            redirect_url=redirect_url,
        )
        # Remember this browser for this account, so guesses at the account from elsewhere
        # never lock its owner out of a browser they have used before.
        response.set_cookie(
            settings.KNOWN_DEVICE_COOKIE,
            signing.dumps(_account_digest(getattr(user, "email", "")), salt=_KNOWN_DEVICE_SALT),
            max_age=settings.KNOWN_DEVICE_MAX_AGE_SECONDS,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
        return response

    # Banners ----------------------------------------------------------------------------------

    def add_message(
        self,
        request: HttpRequest,
        level: int,
        message_template: str | None = None,
        message_context: dict[str, Any] | None = None,
        extra_tags: str = "",
        message: str | None = None,
    ) -> None:
        # "Successfully signed in as…" is rendered during the sign-in request, which still
        # speaks the browser's language; the next page speaks the person's.
        with translation.override(_page_language(request)):
            super().add_message(
                request,
                level,
                message_template=message_template,
                message_context=message_context,
                extra_tags=extra_tags,
                message=message,
            )


def _page_language(request: HttpRequest) -> str:
    """The language the next page will be in (see core.middleware.PreferredLanguageMiddleware):
    the switcher's choice, else the signed-in person's preference, else this request's."""
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    if chosen and translation.check_for_language(chosen):
        return chosen
    preferred = getattr(request.user, "preferred_language", "")
    if preferred and translation.check_for_language(preferred):
        return str(preferred)
    return translation.get_language()


def user_display(user: AbstractBaseUser) -> str:
    """How allauth names a person ("Signed in as …"): their whole name, else their address."""
    full_name = getattr(user, "full_name", "")
    return str(full_name or getattr(user, "email", ""))
