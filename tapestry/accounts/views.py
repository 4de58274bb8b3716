from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tapestry.accounts.api import AuthenticatedRequest
from tapestry.accounts.dashboard import dashboard_panels
from tapestry.accounts.forms import ApiTokenForm, ProfileForm
from tapestry.accounts.roles import Role
from tapestry.accounts.services import api_token_create, api_token_revoke, user_update_profile


@login_required
@require_GET
def dashboard(request: AuthenticatedRequest) -> HttpResponse:
    role_names = set(request.user.groups.values_list("name", flat=True))
    roles = [role for role in Role if role.value in role_names]
    return render(
        request,
        "accounts/dashboard.html",
        {
            "roles": roles,
            "role_values": {role.value for role in roles},
            # What other apps have to say to this person (e.g. an annual review falling due).
            "panels": dashboard_panels(user=request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: AuthenticatedRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "accounts/profile.html", {"form": form}, status=400)
        user = user_update_profile(
            user=request.user,
            full_name=form.cleaned_data["full_name"],
            preferred_language=form.cleaned_data["preferred_language"],
        )
        response = redirect("accounts:profile")
        # Switch the interface now, as the language switcher would.
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, user.preferred_language, samesite="Lax")
        messages.success(request, _("Your profile was saved."))
        return response
    return render(request, "accounts/profile.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def api_tokens(request: AuthenticatedRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST or None)
    new_token = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            _token, new_token = api_token_create(
                user=request.user,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                expires_in_days=form.cleaned_data["expires_in_days"],
            )
            form = ApiTokenForm()
        else:
            status = 400
    tokens = request.user.api_tokens.filter(revoked_at__isnull=True)
    return render(
        request,
        "accounts/api_tokens.html",
        {"form": form, "tokens": tokens, "new_token": new_token, "now": timezone.now()},
        status=status,
    )


@login_required
@require_POST
def api_token_revoke_view(request: AuthenticatedRequest, token_id: int) -> HttpResponse:
    if api_token_revoke(user=request.user, token_id=token_id):
        messages.success(request, _("The token was revoked."))
    else:
        messages.error(request, _("That token does not exist or was already revoked."))
    return redirect("accounts:api_tokens")
