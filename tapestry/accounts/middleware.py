from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from tapestry.accounts.api import Role, user_has_role

# Paths a person must still reach while setting up their second factor.
_ALLOWED_PREFIXES = ("/accounts/", "/i18n/", "/static/", "/healthz", "/api/")


class RequireStaffTwoFactorMiddleware:
    """Staff roles act only after turning on two-factor sign-in (TOTP)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.roles = [Role(name) for name in settings.TWO_FACTOR_REQUIRED_ROLES]

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and not request.path.startswith(_ALLOWED_PREFIXES)
            and (user.is_staff or user_has_role(user, *self.roles))
            and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
        ):
            messages.warning(
                request,
                _("Your role requires two-factor sign-in. Set up an authenticator app to go on."),
            )
            return redirect("mfa_activate_totp")
        return self.get_response(request)
