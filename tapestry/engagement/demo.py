"""Community engagement's demo data for `make demo`, one block per part."""

# --- Events ---

import csv
import datetime
import functools
import json
import random
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from tapestry.engagement.models import (
    Event,
    EventFormat,
    RegistrantRole,
    Registration,
    registration_token,
    token_hash,
    token_new,
)
from tapestry.network.api import (
    OrganizationPlace,
    organization_places,
    organizations_in_regions,
    organizations_of_liaison,
    regions,
)

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
