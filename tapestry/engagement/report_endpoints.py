"""JSON API for activity reports: a liaison's client submits a report with its rows.

`POST /api/v1/engagement/reports` takes an API token with the `reports` scope (401 without a
live token, 403 without the scope or for someone who is no organization's liaison). 400 for a
body outside the document or with a row the service refuses (an unknown ZIP code, a day that
is not a calendar day), naming the field; 404 for an organization the caller is not the liaison
of, or an event they do not organize, alike, so the answer never tells whether an id exists.
`GET /reports/{id}` answers with a report the caller may read, else 404.
"""

import datetime
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from ninja import P, PathEx, Router, Status

from tapestry.accounts.api import ApiTokenAuth, ApiTokenScope
from tapestry.engagement import selectors, services
from tapestry.engagement.models import ActivityReport
from tapestry.engagement.report_csv import ReportRow
from tapestry.engagement.report_schemas import (
    ID_MAX,
    ErrorOut,
    MessageOut,
    ReportIn,
    ReportOut,
    ReportRowOut,
)
from tapestry.network.api import organizations_of_liaison

router = Router(tags=["engagement"])

AUTH = ApiTokenAuth(scope=ApiTokenScope.REPORTS)
NOT_FOUND = "No such report in your view."


def _report_out(request: HttpRequest, report: ActivityReport) -> ReportOut:
    rows = list(report.rows.all())
    return ReportOut(
        id=report.pk,
        organization_id=report.organization_id,
        title=report.title,
        activity_type=report.activity_type,
        delivery=report.delivery,
        activity_date=report.activity_date.isoformat(),
        event_id=report.event_id,
        status=report.status,
        region=report.region_code,
        participants=sum(row.participants for row in rows),
        rows=[
            ReportRowOut(participants=row.participants, zip_code=row.zip_code, role=row.role)
            for row in rows
        ],
        url=request.build_absolute_uri(reverse("engagement:report_detail", args=[report.pk])),
    )


@router.post(
    "/",
    response={
        201: ReportOut,
        400: ErrorOut,
        401: MessageOut,
        403: MessageOut,
        404: MessageOut,
    },
    auth=AUTH,
    summary="Submit an activity report with its rows (scope: reports; liaisons)",
)
def report_create(
    request: HttpRequest, body: ReportIn
) -> Status[ReportOut | ErrorOut | MessageOut]:
    """The report is saved with all its rows, or not at all; with `submit` (the default) it goes
    to the engagement specialists of the organization's region for review."""
    user: Any = request.user
    organizations = organizations_of_liaison(user_id=user.pk)
    if not organizations:
        return Status(403, MessageOut(detail="Only a member organization's liaison reports."))
    if body.organization_id not in organizations:
        return Status(404, MessageOut(detail="No such organization among yours."))
    try:
        day = datetime.date.fromisoformat(body.activity_date)
    except ValueError:
        return Status(
            400,
            ErrorOut(detail="Invalid request.", errors={"activity_date": ["Not a calendar day."]}),
        )
    title = body.title.strip()
    if not title:
        return Status(
            400, ErrorOut(detail="Invalid request.", errors={"title": ["Write a title."]})
        )
    rows = [
        ReportRow(participants=row.participants, zip_code=row.zip_code, role=row.role)
        for row in body.rows
    ]
    try:
        report = services.activity_report_save(
            actor=user,
            details={
                "organization_id": body.organization_id,
                "title": title,
                "activity_type": body.activity_type,
                "delivery": body.delivery,
                "activity_date": day,
                "event_id": body.event_id,
            },
            rows=rows,
        )
    except services.ReportNotFound:
        # The organization was checked above, so what is not found is the event.
        return Status(404, MessageOut(detail="No such event among yours."))
    except services.ReportError as refusal:
        return Status(400, ErrorOut(detail="Invalid request.", errors={"rows": [str(refusal)]}))
    if body.submit:
        report = services.activity_report_submit(actor=user, report_id=report.pk)
    return Status(201, _report_out(request, report))


@router.get(
    "/{report_id}",
    response={200: ReportOut, 400: ErrorOut, 401: MessageOut, 403: MessageOut, 404: MessageOut},
    auth=AUTH,
    summary="One activity report you may read (scope: reports)",
)
def report_get(
    request: HttpRequest,
    report_id: PathEx[int, P(ge=1, le=ID_MAX)],  # type: ignore[valid-type]
) -> Status[ReportOut | MessageOut]:
    report = selectors.report_visible_get(user=request.user, report_id=report_id)
    if report is None:
        return Status(404, MessageOut(detail=NOT_FOUND))
    return Status(200, _report_out(request, report))
