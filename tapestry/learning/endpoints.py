"""JSON API for learning: a person's standing on the training their roles require.

`GET /api/v1/learning/compliance?user=<id>` takes an API token with the `read` scope (401
without a live token, 403 without the scope). It answers for the token's owner themself, or for
someone in the owner's staff scope (`reports.scope_of`: program staff and administrators
everyone, liaisons their organizations' learners, engagement specialists their regions'); for
anyone else, and for an id that names nobody, 404 alike, so the answer never tells whether an
id exists. A missing or malformed `user`, or a parameter other than `user`, is 400 naming
the parameter.
"""

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from tapestry.accounts.api import ApiTokenAuth, ApiTokenScope, person_get
from tapestry.core.schemas import ErrorOut, MessageOut
from tapestry.learning import api as learning_api
from tapestry.learning import reports
from tapestry.learning.api_schemas import ComplianceOut, ComplianceQuery, RequirementStateOut

router = Router(tags=["learning"])

AUTH = ApiTokenAuth(scope=ApiTokenScope.READ)
NOT_FOUND = "No such person in your view."


def may_see(viewer: Any, *, user_id: int) -> bool:
    """The viewer themself, or staff whose scope covers the person."""
    if viewer.pk == user_id:
        return True
    return reports.is_staff(viewer) and reports.in_scope(reports.scope_of(viewer), user_id=user_id)


@router.get(
    "/compliance",
    response={200: ComplianceOut, 400: ErrorOut, 401: MessageOut, 403: MessageOut, 404: MessageOut},
    auth=AUTH,
    summary="A person's training requirements and status (scope: read)",
)
def compliance(request: HttpRequest, query: Query[ComplianceQuery]) -> Status[Any]:
    """Every requirement of every role the person holds, by role then course title, with its
    status, when the completion that counts expires, the due date and whether a bypass meets
    it."""
    unknown = sorted(set(request.GET) - {"user"})
    if unknown:
        # A parameter this document does not name is refused, not ignored: a misspelt filter
        # must not answer as if it were applied.
        return Status(
            400,
            ErrorOut(
                detail="Invalid request.",
                errors={name: ["Unknown parameter."] for name in unknown},
            ),
        )
    user_id = query.user
    if not may_see(request.user, user_id=user_id) or person_get(user_id=user_id) is None:
        return Status(404, MessageOut(detail=NOT_FOUND))
    return Status(
        200,
        ComplianceOut(
            user=user_id,
            requirements=[
                RequirementStateOut(
                    role=state.role,
                    course_slug=state.course_slug,
                    course_title=state.course_title,
                    status=state.status,
                    expires_at=state.expires_at,
                    due_on=state.due_on,
                    bypassed=state.bypassed,
                )
                for state in learning_api.compliance_status(user_id=user_id)
            ],
        ),
    )
