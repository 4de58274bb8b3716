"""Resource sharing's demo data (`manage.py sharing_seed_demo`, part of `make demo`, after
the network's seed_demo), from `data/demo.toml`.

- Holdings of real journals (real ISSNs, each checked) and a book, drawn from a few shapes
  (print runs with gaps, electronic access the licence lends or keeps in house), and a lending
  policy for the resource, hospital and academic libraries of every region (fees $0 to $15,
  two or three business days to answer); one lender closes for the winter holidays, one has
  paused lending.
- The liaison persona's public library (Lucía's) borrows, asks three lenders of its region
  first, and takes patrons' requests: the Spanish-speaking persona (Rosa) has an approved
  agreement, with a request waiting for approval, one declined and one filled; the health
  professional persona's agreement waits for the library.
- About a hundred requests over the last six months in every state of their life: with a
  lender now, filled by PDF or by mail, not filled and passed on, timed out, unfilled at the
  end of the sequence (or at once, nobody holding the year), cancelled; a book by ISBN; and
  the sixth article of the year from one journal, under CCL.

Every request goes through the services, as each library's liaison would do it, at today's
date; the request's moments (asked, answered, filled, its charge's month) are then moved back
along a believable timeline with queryset updates, so that the pages show months of history.
The holdings and policies are written directly (the demo's shapes, in bulk). The network's
demo members have a liaison's name and address but no account: each library the demo uses
gets one (`network.api.organization_liaison_link`, for the person holding that address), so
every request is made and answered by the library's own liaison; the liaison of a library asked
now for one of Lucía's requests gets the demo password, to sign in and answer it.

Safe to run again: it does nothing once the liaison persona's library has made requests.
"""

import datetime
import random
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from tapestry.accounts.api import Persona, Role, persona_ensure
from tapestry.network.api import (
    OrganizationRef,
    organization_liaison,
    organization_liaison_account_ensure,
    organizations_get,
    organizations_in_regions,
    organizations_of_liaison,
    regions,
)
from tapestry.sharing import services
from tapestry.sharing.business_days import Closed, answer_due, network_zone
from tapestry.sharing.identifiers import isbn_normalize, issn_normalize
from tapestry.sharing.models import (
    Charge,
    Closure,
    CopyrightCompliance,
    Delivery,
    Holding,
    HoldingFormat,
    HoldingRange,
    Lender,
    LendingPolicy,
    PatronAgreement,
    PreferredLender,
    Request,
    RequestEvent,
    Urgency,
)

DEMO_FILE = Path(__file__).resolve().parent / "data" / "demo.toml"
LENDER_TYPES = ("resource_library", "hospital_library", "academic_library")
OUTCOMES = (
    "fill_pdf",
    "fill_mail",
    "not_fill_then_fill",
    "timeout_then_fill",
    "unfilled",
    "cancel",
)
NOT_FILLED_REASONS = [
    Lender.Reason.IN_USE,
    Lender.Reason.NOT_ON_SHELF,
    Lender.Reason.LICENCE,
    Lender.Reason.NOT_BY_DATE,
]


def demo_spec(path: Path = DEMO_FILE) -> dict[str, Any]:
    """The demo's data, its ISSNs and ISBNs checked (ValidationError on a wrong one)."""
    with path.open("rb") as file:
        spec = tomllib.load(file)
    for journal in spec["journals"]:
        if issn_normalize(journal["issn"]) != journal["issn"]:
            raise ValueError(f"{journal['title']}: write the ISSN as 1234-567X")
    for book in spec["books"]:
        if isbn_normalize(book["isbn"]) != book["isbn"]:
            raise ValueError(f"{book['title']}: write the ISBN as 13 digits")
    titles = {journal["issn"]: journal["title"] for journal in spec["journals"]}
    for article in spec["articles"]:
        if article["issn"] not in titles:
            raise ValueError(f"{article['title']}: its journal is not among the journals")
    return spec


def demo_pdf(title: str) -> bytes:
    """A small, valid one-page PDF standing for a scanned article."""
    text = title.encode("ascii", "replace").decode()[:80]
    text = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    stream = (
        "BT /F1 14 Tf 72 720 Td (Resource sharing demo: a scanned article) Tj "
        f"0 -24 Td /F1 11 Tf ({text}) Tj ET"
    ).encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    pdf = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(pdf))
        pdf += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(pdf)
    pdf += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        pdf += b"%010d 00000 n \n" % offset
    pdf += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(pdf)


def _liaisons_give(library_ids: set[int]) -> dict[int, Any]:
    """Each library's liaison account (given one from its record where it has none), by id."""
    user_model = get_user_model()
    accounts = {}
    for library_id in sorted(library_ids):
        user_id = organization_liaison_account_ensure(organization_id=library_id)
        if user_id is not None:
            accounts[library_id] = user_model.objects.get(pk=user_id)
    return accounts


@dataclass
class Cast:
    """The demo's libraries and people."""

    lenders: list[OrganizationRef]
    public_library: int
    borrowers: list[int]
    lucia: Any
    liaisons: dict[int, Any]
    patron: Any
    professional: Any
    by_id: dict[int, OrganizationRef] = field(default_factory=dict)

    @property
    def lender_ids(self) -> set[int]:
        return {lender.id for lender in self.lenders}

    def actor_for(self, organization_id: int) -> Any:
        return (
            self.lucia if organization_id == self.public_library else self.liaisons[organization_id]
        )


def _cast(spec: dict[str, Any], people: dict[str, Any]) -> Cast | None:
    lucia = people["liaison@tapestry.example"]
    own = organizations_of_liaison(user_id=lucia.pk)
    if not own:
        return None
    public_library = sorted(own)[0]
    ids = organizations_in_regions(region_codes=[region.code for region in regions()])
    members = organizations_get(organization_ids=[*ids, public_library])
    # Libraries that already keep holdings or a policy are theirs to keep, and those with a
    # liaison account act for themselves: the demo lends and borrows through the others.
    taken = set(LendingPolicy.objects.values_list("organization_id", flat=True)) | set(
        Holding.objects.values_list("organization_id", flat=True)
    )
    by_type: dict[tuple[str, str], list[OrganizationRef]] = {}
    for organization in sorted(members.values(), key=lambda item: item.id):
        if organization.id in taken or organization_liaison(organization_id=organization.id):
            continue
        by_type.setdefault((organization.region_code, organization.org_type), []).append(
            organization
        )
    lenders = [
        organization
        for region in sorted({code for code, _type in by_type})
        for org_type in LENDER_TYPES
        for organization in by_type.get((region, org_type), [])[
            : spec["lenders_per_region"][org_type]
        ]
    ]
    other_public = [
        organization.id
        for (_region, org_type), organizations in sorted(by_type.items())
        if org_type == "public_library"
        for organization in organizations[:1]
    ][: spec["other_public_borrowers"]]
    hospitals = [
        organization.id for organization in lenders if organization.org_type == "hospital_library"
    ][: spec["hospital_borrowers"]]
    if len(lenders) < 3:
        return None
    borrowers = [public_library, *other_public, *hospitals]
    liaisons = _liaisons_give({*(lender.id for lender in lenders), *borrowers[1:]})
    return Cast(
        lenders=lenders,
        public_library=public_library,
        borrowers=borrowers,
        lucia=lucia,
        liaisons=liaisons,
        patron=people[spec["patrons"]["patron_email"]],
        professional=people[spec["patrons"]["health_professional_email"]],
        by_id=members,
    )


# --- Holdings, policies, closures, preferred lenders ---


def _holdings_seed(spec: dict[str, Any], cast: Cast, rng: random.Random) -> int:
    holdings = 0
    ranges: list[HoldingRange] = []
    for index, lender in enumerate(cast.lenders):
        for journal in spec["journals"]:
            # Every lender holds the two most common journals; the rest by their share.
            if index % 4 and rng.random() > journal["share"]:
                continue
            pattern = spec["patterns"][rng.randrange(len(spec["patterns"]))]
            for holding_format, runs, licence in (
                (HoldingFormat.PRINT, pattern.get("print", []), False),
                (
                    HoldingFormat.ELECTRONIC,
                    [pattern["electronic"]] if "electronic" in pattern else [],
                    pattern.get("licence_allows_lending", False),
                ),
            ):
                runs = [
                    (max(start, journal["first_year"]), end)
                    for start, end in runs
                    if end == 0 or end >= journal["first_year"]
                ]
                if not runs:
                    continue
                holding = Holding.objects.create(
                    organization_id=lender.id,
                    kind=Holding.Kind.SERIAL,
                    title=journal["title"],
                    issn=journal["issn"],
                    holding_format=holding_format,
                    licence_allows_lending=licence,
                )
                holdings += 1
                ranges += [
                    HoldingRange(
                        holding=holding,
                        organization_id=lender.id,
                        issn=journal["issn"],
                        lendable=holding.lendable,
                        year_from=start,
                        year_to=end or None,
                    )
                    for start, end in runs
                ]
        for book in spec["books"]:
            if index % 3 == 0 or rng.random() < book["share"]:
                Holding.objects.create(
                    organization_id=lender.id,
                    kind=Holding.Kind.BOOK,
                    title=book["title"],
                    isbn=book["isbn"],
                )
                holdings += 1
    HoldingRange.objects.bulk_create(ranges)
    return holdings


def _policies_seed(spec: dict[str, Any], cast: Cast, today: datetime.date) -> None:
    templates = spec["policies"]
    LendingPolicy.objects.bulk_create(
        LendingPolicy(organization_id=lender.id, lends=True, **templates[index % len(templates)])
        for index, lender in enumerate(cast.lenders)
    )
    # The public library lends nothing but takes its patrons' requests (a policy it already
    # has is kept, and made to take them).
    LendingPolicy.objects.get_or_create(
        organization_id=cast.public_library,
        defaults={"lends": False, "accepts_patron_requests": True},
    )
    LendingPolicy.objects.filter(organization_id=cast.public_library).update(
        accepts_patron_requests=True
    )
    closures = spec["closures"]
    holiday_year = today.year if today >= datetime.date(today.year, 1, 2) else today.year - 1
    Closure.objects.create(
        organization_id=cast.lenders[closures["holiday_lender"]].id,
        starts_on=datetime.date(holiday_year, 12, 24),
        ends_on=datetime.date(holiday_year + 1, 1, 1),
        reason=closures["holiday_reason"],
    )
    Closure.objects.create(
        organization_id=cast.lenders[closures["paused_lender"]].id,
        starts_on=today - datetime.timedelta(days=7),
        ends_on=None,
        reason=closures["paused_reason"],
    )
    region = cast.by_id[cast.public_library].region_code
    nearby = [lender.id for lender in cast.lenders if lender.region_code == region]
    others = [lender.id for lender in cast.lenders if lender.id not in nearby]
    PreferredLender.objects.bulk_create(
        PreferredLender(borrower_id=cast.public_library, lender_id=lender_id, position=position)
        for position, lender_id in enumerate((nearby + others)[:3], start=1)
    )


# --- Requests through the services ---


@dataclass
class Story:
    """A request made by the demo, and where its timeline starts."""

    request_id: int
    start: datetime.datetime


def _upload(title: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("article.pdf", demo_pdf(title), content_type="application/pdf")


def _citation(article: dict[str, Any], titles: dict[str, str]) -> dict[str, Any]:
    return {
        "journal_title": titles[article["issn"]],
        "issn": article["issn"],
        "year": article["year"],
        "volume": article.get("volume", ""),
        "issue": article.get("issue", ""),
        "pages": article.get("pages", ""),
        "title": article["title"],
        "authors": article.get("authors", ""),
        "pmid": article.get("pmid"),
    }


def _ask(cast: Cast, borrower_id: int, citation: dict[str, Any], **extra: Any) -> Request:
    """Enter a request; on the rule of five's warning, state CCL as a subscribing library
    would."""
    actor = cast.actor_for(borrower_id)
    fields = {
        "actor": actor,
        "borrower_id": borrower_id,
        "needed_by": services.network_today() + datetime.timedelta(days=21),
        "max_cost_cents": 1500,
        "compliance": CopyrightCompliance.GUIDELINES,
        "patron_reference": f"P-{random.Random(citation['title']).randint(1000, 9999)}",
        **citation,
        **extra,
    }
    try:
        return services.request_create(**fields)
    except services.RuleOfFive:
        return services.request_create(**{**fields, "compliance": CopyrightCompliance.LAW})


def _asked(request: Request) -> Lender | None:
    return request.lenders.filter(status=Lender.Status.ASKED).first()


def _time_out(request: Request) -> None:
    """Let the asked lender's time pass: its due moment is put a minute back, and the hourly
    job's service runs (it moves only lenders whose time has passed)."""
    now = timezone.now()
    request.lenders.filter(status=Lender.Status.ASKED).update(
        due_at=now - datetime.timedelta(minutes=1)
    )
    services.lenders_overdue_advance(now=now)


def _fill(
    cast: Cast, request: Request, *, mail: bool, rng: random.Random, opened: bool = True
) -> None:
    lender = _asked(request)
    if lender is None:
        return
    by_mail = mail or request.kind == Request.Kind.BOOK
    services.request_fill(
        actor=cast.actor_for(lender.organization_id),
        lender_id=lender.organization_id,
        request_id=request.pk,
        method=Delivery.Method.MAIL if by_mail else Delivery.Method.ELECTRONIC,
        upload=None if by_mail else _upload(request.title),
    )
    if not by_mail and opened and rng.random() < 0.8:
        services.delivery_open(actor=cast.actor_for(request.borrower_id), request_id=request.pk)


def _not_fill(cast: Cast, request: Request, rng: random.Random) -> None:
    lender = _asked(request)
    if lender is not None:
        services.request_not_fill(
            actor=cast.actor_for(lender.organization_id),
            lender_id=lender.organization_id,
            request_id=request.pk,
            reason=rng.choice(NOT_FILLED_REASONS),
        )


PLAYS = {
    "leave": [],
    "fill_pdf": ["fill_pdf"],
    "fill_mail": ["fill_mail"],
    "fill_pdf_unopened": ["fill_pdf_unopened"],
    "not_fill_then_fill": ["not_fill", "fill_pdf"],
    "timeout_then_fill": ["time_out", "fill_pdf"],
    "timeout_then_asked": ["time_out"],
    "unfilled": ["not_fill", "time_out", *["not_fill"] * (settings.SHARING_MAX_LENDERS - 2)],
    "cancel": ["cancel"],
}


def _play(cast: Cast, request: Request, outcome: str, rng: random.Random) -> None:
    """Take a routed request to its outcome, lender by lender. A request that reaches a
    library outside the demo (one with its own policy) is withdrawn at once: no library
    outside the demo keeps a demo request in its queue or a timeout against its name."""
    for step in [*PLAYS[outcome], "check"]:
        request.refresh_from_db()
        lender = _asked(request)
        if request.status != Request.Status.ROUTING or lender is None:
            return
        if lender.organization_id not in cast.lender_ids:
            step = "cancel"
        if step == "fill_pdf":
            _fill(cast, request, mail=False, rng=rng)
        elif step == "fill_pdf_unopened":
            _fill(cast, request, mail=False, rng=rng, opened=False)
        elif step == "fill_mail":
            _fill(cast, request, mail=True, rng=rng)
        elif step == "not_fill":
            _not_fill(cast, request, rng)
        elif step == "time_out":
            _time_out(request)
        elif step == "cancel":
            services.request_cancel(
                actor=cast.actor_for(request.borrower_id), request_id=request.pk
            )


def _moment(day: datetime.date, rng: random.Random) -> datetime.datetime:
    """A working moment on this day or the next weekday (9:00 to 16:00, network time)."""
    while day.weekday() >= 5:
        day += datetime.timedelta(days=1)
    return datetime.datetime.combine(
        day, datetime.time(rng.randint(9, 15), rng.randint(0, 59)), tzinfo=network_zone()
    )


def _stories(spec: dict[str, Any], cast: Cast, rng: random.Random) -> list[Story]:
    now = timezone.now()
    today = services.network_today()
    titles = {journal["issn"]: journal["title"] for journal in spec["journals"]}
    articles = [article for article in spec["articles"] if not article.get("no_holder")]
    stories: list[Story] = []

    def told(request: Request, start: datetime.datetime) -> None:
        stories.append(Story(request.pk, start))

    # The rule of five, first (its five must be the library's first this year from the
    # journal): five articles, then the sixth, under CCL after the warning.
    rule = spec["rule_of_five"]
    year_start = datetime.datetime(today.year, 1, 2, 9, tzinfo=network_zone())
    for index, title in enumerate(rule["titles"]):
        request = _ask(
            cast,
            cast.public_library,
            {
                "journal_title": titles[rule["issn"]],
                "issn": rule["issn"],
                "year": today.year - rule["year_back"],
                "title": title,
            },
        )
        _play(cast, request, "fill_pdf", rng)
        days_back = (len(rule["titles"]) - index) * 9
        told(request, max(year_start, _moment(today - datetime.timedelta(days=days_back), rng)))

    # The history: months of requests between the borrowers, ending every way.
    weights = [spec["outcomes"][outcome] for outcome in OUTCOMES]
    for _index in range(spec["history_requests"]):
        borrower_id = rng.choice(cast.borrowers)
        request = _ask(cast, borrower_id, _citation(rng.choice(articles), titles))
        outcome = rng.choices(OUTCOMES, weights)[0]
        _play(cast, request, outcome, rng)
        day = today - datetime.timedelta(days=rng.randint(10, spec["history_days"]))
        told(request, _moment(day, rng))

    # With lenders now: just asked, and one whose first lender let its time pass.
    for index, article in enumerate(articles[:4]):
        borrower_id = cast.borrowers[index % len(cast.borrowers)]
        urgency = Urgency.URGENT_PATIENT_CARE if index == 0 else Urgency.REGULAR
        request = _ask(cast, borrower_id, _citation(article, titles), urgency=urgency)
        _play(cast, request, "leave", rng)
        told(request, now - datetime.timedelta(hours=2 + index))
    request = _ask(cast, cast.public_library, _citation(articles[5], titles))
    _play(cast, request, "timeout_then_asked", rng)
    told(request, now - datetime.timedelta(hours=2))
    # Filled yesterday by PDF: its link works, and the public library has not opened it yet.
    request = _ask(cast, cast.public_library, _citation(articles[6], titles))
    _play(cast, request, "fill_pdf_unopened", rng)
    told(request, now - datetime.timedelta(days=1))

    # Nobody holds the year: unfilled at once. A book by ISBN, mailed.
    for article in spec["articles"]:
        if article.get("no_holder"):
            request = _ask(cast, cast.public_library, _citation(article, titles))
            told(request, _moment(today - datetime.timedelta(days=40), rng))
    book = spec["books"][0]
    request = _ask(
        cast,
        cast.public_library,
        {"kind": Request.Kind.BOOK, "isbn": book["isbn"], "title": book["title"]},
    )
    _play(cast, request, "fill_mail", rng)
    told(request, _moment(today - datetime.timedelta(days=25), rng))

    stories += _patron_stories(spec, cast, articles, titles, rng)
    return stories


def _patron_stories(
    spec: dict[str, Any],
    cast: Cast,
    articles: list[dict[str, Any]],
    titles: dict[str, str],
    rng: random.Random,
) -> list[Story]:
    """Rosa's agreement with the public library, approved; her requests: one filled, one
    declined, one waiting. Dr. Bello's agreement waits for the library."""
    now = timezone.now()
    today = services.network_today()
    agreement = services.agreement_ask(
        person=cast.patron, organization_id=cast.public_library, is_health_professional=False
    )
    services.agreement_decide(actor=cast.lucia, agreement_id=agreement.pk, approve=True)
    services.agreement_ask(
        person=cast.professional, organization_id=cast.public_library, is_health_professional=True
    )
    spanish = [article for article in articles if article["issn"] in ("0036-3634", "1020-4989")]
    stories = []
    needed_by = today + datetime.timedelta(days=30)
    filled = services.patron_request_create(
        person=cast.patron,
        organization_id=cast.public_library,
        note="Para mi madre, que tiene diabetes.",
        needed_by=needed_by,
        **_citation(spanish[0], titles),
    )
    services.patron_request_approve(
        actor=cast.lucia,
        request_id=filled.pk,
        patron_reference="ROSA-D",
        max_cost_cents=1000,
        compliance=CopyrightCompliance.GUIDELINES,
    )
    _play(cast, filled, "fill_pdf", rng)
    stories.append(Story(filled.pk, _moment(today - datetime.timedelta(days=20), rng)))
    declined = services.patron_request_create(
        person=cast.patron,
        organization_id=cast.public_library,
        needed_by=needed_by,
        **_citation(articles[4], titles),
    )
    services.patron_request_decline(
        actor=cast.lucia, request_id=declined.pk, note=spec["patrons"]["declined_note"]
    )
    stories.append(Story(declined.pk, _moment(today - datetime.timedelta(days=12), rng)))
    waiting = services.patron_request_create(
        person=cast.patron,
        organization_id=cast.public_library,
        note="¿Me lo pueden conseguir en español si existe?",
        needed_by=needed_by,
        **_citation(spanish[-1], titles),
    )
    stories.append(Story(waiting.pk, now - datetime.timedelta(hours=5)))
    return stories


# --- Moving the requests' moments back along a believable timeline ---

# Hours after the step before: (fewest, most).
STEP_HOURS = {
    RequestEvent.Kind.APPROVED: (1, 20),
    RequestEvent.Kind.ASKED: (0.02, 0.2),
    RequestEvent.Kind.NOT_FILLED: (2, 30),
    RequestEvent.Kind.FILLED: (2, 40),
    RequestEvent.Kind.UNFILLED: (0.001, 0.01),
    RequestEvent.Kind.CANCELLED: (1, 30),
    RequestEvent.Kind.DECLINED: (1, 20),
    RequestEvent.Kind.DOWNLOADED: (0.5, 20),
}
CLOSING = (
    RequestEvent.Kind.FILLED,
    RequestEvent.Kind.UNFILLED,
    RequestEvent.Kind.CANCELLED,
    RequestEvent.Kind.DECLINED,
)


@dataclass
class Timeline:
    events: dict[int, datetime.datetime]
    asked: dict[int, datetime.datetime]
    due: dict[int, datetime.datetime]
    answered: dict[int, datetime.datetime]
    closed: datetime.datetime | None
    filled: datetime.datetime | None
    downloaded: datetime.datetime | None
    end: datetime.datetime


def _timeline(
    request: Request,
    events: list[RequestEvent],
    start: datetime.datetime,
    rng: random.Random,
    answer_days: dict[int, int],
    closures: dict[int, list[Closed]],
) -> Timeline:
    at = start
    line = Timeline({}, {}, {}, {}, None, None, None, start)
    for event in events:
        organization_id = event.organization_id or 0
        if event.kind == RequestEvent.Kind.CREATED:
            at = start
        elif event.kind == RequestEvent.Kind.TIMED_OUT:
            # The hourly job notices within the hour.
            at = line.due[organization_id] + datetime.timedelta(minutes=rng.randint(5, 55))
        else:
            fewest, most = STEP_HOURS[RequestEvent.Kind(event.kind)]
            at += datetime.timedelta(hours=rng.uniform(fewest, most))
        if event.kind == RequestEvent.Kind.ASKED:
            line.asked[organization_id] = at
            line.due[organization_id] = answer_due(
                at, answer_days.get(organization_id, 2), closures.get(organization_id, [])
            )
        elif event.kind in (RequestEvent.Kind.NOT_FILLED, RequestEvent.Kind.FILLED):
            at = min(at, line.due[organization_id] - datetime.timedelta(minutes=30))
            line.answered[organization_id] = at
        if event.kind == RequestEvent.Kind.FILLED:
            line.filled = at
        if event.kind == RequestEvent.Kind.DOWNLOADED:
            line.downloaded = at
        if event.kind in CLOSING:
            line.closed = at
        line.events[event.pk] = at
        line.end = max(line.end, at)
    return line


def _fits(request: Request, line: Timeline, now: datetime.datetime) -> bool:
    """Everything already happened, and a request still with a lender is not yet due."""
    if line.end > now - datetime.timedelta(minutes=10):
        return False
    if request.status == Request.Status.ROUTING:
        asked = request.lenders.filter(status=Lender.Status.ASKED).first()
        return asked is not None and line.due[asked.organization_id] > now
    return True


def _retime(story: Story, rng: random.Random, now: datetime.datetime) -> None:
    request = Request.objects.get(pk=story.request_id)
    events = list(request.events.order_by("at", "pk"))
    lenders = list(request.lenders.all())
    ids = [lender.organization_id for lender in lenders]
    answer_days = dict(
        LendingPolicy.objects.filter(organization_id__in=ids).values_list(
            "organization_id", "answer_business_days"
        )
    )
    closures: dict[int, list[Closed]] = {}
    for organization_id, starts_on, ends_on in Closure.objects.filter(
        organization_id__in=ids
    ).values_list("organization_id", "starts_on", "ends_on"):
        closures.setdefault(organization_id, []).append(Closed(starts_on, ends_on))
    start = story.start
    seed = rng.random()
    line = _timeline(request, events, start, random.Random(seed), answer_days, closures)
    # Step back until the story fits before now (a timeout needs its days to have passed).
    for _attempt in range(200):
        if _fits(request, line, now):
            break
        start -= datetime.timedelta(hours=3)
        line = _timeline(request, events, start, random.Random(seed), answer_days, closures)
    for event in events:
        event.at = line.events[event.pk]
    RequestEvent.objects.bulk_update(events, ["at"])
    for lender in lenders:
        if lender.organization_id in line.asked:
            lender.asked_at = line.asked[lender.organization_id]
            lender.due_at = line.due[lender.organization_id]
        lender.answered_at = line.answered.get(lender.organization_id, lender.answered_at)
    Lender.objects.bulk_update(lenders, ["asked_at", "due_at", "answered_at"])
    needed_days = (request.needed_by - request.created_at.astimezone(network_zone()).date()).days
    Request.objects.filter(pk=request.pk).update(
        created_at=start,
        routed_at=(
            min(line.asked.values(), default=line.closed or start) if request.routed_at else None
        ),
        closed_at=line.closed,
        needed_by=start.astimezone(network_zone()).date() + datetime.timedelta(days=needed_days),
    )
    if line.filled is not None:
        filled = line.filled
        Delivery.objects.filter(request=request).update(created_at=filled)
        Delivery.objects.filter(request=request, method=Delivery.Method.ELECTRONIC).update(
            expires_at=filled + datetime.timedelta(days=settings.SHARING_DELIVERY_DAYS),
            first_downloaded_at=line.downloaded,
        )
        Charge.objects.filter(request=request).update(
            created_at=filled,
            month=filled.astimezone(network_zone()).date().replace(day=1),
        )


# --- All together ---


def demo_sharing_seed(
    *, people: dict[str, Any], spec: dict[str, Any] | None = None, password: str | None = None
) -> list[str]:
    """Holdings, policies and a hundred requests in every state; returns what was done, line
    by line. `people` by email: the personas (persona_ensure); with `password`, the liaison of
    a library asked now for one of Lucía's requests may sign in with it."""
    spec = spec or demo_spec()
    if Request.objects.filter(created_by=people["liaison@tapestry.example"]).exists():
        return [f"Resource sharing: already there ({Request.objects.count()} requests)."]
    cast = _cast(spec, people)
    if cast is None:
        return [
            "Resource sharing: skipped (the liaison persona holds no library, or there are "
            "too few member libraries; run seed_demo first)."
        ]
    rng = random.Random(spec["seed"])
    today = services.network_today()
    with transaction.atomic():
        holdings = _holdings_seed(spec, cast, rng)
        _policies_seed(spec, cast, today)
        stories = _stories(spec, cast, rng)
        now = timezone.now()
        for story in stories:
            _retime(story, rng, now)
        # The library asked now for one of Lucía's requests: its liaison may sign in to
        # answer it.
        lender_liaison_library = (
            Lender.objects.filter(
                status=Lender.Status.ASKED, request__borrower_id=cast.public_library
            )
            .order_by("due_at", "pk")
            .values_list("organization_id", flat=True)
            .first()
        ) or cast.lenders[0].id
        lender_liaison = cast.liaisons[lender_liaison_library]
        if password:
            persona_ensure(
                Persona(lender_liaison.email, lender_liaison.full_name, (Role.LIAISON,)),
                password=password,
            )
        # The daily job's work: links older than their days are deleted with their files.
        purged = services.deliveries_purge(now=now)
    statuses: dict[str, int] = {}
    for status in Request.objects.filter(
        pk__in=[story.request_id for story in stories]
    ).values_list("status", flat=True):
        statuses[status] = statuses.get(status, 0) + 1
    agreements = PatronAgreement.objects.filter(organization_id=cast.public_library).count()
    return [
        f"Resource sharing: {len(cast.lenders)} lending libraries, {holdings} holdings; "
        f"{len(stories)} requests ("
        + ", ".join(f"{count} {status}" for status, count in sorted(statuses.items()))
        + f"); {purged} expired deliveries purged; {agreements} patron agreements.",
        f"Resource sharing: sign in as {lender_liaison.email} to answer requests as "
        f"{cast.by_id[lender_liaison_library].name}.",
    ]
