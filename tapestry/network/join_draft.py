"""What a visitor typed into the join form, kept in their session while they get an account.

A visitor may fill in the form before they have an account. Rather than lose it on the way
through sign-up, email confirmation and sign-in, the form's raw values wait in the session
(server-side; Django keeps a session's data when the person signs in) and fill the form again
when they come back. Nothing is validated or stored in the database until they send it.
"""

from django.http import HttpRequest, QueryDict

from tapestry.network.forms import OrganizationDetailsForm
from tapestry.network.models import Audience, Service

SESSION_KEY = "network:join-draft"
# Generous for any real value, small enough that a session cannot be filled with junk.
_MAX_VALUE_LENGTH = 300

Draft = dict[str, str | list[str]]


def _service_field_names() -> list[str]:
    return [f"service_{service.value}" for service in Service]


def join_draft_save(request: HttpRequest, *, data: QueryDict) -> None:
    """Keep the join form's values from `data` (a POST) in the session, replacing any draft."""
    draft: Draft = {
        name: data.get(name, "")[:_MAX_VALUE_LENGTH]
        for name in OrganizationDetailsForm.detail_fields
    }
    for name in _service_field_names():
        draft[name] = [value for value in data.getlist(name) if value in Audience.values]
    request.session[SESSION_KEY] = draft


def join_draft(request: HttpRequest) -> Draft | None:
    """The kept draft, as initial values for the join form, or None."""
    draft = request.session.get(SESSION_KEY)
    return draft if isinstance(draft, dict) else None


def join_draft_forget(request: HttpRequest) -> None:
    """Drop the draft once the application is sent."""
    request.session.pop(SESSION_KEY, None)
