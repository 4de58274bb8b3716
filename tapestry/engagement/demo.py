"""Community engagement's demo data for `make demo`, one block per part."""

import csv
import datetime
import functools
import io
import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont

from tapestry.accounts.api import person_ensure
from tapestry.engagement import kit_calendar
from tapestry.engagement.models import (
    ActivityReport,
    ActivityReportRow,
    EngagementRequest,
    Event,
    EventFormat,
    Kit,
    KitItem,
    KitLanguageTag,
    KitPhoto,
    KitReservation,
    KitReturnItem,
    KitTopicTag,
    ProfessionalRole,
    RegistrantRole,
    Registration,
    RequestMessage,
    RequestMilestone,
    registration_token,
    token_hash,
    token_new,
)
from tapestry.engagement.services import attendance_rows
from tapestry.network.api import (
    OrganizationPlace,
    organization_choices,
    organization_places,
    organizations_get,
    organizations_in_regions,
    organizations_of_liaison,
    regions,
    specialists_of_region,
)

# --- Events ---


DATA_DIR = Path(__file__).resolve().parent / "data"
DEMO_EVENTS_FILE = DATA_DIR / "demo_events.json"
STATE_TIME_ZONES_FILE = DATA_DIR / "state_time_zones.csv"
# Event start days relative to today: two past, three upcoming, per region.
DEMO_DAYS = (-40, -12, 1, 9, 24)


@functools.cache
def state_time_zones() -> dict[str, str]:
    """Each state's or territory's main IANA time zone (data/state_time_zones.csv)."""
    with STATE_TIME_ZONES_FILE.open(encoding="utf-8", newline="") as rows:
        return {row["state"]: row["zone"] for row in csv.DictReader(rows)}


def demo_spec() -> dict[str, Any]:
    with DEMO_EVENTS_FILE.open(encoding="utf-8") as spec:
        loaded: dict[str, Any] = json.load(spec)
    return loaded


def _event_from(
    spec: dict[str, Any],
    *,
    place: OrganizationPlace,
    organizer_id: int | None,
    starts_on: datetime.date,
    hour: int,
    capacity: int,
) -> Event:
    zone = state_time_zones().get(place.state_code, "America/Chicago")
    starts_at = datetime.datetime.combine(starts_on, datetime.time(hour), tzinfo=ZoneInfo(zone))
    in_person = spec["format"] != EventFormat.VIRTUAL
    event = Event(
        title=spec["title"],
        description=spec["description"],
        focus_area=spec["focus_area"],
        audience=spec["audience"],
        language=spec["language"],
        format=spec["format"],
        organization_id=place.id,
        venue_name=place.name if in_person else "",
        address_line1=place.address_line1 if in_person else "",
        city=place.city if in_person else "",
        state_code=place.state_code if in_person else "",
        zip_code=place.zip_code if in_person else "",
        latitude=place.latitude if in_person else None,
        longitude=place.longitude if in_person else None,
        virtual_link="https://meet.example.org/tapestry-demo"
        if spec["format"] != "in_person"
        else "",
        capacity=capacity,
        starts_at=starts_at,
        ends_at=starts_at + datetime.timedelta(minutes=90),
        time_zone=zone,
        accessibility_notes=spec["accessibility_notes"],
        status=Event.Status.PUBLISHED,
        organizer_id=organizer_id,
        region_code=place.region_code,
        published_at=timezone.now(),
    )
    event.save()
    return event


def _registrations(
    event: Event, *, count: int, rng: random.Random, names: dict[str, list[str]], past: bool
) -> tuple[int, int]:
    """`count` people who confirmed: seated up to capacity, the rest waiting; at a past event
    about four in five of the seated came. Returns (registered, attended)."""
    attended = 0
    roles = [role for role, _label in RegistrantRole.choices]
    for number in range(count):
        first, last = rng.choice(names["first"]), rng.choice(names["last"])
        seated = number < event.capacity
        came = past and seated and rng.random() < 0.8
        attended += came
        registration = Registration.objects.create(
            event=event,
            name=f"{first} {last}",
            email=f"{first}.{last}.{event.pk}.{number}@example.net".lower(),
            zip_code=event.zip_code,
            role=rng.choice(roles),
            language=event.language,
            status=Registration.Status.CONFIRMED if seated else Registration.Status.WAITLISTED,
            attended=came,
            checked_in_at=event.starts_at if came else None,
            link_salt=token_new(),
            confirm_token_hash=token_hash(token_new()),
            cancel_token_hash=token_hash(token_new()),
            confirmed_at=event.starts_at - datetime.timedelta(days=5, minutes=number),
            seated_at=event.starts_at - datetime.timedelta(days=5) if seated else None,
        )
        registration.confirm_token_hash = token_hash(registration_token(registration, "confirm"))
        registration.cancel_token_hash = token_hash(registration_token(registration, "cancel"))
        registration.save(update_fields=["confirm_token_hash", "cancel_token_hash"])
    return count, attended


@transaction.atomic
def demo_events_seed(
    *, liaison_id: int, specialist_id: int, today: datetime.date | None = None, seed: int = 2026
) -> list[str]:
    """Events past and upcoming in every region, in English and Spanish, with registrations
    (one full, with a waitlist) and attendance; the liaison persona's library holds some.
    Safe to run again: an existing demo is left alone."""
    spec = demo_spec()
    titles = {item["title"] for item in spec["events"]}
    if Event.objects.filter(title__in=titles).exists():
        return [f"Events already there: {Event.objects.count()}."]
    today = today or timezone.localdate()
    rng = random.Random(seed)
    names = {"first": spec["first_names"], "last": spec["last_names"]}
    made = registered = attended = 0
    liaison_libraries = organizations_of_liaison(user_id=liaison_id)
    for region_index, region in enumerate(regions()):
        organization_ids = sorted(organizations_in_regions(region_codes=[region.code]))
        if not organization_ids:
            continue
        chosen = rng.sample(organization_ids, min(3, len(organization_ids)))
        for day_index, days in enumerate(DEMO_DAYS):
            item = spec["events"][(region_index * len(DEMO_DAYS) + day_index) % len(spec["events"])]
            organization_id = chosen[day_index % len(chosen)]
            event = _event_from(
                item,
                place=organization_places(organization_ids=[organization_id])[organization_id],
                organizer_id=specialist_id,
                starts_on=today + datetime.timedelta(days=days),
                hour=10 if day_index % 2 else 18,
                capacity=rng.choice((12, 20, 30)),
            )
            past = days < 0
            # The soonest upcoming event of each region is full, with a waitlist.
            people = event.capacity + 3 if days == 1 else rng.randint(4, event.capacity - 2)
            counts = _registrations(event, count=people, rng=rng, names=names, past=past)
            made, registered, attended = made + 1, registered + counts[0], attended + counts[1]
    for library_id in liaison_libraries:
        library = organization_places(organization_ids=[library_id])[library_id]
        for days, item in zip((-7, 5, 16), spec["events"][:3], strict=True):
            event = _event_from(
                item,
                place=library,
                organizer_id=liaison_id,
                starts_on=today + datetime.timedelta(days=days),
                hour=18,
                capacity=15,
            )
            counts = _registrations(
                event, count=rng.randint(6, 12), rng=rng, names=names, past=days < 0
            )
            made, registered, attended = made + 1, registered + counts[0], attended + counts[1]
    return [
        f"Events: {made} across {len(regions())} regions, {registered} registrations, "
        f"{attended} attended."
    ]


# --- Program kits ---
# Five kits from data/kits.json with a cover photo each, and a booked calendar around today:
# a kit out on loan, one overdue, one back with items missing and held until restocked,
# approved and requested loans ahead, and a request from Lucía's library for the specialist
# to approve. Safe to run again: a kit that exists, and a kit with reservations, are left alone.


KITS_FILE = Path(__file__).resolve().parent / "data" / "kits.json"


@dataclass(frozen=True)
class KitData:
    slug: str
    name: str
    name_es: str
    description: str
    description_es: str
    topics: list[str]
    languages: list[str]
    colour: tuple[int, int, int]
    items: list[tuple[str, str, int]]


def kits_data(path: Path = KITS_FILE) -> list[KitData]:
    raw = json.loads(path.read_text(encoding="utf-8"))
    return [
        KitData(
            slug=kit["slug"],
            name=kit["name"],
            name_es=kit["name_es"],
            description=kit["description"],
            description_es=kit["description_es"],
            topics=list(kit["topics"]),
            languages=list(kit["languages"]),
            colour=(kit["colour"][0], kit["colour"][1], kit["colour"][2]),
            items=[(name, name_es, int(quantity)) for name, name_es, quantity in kit["items"]],
        )
        for kit in raw["kits"]
    ]


def _cover_png(data: KitData) -> bytes:
    """A cover card: the kit's name in white on its colour, with the checklist's first lines."""
    image = Image.new("RGB", (800, 600), data.colour)
    draw = ImageDraw.Draw(image)
    title = ImageFont.load_default(size=44)
    body = ImageFont.load_default(size=26)
    draw.rectangle((30, 30, 770, 570), outline=(255, 255, 255), width=6)
    words, lines, line = data.name.split(), [], ""
    for word in words:
        candidate = f"{line} {word}".strip()
        if draw.textlength(candidate, font=title) > 700:
            lines.append(line)
            line = word
        else:
            line = candidate
    lines.append(line)
    y = 70
    for text in lines:
        draw.text((60, y), text, fill=(255, 255, 255), font=title)
        y += 58
    y += 30
    for name, _name_es, quantity in data.items[:5]:
        draw.text((60, y), f"{quantity} x {name}"[:48], fill=(255, 255, 255), font=body)
        y += 40
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def demo_kits_create(path: Path = KITS_FILE) -> list[str]:
    """Create the kits of the data file that do not exist yet; their slugs."""
    created = []
    for data in kits_data(path):
        kit, was_created = Kit.objects.get_or_create(
            slug=data.slug,
            defaults={
                "name": data.name,
                "name_es": data.name_es,
                "description": data.description,
                "description_es": data.description_es,
            },
        )
        if not was_created:
            continue
        created.append(kit.slug)
        for position, (name, name_es, quantity) in enumerate(data.items, start=1):
            KitItem.objects.create(
                kit=kit, position=position, name=name, name_es=name_es, quantity=quantity
            )
        for topic in data.topics:
            KitTopicTag.objects.create(kit=kit, topic=topic)
        for language in data.languages:
            KitLanguageTag.objects.create(kit=kit, language=language)
        photo = KitPhoto(
            kit=kit,
            position=1,
            alt_text=f"Cover card of the {data.name}, listing the first items of its contents.",
            alt_text_es=f"Tarjeta de portada del {data.name_es}, con los primeros artículos "
            "de su contenido (en inglés).",
        )
        photo.image.save(f"{kit.slug}.png", ContentFile(_cover_png(data)), save=False)
        photo.save()
    return created


def _borrowers(count: int) -> list[tuple[int, str]]:
    """Member organizations in different regions (by name within each), as (id, region)."""
    ids = [pk for pk, _label in organization_choices()]
    by_region: dict[str, int] = {}
    for pk, ref in sorted(organizations_get(organization_ids=ids).items()):
        if ref.region_code and ref.region_code not in by_region:
            by_region[ref.region_code] = pk
    return sorted(((pk, region) for region, pk in by_region.items()), key=lambda row: row[1])[
        :count
    ]


def _place(
    kit: Kit,
    *,
    organization_id: int,
    region_code: str,
    requested_by: int,
    ship_date: datetime.date,
    status: str,
    decided_by: Any = None,
) -> KitReservation:
    dates = kit_calendar.loan_dates(ship_date)
    now = timezone.now()
    shipped = status in ("shipped", "returned")
    return KitReservation.objects.create(
        kit=kit,
        organization_id=organization_id,
        region_code=region_code,
        requested_by_id=requested_by,
        ship_date=ship_date,
        due_date=dates.due_date,
        blocked_from=dates.blocked_from,
        blocked_until=dates.blocked_until,
        status=status,
        decided_at=now if status != "requested" else None,
        decided_by=decided_by if status != "requested" else None,
        shipped_at=now if shipped else None,
        shipped_by=decided_by if shipped else None,
        returned_at=now if status == "returned" else None,
        returned_by=decided_by if status == "returned" else None,
    )


def demo_kit_calendar_seed(*, people: dict[str, Any]) -> list[str]:
    """Book the demo kits' calendars around today (kits already booked are left alone)."""
    if KitReservation.objects.exists():
        return ["Kit calendar already booked."]
    today = timezone.localdate()
    staff = people["programstaff@tapestry.example"]
    liaison = people["liaison@tapestry.example"]
    borrowers = _borrowers(6)
    if len(borrowers) < 6:
        return ["Kit calendar not booked: load the network demo (seed_demo) first."]
    requesters = [
        person_ensure(
            email=f"kits.borrower{index}@example.org",
            name=name,
            language=language,
        )
        for index, (name, language) in enumerate(
            [
                ("Marcus Green", "en"),
                ("Ana Torres", "es"),
                ("Jenny Nguyen", "en"),
                ("Carlos Medina", "es"),
                ("Hannah Olson", "en"),
                ("Grace Kim", "en"),
            ]
        )
    ]
    kits = {kit.slug: kit for kit in Kit.objects.all()}

    def day(offset: int) -> datetime.date:
        return today + datetime.timedelta(days=offset)

    def book(slug: str, borrower: int, offset: int, status: str) -> KitReservation:
        organization_id, region = borrowers[borrower]
        return _place(
            kits[slug],
            organization_id=organization_id,
            region_code=region,
            requested_by=requesters[borrower],
            ship_date=day(offset),
            status=status,
            decided_by=staff,
        )

    lines = []
    book("all-of-us-precision-medicine", 0, -20, "shipped")
    book("all-of-us-precision-medicine", 1, 40, "approved")
    book("health-literacy-story-time", 2, -50, "shipped")  # due 8 days ago: overdue
    book("health-literacy-story-time", 3, 30, "approved")
    back = book("citizen-science-air-quality", 4, -70, "returned")
    sensors = kits["citizen-science-air-quality"].items.get(position=1)
    KitReturnItem.objects.create(reservation=back, item=sensors, missing=1, damaged=1)
    Kit.objects.filter(pk=back.kit_id).update(held=True, held_since=timezone.now())
    book("digital-health-literacy", 5, 20, "approved")
    book("digital-health-literacy", 1, 80, "requested")
    lines.append("Kits booked: on loan, overdue, held until restocked, approved and requested.")
    library = organizations_of_liaison(user_id=liaison.pk)
    if library:
        ref = organizations_get(organization_ids=library[:1])[library[0]]
        _place(
            kits["all-of-us-precision-medicine"],
            organization_id=ref.id,
            region_code=ref.region_code,
            requested_by=liaison.pk,
            ship_date=day(100),
            status="requested",
        )
        lines.append(f"{ref.name} asks for the All of Us kit: the specialist can approve it.")
    return lines


# --- Activity reports ---


DEMO_REPORTS_FILE = DATA_DIR / "demo_reports.json"
# The states a region's demo report goes through, region by region, so every state shows.
REPORT_STATES = (
    ActivityReport.Status.DRAFT,
    ActivityReport.Status.SUBMITTED,
    ActivityReport.Status.ACCEPTED,
    ActivityReport.Status.RETURNED,
)


def demo_reports_spec() -> dict[str, Any]:
    with DEMO_REPORTS_FILE.open(encoding="utf-8") as spec:
        loaded: dict[str, Any] = json.load(spec)
    return loaded


def _reviewer_of(region_code: str, specialist_id: int) -> int:
    covering = specialists_of_region(region_code=region_code)
    return specialist_id if specialist_id in covering or not covering else covering[0]


def _report_make(
    *,
    item: dict[str, Any],
    place: OrganizationPlace,
    author_id: int,
    reviewer_id: int,
    status: str,
    day: datetime.date,
    rows: list[tuple[int, str, str]],
    comments: dict[str, str],
    event: Event | None = None,
) -> ActivityReport:
    now = timezone.now()
    reviewed = status in (ActivityReport.Status.ACCEPTED, ActivityReport.Status.RETURNED)
    report = ActivityReport.objects.create(
        organization_id=place.id,
        region_code=place.region_code,
        author_id=author_id,
        activity_type=item["activity_type"],
        delivery=item["delivery"],
        activity_date=day,
        title=item["title"],
        event=event,
        status=status,
        submitted_at=None if status == ActivityReport.Status.DRAFT else now,
        reviewer_id=reviewer_id if reviewed else None,
        reviewed_at=now if reviewed else None,
        review_comments=comments[item["language"]]
        if status == ActivityReport.Status.RETURNED
        else "",
    )
    ActivityReportRow.objects.bulk_create(
        ActivityReportRow(report=report, participants=count, zip_code=zip_code, role=role)
        for count, zip_code, role in rows
    )
    return report


def demo_reports_seed(
    *, liaison_id: int, specialist_id: int, today: datetime.date | None = None, seed: int = 2026
) -> list[str]:
    """Activity reports in every state (draft, submitted, accepted, returned, resubmitted)
    across the regions, titled in English and Spanish; the liaison persona's library has one
    in each state, its accepted one filled from a past event's attendance. Safe to run again."""
    spec = demo_reports_spec()
    if ActivityReport.objects.filter(
        title__in=[item["title"] for item in spec["reports"]]
    ).exists():
        return [f"Activity reports already there: {ActivityReport.objects.count()}."]
    today = today or timezone.localdate()
    rng = random.Random(seed)
    roles = list(ProfessionalRole.values)
    made = 0
    with transaction.atomic():
        for index, region in enumerate(regions()):
            organization_ids = sorted(organizations_in_regions(region_codes=[region.code]))
            if not organization_ids:
                continue
            place = organization_places(organization_ids=[organization_ids[0]])[organization_ids[0]]
            item = spec["reports"][index % len(spec["reports"])]
            _report_make(
                item=item,
                place=place,
                author_id=liaison_id,
                reviewer_id=_reviewer_of(region.code, specialist_id),
                status=REPORT_STATES[index % len(REPORT_STATES)],
                day=today - datetime.timedelta(days=10 + index),
                rows=[(rng.randint(3, 25), place.zip_code, role) for role in rng.sample(roles, 3)],
                comments=spec["return_comments"],
            )
            made += 1
        for library_id in organizations_of_liaison(user_id=liaison_id):
            place = organization_places(organization_ids=[library_id])[library_id]
            past_event = (
                Event.objects.filter(organization_id=library_id, ends_at__lt=timezone.now())
                .order_by("-starts_at")
                .first()
            )
            statuses = (*REPORT_STATES, ActivityReport.Status.RESUBMITTED)
            for offset, status in enumerate(statuses):
                item = spec["reports"][(offset + 1) % len(spec["reports"])]
                event = past_event if status == ActivityReport.Status.ACCEPTED else None
                rows = (
                    [(row.participants, row.zip_code, row.role) for row in attendance_rows(event)]
                    if event is not None
                    else [(rng.randint(2, 18), place.zip_code, role) for role in roles[:2]]
                )
                _report_make(
                    item=item,
                    place=place,
                    author_id=liaison_id,
                    reviewer_id=_reviewer_of(place.region_code, specialist_id),
                    status=status,
                    day=event.starts_at.date()
                    if event
                    else today - datetime.timedelta(days=3 + offset),
                    rows=rows or [(5, place.zip_code, ProfessionalRole.COMMUNITY_MEMBER)],
                    comments=spec["return_comments"],
                    event=event,
                )
                made += 1
    return [f"Activity reports: {made}, in every state, across {len(regions())} regions."]


# --- Engagement requests ---


def demo_requests_seed(
    *, liaison_id: int, specialist_id: int, today: datetime.date | None = None
) -> list[str]:
    """A request in progress (in discussion) from the liaison persona's library to the
    specialists of its region, in Spanish, with a message thread and milestones."""
    spec = demo_reports_spec()["request"]
    if EngagementRequest.objects.filter(requester_id=liaison_id).exists():
        return [f"Engagement requests already there: {EngagementRequest.objects.count()}."]
    libraries = organizations_of_liaison(user_id=liaison_id)
    if not libraries:
        return ["Engagement requests: none (the liaison persona holds no library)."]
    today = today or timezone.localdate()
    library = organizations_get(organization_ids=[libraries[0]])[libraries[0]]
    handler_id = _reviewer_of(library.region_code, specialist_id)
    first, second, third = (today + datetime.timedelta(days=days) for days in spec["days_ahead"])
    with transaction.atomic():
        request = EngagementRequest.objects.create(
            requester_id=liaison_id,
            organization_id=library.id,
            state_code=library.state_code,
            region_code=library.region_code,
            specialist_id=handler_id,
            audience=spec["audience"],
            focus_area=spec["focus_area"],
            language=spec["language"],
            preferred_date_1=first,
            preferred_date_2=second,
            preferred_date_3=third,
            expected_attendance=spec["expected_attendance"],
            notes=spec["notes"],
            status=EngagementRequest.Status.IN_DISCUSSION,
        )
        for message in spec["messages"]:
            RequestMessage.objects.create(
                request=request,
                author_id=liaison_id if message["from"] == "liaison" else handler_id,
                body=message["body"],
            )
        for milestone in spec["milestones"]:
            RequestMilestone.objects.create(
                request=request,
                on=today - datetime.timedelta(days=milestone["days_ago"]),
                status=milestone.get("status", ""),
                note=milestone["note"],
                author_id=handler_id,
            )
    return [f"Engagement requests: 1 in discussion, {len(spec['messages'])} messages."]
