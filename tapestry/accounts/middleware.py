from collections.abc import Callable
from urllib.parse import urlencode

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from tapestry.accounts.api import Role, user_has_role

# Paths a person must still reach while setting up or completing their second factor.
_ALLOWED_PREFIXES = ("/accounts/", "/i18n/", "/static/", "/healthz", "/api/")


class RequireStaffTwoFactorMiddleware:
    """Staff roles act only in a session that completed two-factor sign-in (TOTP).

    Having an authenticator is not enough: a session signed in with a password alone (Django's
    own admin form, `client.login`, anything that bypassed allauth) would otherwise reach every
    staff page. allauth records each authentication method a session completed; this session
    must have recorded "mfa".
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self.roles = [Role(name) for name in settings.TWO_FACTOR_REQUIRED_ROLES]

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        user = request.user
        if (
            not user.is_authenticated
            or request.path.startswith(_ALLOWED_PREFIXES)
            or not (user.is_staff or user_has_role(user, *self.roles))
        ):
            return self.get_response(request)
        if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
            messages.warning(
                request,
                _("Your role requires two-factor sign-in. Set up an authenticator app to go on."),
            )
            return redirect("mfa_activate_totp")
        records = get_authentication_records(request, user)
        if any(record.get("method") == "mfa" for record in records):
            return self.get_response(request)
        next_query = urlencode({"next": request.get_full_path()})
        if not records:
            # Signed in outside allauth's sign-in (no record of how): start again properly.
            logout(request)
            messages.info(
                request,
                _("Staff pages need two-factor sign-in. Please sign in again with your code."),
            )
            return HttpResponseRedirect(f"{reverse('account_login')}?{next_query}")
        # Signed in with a password in this session but without the code yet (for example just
        # after setting up the authenticator): ask for the code.
        return HttpResponseRedirect(f"{reverse('mfa_reauthenticate')}?{next_query}")
