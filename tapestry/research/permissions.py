"""Who may see what of the research data. Deny unless a rule here allows.

The Data Browser is public and needs no rule: it shows only protected aggregate counts.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from tapestry.accounts.api import Role, user_has_role
from tapestry.research.access import AccessState, access_of, session_two_factor
from tapestry.research.models import Tier, Workspace

View = Callable[..., HttpResponseBase]


def can_view_diversity_dashboard(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Program staff and administrators follow enrollment and diversity, overall and per
    site, and may export the same figures as CSV. Nobody else may."""
    return user_has_role(user, Role.PROGRAM_STAFF, Role.ADMINISTRATOR)


def can_manage_research_access(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Program staff and administrators confirm identities, grant bypasses, keep the
    institutions' agreements and search the research log."""
    return user_has_role(user, Role.PROGRAM_STAFF, Role.ADMINISTRATOR)


def is_researcher(user: AbstractBaseUser | AnonymousUser) -> bool:
    """People holding the researcher role use the workbench pages (their access page, the
    code of conduct, their workspaces and log); nobody else does."""
    return user_has_role(user, Role.RESEARCHER)


def access_change_log(user: AbstractBaseUser | AnonymousUser, state: AccessState) -> None:
    """Note in the research log a tier that differs from the last one logged (the log shows
    when access ended and returned)."""
    # services imports this module; import it late.
    from tapestry.research.services import access_change_note

    access_change_note(
        user=user, tier=state.tier, missing=[item.requirement.value for item in state.missing()]
    )


def workbench_required(tier: Tier = Tier.REGISTERED) -> Callable[[View], View]:
    """A workbench page: signed in, a session that completed two-factor sign-in, and the
    tier's requirements met now (access.py). Otherwise: sign in; the code; or the access page,
    which lists what is still needed. The view gets `request.research_access`."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            state = access_of(request.user)
            access_change_log(request.user, state)
            if not state.has(tier):
                messages.warning(request, _("You do not have access to this part of the data yet."))
                return redirect("research:access")
            if not session_two_factor(request):
                query = urlencode({"next": request.get_full_path()})
                return HttpResponseRedirect(f"{reverse('mfa_reauthenticate')}?{query}")
            request.research_access = state  # type: ignore[attr-defined]
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def workspace_for(user: AbstractBaseUser, public_id: Any, *, write: bool = False) -> Workspace:
    """The workspace with that public id of which the person is the owner or a member (an
    archived one only to read); Http404 otherwise, the same for a missing one as for another
    researcher's, so ids reveal nothing."""
    workspaces = Workspace.objects.filter(Q(owner_id=user.pk) | Q(members__id=user.pk))
    if write:
        workspaces = workspaces.filter(archived_at__isnull=True)
    try:
        return workspaces.distinct().get(public_id=public_id)
    except (Workspace.DoesNotExist, ValidationError, ValueError):
        raise Http404 from None
