"""Reads for the request pages, each scoped to the library asking (the caller checks that the
person acts for it: `permissions.acts_for`)."""

from django.db.models import Count, Q, QuerySet

from tapestry.sharing.models import Lender, LendingPolicy, PatronAgreement, Request

OPEN = (Request.Status.AWAITING_APPROVAL, Request.Status.ROUTING)


def requests_of_borrower(
    *, borrower_id: int, status: str = "", query: str = ""
) -> QuerySet[Request]:
    """A library's own requests, newest first; `status` "open" or a Request.Status value;
    `query` matches the title, the journal, the ISSN/ISBN, the patron reference or "R-000123"."""
    requests = Request.objects.filter(borrower_id=borrower_id).exclude(
        status=Request.Status.AWAITING_APPROVAL
    )
    if status == "open":
        requests = requests.filter(status=Request.Status.ROUTING)
    elif status in Request.Status.values:
        requests = requests.filter(status=status)
    query = query.strip()
    if query:
        reference = query.upper().removeprefix("R-")
        match = (
            Q(title__icontains=query)
            | Q(journal_title__icontains=query)
            | Q(issn__icontains=query)
            | Q(isbn__icontains=query.replace("-", ""))
            | Q(patron_reference__iexact=query)
        )
        if reference.isdigit():
            match |= Q(pk=int(reference))
        requests = requests.filter(match)
    return requests.order_by("-created_at", "-pk")


def request_of_borrower(*, borrower_id: int, request_id: int) -> Request | None:
    return Request.objects.filter(borrower_id=borrower_id, pk=request_id).first()


def lending_queue(*, lender_id: int) -> QuerySet[Lender]:
    """The requests this library is asked to answer now, the soonest due first."""
    return (
        Lender.objects.filter(organization_id=lender_id, status=Lender.Status.ASKED)
        .select_related("request")
        .order_by("due_at", "pk")
    )


def lending_answered(*, lender_id: int) -> QuerySet[Lender]:
    """What this library answered (or let pass), the latest first."""
    return (
        Lender.objects.filter(organization_id=lender_id)
        .exclude(status__in=[Lender.Status.WAITING, Lender.Status.ASKED])
        .select_related("request")
        .order_by("-answered_at", "-asked_at", "-pk")
    )


def request_of_lender(*, lender_id: int, request_id: int) -> Lender | None:
    """This library's turn in a request, if it was ever asked (waiting lenders see nothing)."""
    return (
        Lender.objects.filter(organization_id=lender_id, request_id=request_id)
        .exclude(status=Lender.Status.WAITING)
        .select_related("request")
        .first()
    )


def patron_requests_waiting(*, borrower_id: int) -> QuerySet[Request]:
    return Request.objects.filter(
        borrower_id=borrower_id, status=Request.Status.AWAITING_APPROVAL
    ).order_by("created_at", "pk")


def agreements_of_library(*, organization_id: int) -> QuerySet[PatronAgreement]:
    return (
        PatronAgreement.objects.filter(organization_id=organization_id)
        .select_related("person")
        .order_by("status", "-created_at")
    )


def library_counts(*, organization_ids: list[int]) -> dict[int, dict[str, int]]:
    """For each library: requests it is asked now, its own open requests, patron requests
    waiting for it."""
    counts = {pk: {"asked": 0, "open": 0, "waiting": 0} for pk in organization_ids}
    for organization_id, asked in (
        Lender.objects.filter(organization_id__in=organization_ids, status=Lender.Status.ASKED)
        .values_list("organization_id")
        .annotate(n=Count("pk"))
    ):
        counts[organization_id]["asked"] = asked
    for borrower_id, status, number in (
        Request.objects.filter(borrower_id__in=organization_ids, status__in=OPEN)
        .values_list("borrower_id", "status")
        .annotate(n=Count("pk"))
    ):
        key = "open" if status == Request.Status.ROUTING else "waiting"
        counts[borrower_id][key] = number
    return counts


def requests_of_patron(*, person_id: int) -> QuerySet[Request]:
    return Request.objects.filter(patron_id=person_id).order_by("-created_at", "-pk")


def agreements_of_person(*, person_id: int) -> QuerySet[PatronAgreement]:
    return PatronAgreement.objects.filter(person_id=person_id).order_by("-created_at")


def libraries_taking_patrons() -> list[int]:
    """The libraries that take requests from patrons and unaffiliated health professionals."""
    return list(
        LendingPolicy.objects.filter(accepts_patron_requests=True).values_list(
            "organization_id", flat=True
        )
    )
