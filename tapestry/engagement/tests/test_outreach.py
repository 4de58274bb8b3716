"""The outreach dashboard: exact figures over a small population, scope per persona, the CSV
equal to the page, the Spanish page, the filters' errors.

"Today" is 2026-06-15; the period asked is 2026-01-01 to 2026-06-30. The population:

- organizations: Alice's library (Chicago, IL, region 6), a Detroit library (MI, region 6), a
  Philadelphia library (PA, region 1);
- events: E1 Alice's, English, March, 3 checked in (+1 seated not checked in, +1 cancelled);
  E2 Detroit's, Spanish, April, 2 checked in (their names erased since); E6 Philadelphia's,
  Spanish, May, 1 checked in; not counted: a cancelled event with 2 checked in, a draft, an
  upcoming one;
- reports: R1 Alice's accepted (10 from 60601 + 5 from rural 61910), R4 Detroit's accepted (7),
  R5 Philadelphia's accepted (4 from rural 16001 + 2 from 19103); not counted: a draft (100),
  a returned one (50), a submitted one (40), an accepted one before the period (1000);
- kits: shipped to Alice's in February, to Detroit's in March (returned since), to
  Philadelphia's in April; an approved one not shipped does not count;
- requests: Q1 Alice's planned (May), Q2 Detroit's completed, converted to E1 (March), Q4
  Philadelphia's completed (April); a new one does not count.
"""

import csv
import datetime
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from tapestry.accounts.tests.factories import UserFactory
from tapestry.engagement import services
from tapestry.engagement.models import (
    ActivityReport,
    EngagementRequest,
    Event,
    KitReservation,
    Registration,
)
from tapestry.engagement.outreach import (
    OutreachFilters,
    OutreachScope,
    outreach_figures,
    outreach_scope,
)
from tapestry.engagement.tests.factories import (
    ActivityReportFactory,
    ActivityReportRowFactory,
    EngagementRequestFactory,
    EventFactory,
    KitFactory,
    RegistrationFactory,
    member_organization_make,
    reservation_place,
)
from tests.i18n.english_leaks import english_leaks, english_words

pytestmark = pytest.mark.django_db

TODAY = "2026-06-15 17:00Z"
PERIOD = {"date_from": "2026-01-01", "date_to": "2026-06-30"}
URL = "/engagement/outreach/"
CSV_URL = "/engagement/outreach/outreach.csv"


@pytest.fixture(autouse=True)
def _today() -> Iterator[None]:
    with time_machine.travel(TODAY, tick=False):
        yield


def _at(day: str, hour: int = 15) -> datetime.datetime:
    return datetime.datetime.fromisoformat(f"{day}T{hour:02d}:00:00+00:00")


def _event(organization_id: int, zip_code: str, region: str, day: str, **fields: Any) -> Event:
    starts = _at(day)
    return EventFactory.create(
        organization_id=organization_id,
        zip_code=zip_code,
        region_code=region,
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=2),
        published_at=starts - datetime.timedelta(days=20),
        **fields,
    )


def _attended(event: Event, count: int) -> None:
    for _index in range(count):
        RegistrationFactory.create(
            event=event, attended=True, checked_in_at=event.starts_at, zip_code="60601"
        )


def _report(organization_id: int, region: str, day: str, status: str, rows: list[Any]) -> None:
    report = ActivityReportFactory.create(
        organization_id=organization_id,
        region_code=region,
        activity_date=datetime.date.fromisoformat(day),
        status=status,
    )
    for participants, zip_code in rows:
        ActivityReportRowFactory.create(report=report, participants=participants, zip_code=zip_code)


def _shipped(kit: Any, organization_id: int, region: str, day: str, status: str) -> None:
    liaison = UserFactory.create()
    reservation = reservation_place(
        kit=kit,
        organization_id=organization_id,
        requested_by=liaison,
        ship_date=datetime.date.fromisoformat(day),
        status=status,
        region_code=region,
    )
    if status in (KitReservation.Status.SHIPPED, KitReservation.Status.RETURNED):
        KitReservation.objects.filter(pk=reservation.pk).update(shipped_at=_at(day))


@pytest.fixture
def rural_list(tmp_path: Path) -> None:
    """A FORHP list (the research app's command): 61910 (IL) and 16001 (PA) are rural."""
    listing = tmp_path / "rural.txt"
    listing.write_text("STATE,ZIP\nIL,61910\nPA,16001\n", encoding="utf-8")
    call_command(
        "research_load_rural_zips",
        str(listing),
        name="2020",
        effective_from="2020-09-15",
        stdout=io.StringIO(),
    )


@pytest.fixture
def population(alice_library: Any, rural_list: None) -> dict[str, int]:
    alice = alice_library.pk
    detroit = member_organization_make(name="Detroit Public Library", zip_code="48201")
    philadelphia = member_organization_make(name="Free Library", zip_code="19103")

    e1 = _event(alice, "60601", "region-6", "2026-03-10", language="en")
    _attended(e1, 3)
    RegistrationFactory.create(event=e1)  # seated, never checked in
    RegistrationFactory.create(event=e1, status=Registration.Status.CANCELLED)
    e2 = _event(
        detroit, "48201", "region-6", "2026-04-20", language="es", time_zone="America/Detroit"
    )
    _attended(e2, 2)
    e6 = _event(
        philadelphia, "19103", "region-1", "2026-05-05", language="es", time_zone="America/New_York"
    )
    _attended(e6, 1)
    cancelled = _event(
        alice,
        "60601",
        "region-6",
        "2026-02-10",
        status=Event.Status.CANCELLED,
        cancelled_at=_at("2026-02-01"),
    )
    _attended(cancelled, 2)
    _event(alice, "60601", "region-6", "2026-02-12", status=Event.Status.DRAFT)
    _event(alice, "60601", "region-6", "2026-06-20")
    # E2's registrants' names and emails are erased (their counts stay).
    with time_machine.travel("2026-09-01", tick=False):
        services.registrants_anonymize()
    assert Registration.objects.filter(event=e2, name="", email="").count() == 2

    accepted = ActivityReport.Status.ACCEPTED
    _report(alice, "region-6", "2026-03-11", accepted, [(10, "60601"), (5, "61910")])
    _report(detroit, "region-6", "2026-04-21", accepted, [(7, "48201")])
    _report(philadelphia, "region-1", "2026-05-06", accepted, [(4, "16001"), (2, "19103")])
    _report(alice, "region-6", "2026-03-12", ActivityReport.Status.DRAFT, [(100, "61910")])
    _report(detroit, "region-6", "2026-04-22", ActivityReport.Status.RETURNED, [(50, "48201")])
    _report(alice, "region-6", "2026-04-23", ActivityReport.Status.SUBMITTED, [(40, "60601")])
    _report(alice, "region-6", "2025-12-20", accepted, [(1000, "61910")])

    # A kit for each loan (one kit's loans may not overlap).
    _shipped(KitFactory.create(), alice, "region-6", "2026-02-10", KitReservation.Status.SHIPPED)
    _shipped(KitFactory.create(), detroit, "region-6", "2026-03-25", KitReservation.Status.RETURNED)
    _shipped(
        KitFactory.create(), philadelphia, "region-1", "2026-05-10", KitReservation.Status.SHIPPED
    )
    _shipped(KitFactory.create(), alice, "region-6", "2026-06-25", KitReservation.Status.APPROVED)

    EngagementRequestFactory.create(
        organization_id=alice,
        status=EngagementRequest.Status.PLANNED,
        preferred_date_1=datetime.date(2026, 5, 1),
    )
    EngagementRequestFactory.create(
        organization_id=detroit,
        state_code="MI",
        status=EngagementRequest.Status.COMPLETED,
        event=e1,
        preferred_date_1=datetime.date(2026, 7, 20),
    )
    EngagementRequestFactory.create(
        organization_id=philadelphia,
        state_code="PA",
        region_code="region-1",
        status=EngagementRequest.Status.COMPLETED,
        preferred_date_1=datetime.date(2026, 4, 2),
    )
    EngagementRequestFactory.create(
        organization_id=alice, preferred_date_1=datetime.date(2026, 5, 3)
    )
    return {"alice": alice, "detroit": detroit, "philadelphia": philadelphia}


def _filters(group_by: str = "region", **fields: str) -> OutreachFilters:
    return OutreachFilters(
        date_from=datetime.date(2026, 1, 1),
        date_to=datetime.date(2026, 6, 30),
        group_by=group_by,
        **fields,
    )


EVERYONE = {
    "events": 3,
    "events_es": 2,
    "attendees": 6,
    "attendees_es": 3,
    "participants": 28,
    "participants_rural": 9,
    "kits": 3,
    "requests": 3,
}
REGION_6 = {
    "events": 2,
    "events_es": 1,
    "attendees": 5,
    "attendees_es": 2,
    "participants": 22,
    "participants_rural": 5,
    "kits": 2,
    "requests": 2,
}
REGION_1 = {
    "events": 1,
    "events_es": 1,
    "attendees": 1,
    "attendees_es": 1,
    "participants": 6,
    "participants_rural": 4,
    "kits": 1,
    "requests": 1,
}
ALICE = {
    "events": 1,
    "events_es": 0,
    "attendees": 3,
    "attendees_es": 0,
    "participants": 15,
    "participants_rural": 5,
    "kits": 1,
    "requests": 1,
}


def test_figures_for_everyone_by_region(population: dict[str, int]) -> None:
    figures = outreach_figures(scope=OutreachScope(everyone=True), filters=_filters())
    assert figures.totals == EVERYONE
    assert figures.rural_known
    assert [group.key for group in figures.groups] == ["region-1", "region-6"]
    assert figures.groups[0].values == REGION_1
    assert figures.groups[1].values == REGION_6


def test_figures_by_state_take_the_organizations_state(population: dict[str, int]) -> None:
    figures = outreach_figures(scope=OutreachScope(everyone=True), filters=_filters("state"))
    by_state = {group.key: group.values for group in figures.groups}
    assert set(by_state) == {"IL", "MI", "PA"}
    assert by_state["IL"] == ALICE
    assert by_state["MI"] == {
        "events": 1,
        "events_es": 1,
        "attendees": 2,
        "attendees_es": 2,
        "participants": 7,
        "participants_rural": 0,
        "kits": 1,
        "requests": 1,
    }
    assert by_state["PA"] == REGION_1


def test_figures_by_month_list_every_month_of_the_period(population: dict[str, int]) -> None:
    figures = outreach_figures(scope=OutreachScope(everyone=True), filters=_filters("month"))
    by_month = {group.key: group.values for group in figures.groups}
    assert list(by_month) == ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]
    assert not any(by_month["2026-01"].values())
    assert by_month["2026-02"]["kits"] == 1
    assert by_month["2026-02"]["events"] == 0  # the cancelled and the draft events
    assert by_month["2026-03"] == {
        "events": 1,
        "events_es": 0,
        "attendees": 3,
        "attendees_es": 0,
        "participants": 15,
        "participants_rural": 5,
        "kits": 1,
        "requests": 1,  # Q2, converted to E1: the month of its event
    }
    assert by_month["2026-06"] == dict.fromkeys(EVERYONE, 0)  # the upcoming event is not held


def test_state_and_region_filters(population: dict[str, int]) -> None:
    everyone = OutreachScope(everyone=True)
    assert outreach_figures(scope=everyone, filters=_filters(state_code="PA")).totals == REGION_1
    assert outreach_figures(scope=everyone, filters=_filters(region_code="region-6")).totals == (
        REGION_6
    )


def test_one_query_per_family(
    population: dict[str, int], django_assert_max_num_queries: Any
) -> None:
    # Events, attendees, participants, kits, requests; the rural lists; the organizations'
    # states (network.api: the organizations and the region map's states).
    with django_assert_max_num_queries(9):
        outreach_figures(scope=OutreachScope(everyone=True), filters=_filters("state"))


def test_without_a_rural_list_the_rural_figure_is_unknown(alice_library: Any) -> None:
    report = ActivityReportFactory.create(
        organization_id=alice_library.pk,
        activity_date=datetime.date(2026, 3, 1),
        status=ActivityReport.Status.ACCEPTED,
    )
    ActivityReportRowFactory.create(report=report, participants=4, zip_code="61910")
    figures = outreach_figures(scope=OutreachScope(everyone=True), filters=_filters())
    assert not figures.rural_known
    assert figures.totals["participants"] == 4
    assert figures.totals["participants_rural"] == 0


def test_scope_per_persona(
    population: dict[str, int],
    alice_liaison: Any,
    sam_specialist: Any,
    olga_other_specialist: Any,
    paula_program_staff: Any,
    bob_applicant: Any,
) -> None:
    def totals(person: Any) -> dict[str, int]:
        scope = outreach_scope(person)
        assert scope is not None
        return outreach_figures(scope=scope, filters=_filters()).totals

    assert totals(paula_program_staff) == EVERYONE
    assert totals(sam_specialist) == REGION_6
    assert totals(olga_other_specialist) == REGION_1
    assert totals(alice_liaison) == ALICE
    assert outreach_scope(bob_applicant) is None
    # A specialist asking for another region sees nothing of it.
    sam_scope = outreach_scope(sam_specialist)
    assert sam_scope is not None
    assert not any(
        outreach_figures(scope=sam_scope, filters=_filters(region_code="region-1")).totals.values()
    )


def _csv(response: Any) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_page_for_sam_shows_his_regions_figures(
    population: dict[str, int], sam_client: Client
) -> None:
    response = sam_client.get(URL, {**PERIOD, "group_by": "state"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Outreach dashboard" in page
    assert response.context["figures"].totals == REGION_6
    assert [group.key for group in response.context["figures"].groups] == ["IL", "MI"]
    assert '<th scope="row">Illinois</th>' in page
    assert "Pennsylvania" not in page.split('id="outreach-events-heading"')[1]
    # The region filter offers only his regions.
    assert [value for value, _label in response.context["form"].fields["region"].choices] == [
        "",
        "region-6",
    ]


def test_csv_equals_the_page(
    population: dict[str, int], staff_signed_in: Any, paula_program_staff: Any
) -> None:
    client = staff_signed_in(paula_program_staff)
    for group_by in ("region", "state", "month"):
        query = {**PERIOD, "group_by": group_by}
        figures = client.get(URL, query).context["figures"]
        rows = _csv(client.get(CSV_URL, query))
        assert rows[0][:2] == [
            {"region": "Region", "state": "State", "month": "Month"}[group_by],
            "Code",
        ]
        assert rows[0][2:] == [
            "Events held",
            "Spanish-language events",
            "Attendees",
            "Attendees at Spanish-language events",
            "Activity-report participants",
            "Participants from rural ZIP codes",
            "Kits lent",
            "Requests handled",
        ]
        keys = list(EVERYONE)
        assert [row[1] for row in rows[1:-1]] == [group.key for group in figures.groups]
        for row, group in zip(rows[1:-1], figures.groups, strict=True):
            assert [int(value) for value in row[2:]] == [group.values[key] for key in keys]
        assert rows[-1][0] == "Total"
        assert [int(value) for value in rows[-1][2:]] == [EVERYONE[key] for key in keys]


def test_csv_obeys_the_scope(
    population: dict[str, int], alice_client: Client, olga_client: Client
) -> None:
    rows = _csv(alice_client.get(CSV_URL, PERIOD))
    assert rows[1][:2] == ["Region 6", "region-6"]
    assert [int(value) for value in rows[-1][2:]] == list(ALICE.values())
    rows = _csv(olga_client.get(CSV_URL, {**PERIOD, "group_by": "state"}))
    assert [row[1] for row in rows[1:-1]] == ["PA"]


def test_others_are_refused(
    population: dict[str, int], bob_client: Client, visitor: Client
) -> None:
    assert bob_client.get(URL).status_code == 403
    assert bob_client.get(CSV_URL).status_code == 403
    for url in (URL, CSV_URL):
        response = visitor.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_the_page_in_spanish(population: dict[str, int], olga_client: Client) -> None:
    response = olga_client.get(URL, {**PERIOD, "group_by": "month"}, HTTP_ACCEPT_LANGUAGE="es")
    page = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="es"' in page
    assert "Panel de alcance comunitario" in page
    assert "Mayo de 2026" in page
    assert "Participantes de códigos postales rurales" in page
    # Her name is data, not the page's English.
    leaks = english_leaks(page, words=english_words(), english_data=("Olga Other",))
    assert not leaks, "\n".join(f"{leak.word!r} in {leak.text!r}" for leak in leaks)
    rows = _csv(
        olga_client.get(CSV_URL, {**PERIOD, "group_by": "month"}, HTTP_ACCEPT_LANGUAGE="es")
    )
    assert rows[0][0] == "Mes"
    assert rows[-1][0] == "Total"


def test_bad_filters_are_explained(population: dict[str, int], sam_client: Client) -> None:
    response = sam_client.get(URL, {"date_from": "2026-06-01", "date_to": "2026-05-01"})
    assert response.status_code == 400
    assert "The period must end on or after the day it starts." in response.content.decode()
    response = sam_client.get(CSV_URL, {"date_from": "2020-01-01", "date_to": "2026-05-01"})
    assert response.status_code == 400
    assert "at most 60 months" in response.content.decode()
    response = sam_client.get(URL, {"group_by": "organization", "region": "region-1"})
    assert response.status_code == 400


def test_empty_period_says_so(sam_client: Client) -> None:
    response = sam_client.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Nothing to count yet" in page
    assert "outreach-events-heading" not in page


def test_the_dashboard_panel_links_to_it(
    population: dict[str, int], sam_client: Client, bob_client: Client
) -> None:
    assert 'href="/engagement/outreach/"' in sam_client.get("/me/").content.decode()
    assert 'href="/engagement/outreach/"' not in bob_client.get("/me/").content.decode()


def test_default_period_is_the_last_twelve_months(
    population: dict[str, int], sam_client: Client
) -> None:
    filters = sam_client.get(URL).context["figures"].filters
    assert (filters.date_from, filters.date_to) == (datetime.date(2025, 7, 1), timezone.localdate())


def test_rural_by_the_list_in_force_on_the_activity_date(
    alice_library: Any, tmp_path: Path
) -> None:
    # 2014 list: 61910 rural; 2020 list (from 2020-09-15): 16001 rural, 61910 no longer.
    for name, effective_from, lines in (
        ("2014", "2014-01-01", "IL,61910\n"),
        ("2020", "2020-09-15", "PA,16001\n"),
    ):
        listing = tmp_path / f"{name}.txt"
        listing.write_text(lines, encoding="utf-8")
        call_command(
            "research_load_rural_zips",
            str(listing),
            name=name,
            effective_from=effective_from,
            stdout=io.StringIO(),
        )
    accepted = ActivityReport.Status.ACCEPTED
    pk = alice_library.pk
    _report(pk, "region-6", "2020-09-14", accepted, [(3, "61910"), (5, "16001")])
    _report(pk, "region-6", "2020-09-15", accepted, [(7, "61910"), (11, "16001")])
    filters = OutreachFilters(
        date_from=datetime.date(2020, 9, 1), date_to=datetime.date(2020, 9, 30)
    )
    figures = outreach_figures(scope=OutreachScope(everyone=True), filters=filters)
    assert figures.totals["participants"] == 26
    assert figures.totals["participants_rural"] == 3 + 11
