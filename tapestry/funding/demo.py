"""Funding's demo data (`manage.py funding_seed_demo`, part of `make demo`), from
`data/demo.json`: three calls and the people and applications that bring them to life.

- An open call, with Lucía's draft in it (a section written, a budget).
- A call whose deadline passed, in review: applications in every stage; the reviewer persona
  (Priya) has two assignments, one of them with an organization she declared a conflict with
  after she was assigned (the page refuses it and logs the attempt).
- Last year's call with two active awards: Lucía's library, whose interim report is overdue
  (so her next invoice is refused until it is in), and another library with its report in,
  invoices approved, paid and one waiting for staff.

Everything goes through the services, as people would do it, except two things no person can
do: the other organizations' applications are started for demo applicants who are not their
directory liaison (they are made members of them), and dates are put in the past where the
story needs it (a deadline that passed, the invoices billed before the interim report fell
due). Safe to run again: it does nothing when the calls exist.
"""

import datetime
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from tapestry.accounts.api import Role, person_ensure, role_grant
from tapestry.funding import awards, drafts, reviews, services
from tapestry.funding.models import Application, ApplicationMember, AwardReport, Opportunity
from tapestry.funding.states import Status
from tapestry.network.api import (
    organizations_get,
    organizations_in_regions,
    organizations_of_liaison,
    regions,
)

DEMO_FILE = Path(__file__).resolve().parent / "data" / "demo.json"
# Demo applicants' addresses: example.org never receives mail.
APPLICANT_EMAIL = "grants.{index}@funding-demo.example.org"
APPLICANT_NAMES = [
    "Marisol Vega",
    "Daniel Okonkwo",
    "Hannah Lindqvist",
    "Tuan Nguyen",
    "Grace Whitehorse",
    "Carmen Ibarra",
    "Jamal Carter",
    "Mei-Ling Park",
]
SECOND_REVIEWER = ("reviewer2@funding-demo.example.org", "Marcus Reyes")


def demo_spec(path: Path = DEMO_FILE) -> dict[str, Any]:
    with path.open(encoding="utf-8") as file:
        spec: dict[str, Any] = json.load(file)
    return spec


def _user(user_id: int) -> Any:
    return get_user_model().objects.get(pk=user_id)


def award_year_start(today: datetime.date, offset: int = 0) -> datetime.date:
    """May 1 of the program's award year holding `today`, or `offset` years later."""
    start_year = today.year if (today.month, today.day) >= (5, 1) else today.year - 1
    return datetime.date(start_year + offset, 5, 1)


def _call_make(spec: dict[str, Any], item: dict[str, Any], staff: Any, now: Any) -> Opportunity:
    """A call with the shared checklist and rubric in its award year, published with its
    deadline ahead (moved into the past afterwards for the closed calls)."""
    start = award_year_start(timezone.localdate(), item["award_year"])
    years = {"start_year": start.year, "end_year": start.year + 1}
    call = Opportunity.objects.create(
        **{
            field: item[field].format(**years)
            for field in (
                "title",
                "title_es",
                "description",
                "description_es",
                "eligibility_notes",
                "eligibility_notes_es",
            )
        },
        eligible_types=item["eligible_types"],
        eligible_states=item["eligible_states"],
        performance_start=start,
        performance_end=datetime.date(start.year + 1, 4, 30),
        awards_available=item["awards_available"],
        maximum_amount=Decimal(item["maximum_amount"]),
        deadline=now + datetime.timedelta(days=max(item["deadline_days_from_today"], 1)),
        created_by=staff,
    )
    for position, (text, text_es) in enumerate(spec["screening"]):
        call.screening_items.create(position=position, text=text, text_es=text_es)
    for position, (text, text_es, points) in enumerate(spec["rubric"]):
        call.rubric_criteria.create(position=position, text=text, text_es=text_es, points=points)
    return services.opportunity_publish(actor=staff, opportunity=call)


def _deadline_passed(call: Opportunity, days_ago: int, now: Any) -> None:
    Opportunity.objects.filter(pk=call.pk).update(deadline=now - datetime.timedelta(days=days_ago))


def _application_make(
    *, call: Opportunity, organization_id: int, person: Any, project: list[Any], submit: bool
) -> Application:
    """An application by `person` for the organization, with the project's title, summary,
    the first section and budget; submitted when asked."""
    title, summary, lines = project
    if organization_id in organizations_of_liaison(user_id=person.pk):
        application = services.application_start(
            actor=person, opportunity=call, organization_id=organization_id
        )
    else:
        application = Application.objects.create(
            opportunity=call, organization_id=organization_id, created_by=person
        )
        ApplicationMember.objects.create(application=application, user=person)
    drafts.application_describe(
        actor=person, application=application, project_title=title, summary=summary
    )
    drafts.section_save(
        actor=person,
        application=application,
        key=drafts.SECTIONS[0].key,
        text=summary,
        base_version=0,
    )
    services.budget_set(
        actor=person,
        application=application,
        lines=[(description, Decimal(amount)) for description, amount in lines],
    )
    if submit:
        application = services.application_submit(actor=person, application=application)
    return application


def _screen(application: Application, staff: Any) -> Application:
    answers = {
        item_id: reviews.Answer(met=True)
        for item_id in application.opportunity.screening_items.values_list("pk", flat=True)
    }
    return reviews.screening_complete(
        actor=staff, application=application, answers=answers, outcome=Status.SCREENED
    )


def _to_review(application: Application, staff: Any, reviewer_list: list[Any]) -> Application:
    application = _screen(application, staff)
    for reviewer in reviewer_list:
        services.review_assign(actor=staff, application=application, reviewer=reviewer)
    return services.application_move(actor=staff, application=application, to=Status.UNDER_REVIEW)


def _scored(application: Application, reviewer: Any, share: float) -> None:
    scores = {
        criterion.pk: round(criterion.points * share)
        for criterion in application.opportunity.rubric_criteria.all()
    }
    reviews.scores_submit(
        reviewer=reviewer,
        application=application,
        scores=scores,
        comments="A clear plan with partners who already serve the community.",
        final=True,
    )


def _other_organizations(liaison_id: int, count: int) -> list[int]:
    """The first member organization of each region (the ones engagement's demo gives
    activity reports), then more, leaving out the liaison persona's own."""
    own = set(organizations_of_liaison(user_id=liaison_id))
    firsts, rest = [], []
    for region in regions():
        ids = [
            pk
            for pk in sorted(organizations_in_regions(region_codes=[region.code]))
            if pk not in own
        ]
        firsts.extend(ids[:1])
        rest.extend(ids[1:3])
    return (firsts + rest)[:count]


def demo_funding_seed(*, people: dict[str, Any]) -> list[str]:
    """Make the three calls and their story; returns what was done, line by line."""
    spec = demo_spec()
    if Opportunity.objects.filter(created_by=people["programstaff@tapestry.example"]).exists():
        return [f"Funding: already there ({Opportunity.objects.count()} calls)."]
    staff = people["programstaff@tapestry.example"]
    liaison = people["liaison@tapestry.example"]
    priya = people["reviewer@tapestry.example"]
    libraries = organizations_of_liaison(user_id=liaison.pk)
    if not libraries:
        return ["Funding: skipped (the liaison persona holds no library; run seed_demo first)."]
    library = libraries[0]
    now = timezone.now()
    today = timezone.localdate()
    others = _other_organizations(liaison.pk, len(APPLICANT_NAMES))
    names = organizations_get(organization_ids=others)
    applicants = [
        _user(
            person_ensure(
                email=APPLICANT_EMAIL.format(index=index),
                name=name,
                language="es" if index % 3 == 2 else "en",
            )
        )
        for index, name in enumerate(APPLICANT_NAMES[: len(others)])
    ]
    marcus = _user(person_ensure(email=SECOND_REVIEWER[0], name=SECOND_REVIEWER[1], language="en"))
    role_grant(user_id=marcus.pk, roles=[Role.REVIEWER])
    projects = spec["projects"]
    calls = {item["key"]: item for item in spec["calls"]}

    with transaction.atomic():
        # 1. The open call: Lucía's draft.
        open_call = _call_make(spec, calls["open"], staff, now)
        _application_make(
            call=open_call,
            organization_id=library,
            person=liaison,
            project=projects[0],
            submit=False,
        )

        # 2. The call in review: every stage, Priya with two assignments (one conflicted).
        review_call = _call_make(spec, calls["review"], staff, now)
        submitted = [
            _application_make(
                call=review_call,
                organization_id=organization_id,
                person=person,
                project=projects[index % len(projects)],
                submit=True,
            )
            for index, (organization_id, person) in enumerate(
                zip(others[:6], applicants, strict=False)
            )
        ]
        stages = dict(enumerate(submitted))
        if len(stages) >= 6:
            _to_review(stages[0], staff, [priya, marcus])
            _to_review(stages[1], staff, [priya, marcus])
            _scored(stages[0], marcus, 0.8)
            reviews.conflict_declare(
                reviewer=priya,
                application=stages[1],
                reason="My sister is on this library's board.",
            )
            _to_review(stages[2], staff, [marcus])
            _scored(stages[2], marcus, 0.6)
            _screen(stages[3], staff)
            services.application_move(
                actor=staff,
                application=stages[4],
                to=Status.DECLINED,
                reason="The project takes place outside the period of performance.",
            )
        _deadline_passed(review_call, -calls["review"]["deadline_days_from_today"], now)

        # 3. Last year's call: two active awards.
        awarded_call = _call_make(spec, calls["awarded"], staff, now)
        awardees = [(library, liaison, projects[1])]
        if len(others) > 6:
            awardees.append((others[6], applicants[6], projects[3]))
        made = []
        for organization_id, person, project in awardees:
            application = _application_make(
                call=awarded_call,
                organization_id=organization_id,
                person=person,
                project=project,
                submit=True,
            )
            _to_review(application, staff, [marcus])
            _scored(application, marcus, 0.9)
            services.application_move(
                actor=staff,
                application=application,
                to=Status.AWARDED,
                reason="Among the highest scores; reaches Spanish-speaking families.",
            )
            budget = sum((Decimal(amount) for _text, amount in project[2]), Decimal(0))
            made.append(
                awards.award_create(
                    actor=staff,
                    application=application,
                    amount=min(budget, awarded_call.maximum_amount),
                    acknowledgement=spec["acknowledgement"],
                    acknowledgement_es=spec["acknowledgement_es"],
                )
            )
        _deadline_passed(awarded_call, -calls["awarded"]["deadline_days_from_today"], now)
        lines = [
            _invoices_make(award, person, staff, today)
            for award, (_o, person, _p) in zip(made, awardees, strict=True)
        ]

    return [
        f'Funding: 3 calls; Lucía\'s draft in "{open_call.title}"; {len(submitted)} applications '
        f"in review ({', '.join(names[pk].name for pk in others[:2] if pk in names)}, ...); "
        f"Priya Natarajan has 2 assignments, one conflicted.",
        *lines,
    ]


def _invoices_make(award: Any, person: Any, staff: Any, today: datetime.date) -> str:
    """Monthly invoices from the period's start (up to five, the last one waiting for staff),
    billed before the interim report fell due: its due date is held back while they are made.
    Lucía's library then leaves the interim report out, overdue (fifteen days ago when the
    schedule's own date is still ahead); the other library has it in."""
    lucia = award.organization_id in organizations_of_liaison(user_id=person.pk)
    interim = award.reports.get(kind=AwardReport.Kind.INTERIM)
    due = interim.due_on if interim.due_on < today else today - datetime.timedelta(days=15)
    AwardReport.objects.filter(pk=interim.pk).update(due_on=today + datetime.timedelta(days=1))
    months: list[datetime.date] = []
    month = award.period_start
    while month <= today and len(months) < 5:
        months.append(month)
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    for index, month in enumerate(months):
        invoice = awards.invoice_submit(
            actor=person,
            award=award,
            billing_month=month,
            invoice_date=min(today, (month + datetime.timedelta(days=32)).replace(day=3)),
            amount=(award.amount / 10).quantize(Decimal("0.01")),
            description="Program supplies, interpreter's hours and printing for the month.",
        )
        if index < len(months) - 1:
            invoice = awards.invoice_decide(actor=staff, invoice=invoice, to="approved")
        if index < len(months) - 3:
            awards.invoice_decide(actor=staff, invoice=invoice, to="paid")
    AwardReport.objects.filter(pk=interim.pk).update(due_on=due if lucia else interim.due_on)
    if not lucia:
        awards.report_submit(
            actor=person,
            report=AwardReport.objects.get(pk=interim.pk),
            narrative="Four health fairs and a class series in Spanish; 180 people came.",
            activity_report_ids=[report.id for report in awards.activity_reports_offered(award)][
                :3
            ],
        )
    state = "interim report overdue" if lucia else "interim report in"
    return f"Award {award.number}: {len(months)} invoices, {state}."
