"""Realistic, deterministic demo members for every state and territory."""

import datetime
import math
import random
import unicodedata

from django.utils import timezone

from tapestry.core.geography import ZipPlace, ordinary_zip_places
from tapestry.network.models import (
    Audience,
    Organization,
    OrganizationType,
    Service,
    StateTerritory,
)

# The seed's mix: 11 resource, 183 hospital and academic, 35 public, 172 community and other.
DEMO_MIX = {
    OrganizationType.RESOURCE_LIBRARY: 11,
    OrganizationType.HOSPITAL_LIBRARY: 92,
    OrganizationType.ACADEMIC_LIBRARY: 91,
    OrganizationType.PUBLIC_LIBRARY: 35,
    OrganizationType.COMMUNITY_ORGANIZATION: 80,
    OrganizationType.GOVERNMENT_AGENCY: 25,
    OrganizationType.SOCIAL_SERVICE: 30,
    OrganizationType.K12_SCHOOL: 22,
    OrganizationType.OTHER: 15,
}

NAME_PATTERNS = {
    OrganizationType.RESOURCE_LIBRARY: "{city} Health Sciences Resource Library",
    OrganizationType.HOSPITAL_LIBRARY: "{city} {hospital} Medical Library",
    OrganizationType.ACADEMIC_LIBRARY: "{college} of {city} Health Sciences Library",
    OrganizationType.PUBLIC_LIBRARY: "{city} Public Library",
    OrganizationType.COMMUNITY_ORGANIZATION: "{city} {community}",
    OrganizationType.GOVERNMENT_AGENCY: "{county} Health Department",
    OrganizationType.SOCIAL_SERVICE: "{city} {social}",
    OrganizationType.K12_SCHOOL: "{city} {school}",
    OrganizationType.OTHER: "{city} {other}",
}
WORDS = {
    "hospital": [
        "General Hospital",
        "Regional Medical Center",
        "Children's Hospital",
        "Memorial Hospital",
        "Veterans Medical Center",
    ],
    "college": ["University", "Community College", "State University", "College"],
    "community": [
        "Community Health Alliance",
        "Promotoras Network",
        "Family Resource Center",
        "Health Equity Coalition",
        "Neighborhood Wellness Collective",
    ],
    "social": [
        "Senior Services",
        "Family Services",
        "Housing and Health Partnership",
        "Refugee Resettlement Services",
    ],
    "school": ["High School Library", "Unified School District", "Middle School Media Center"],
    "other": [
        "Science Museum",
        "Literacy Council",
        "Faith Community Nurses",
        "Tribal Health Program",
    ],
}
STREETS = [
    "Main St",
    "Oak Ave",
    "Maple St",
    "Washington Ave",
    "Park Blvd",
    "Lincoln Way",
    "Church St",
    "Elm St",
    "Calle Sol",
    "River Rd",
]
FIRST = [
    "Maria",
    "James",
    "Aisha",
    "Wei",
    "Carmen",
    "Robert",
    "Keisha",
    "Juan",
    "Linh",
    "Sarah",
    "Darnell",
    "Rosa",
    "Tom",
    "Priya",
    "Ana",
]
LAST = [
    "Garcia",
    "Johnson",
    "Nguyen",
    "Williams",
    "Hernández",
    "Brown",
    "Kim",
    "Davis",
    "Martínez",
    "Patel",
    "Lopez",
    "Wilson",
    "Chen",
    "Jackson",
    "Rivera",
]


def organizations_build(
    *, count: int, states: set[str], seed: int, today: datetime.date
) -> list[Organization]:
    """`count` realistic members, not yet saved, the same for the same arguments.

    Every state and territory in `states` gets one; the rest fall on distinct ordinary ZIP
    codes drawn at random (at most one per ZIP code, so `count` is capped near 30,000), so
    dense areas, which have more ZIP codes, get more members. Types follow the seed region's mix (DEMO_MIX) scaled to
    `count`. The demo and the benchmarks both build their members here.
    """
    rng = random.Random(seed)
    rows = [place for place in ordinary_zip_places() if place.state in states]
    by_state: dict[str, list[ZipPlace]] = {}
    for row in rows:
        by_state.setdefault(row.state, []).append(row)
    places = [rng.choice(by_state[state]) for state in sorted(by_state)]
    extra = max(0, min(count - len(places), len(rows)))
    places = (places + rng.sample(rows, k=extra))[:count]
    mix_total = sum(DEMO_MIX.values())
    types = [
        org_type
        for org_type, share in DEMO_MIX.items()
        for _ in range(math.ceil(share * count / mix_total))
    ]
    rng.shuffle(types)

    organizations: list[Organization] = []
    seen: set[tuple[str, str]] = set()
    for place, org_type in zip(places, types, strict=False):
        city = place.city.title()
        base = NAME_PATTERNS[org_type].format(
            city=city,
            county=(place.county or place.city).replace(" County", "") + " County",
            **{key: rng.choice(values) for key, values in WORDS.items()},
        )
        # Names are unique per ZIP code (the directory's duplicate check): number the repeats.
        name, suffix = base, 2
        while (name.lower(), place.zip_code) in seen:
            name, suffix = f"{base} {suffix}", suffix + 1
        seen.add((name.lower(), place.zip_code))
        services = {
            service.value: sorted(rng.sample(Audience.values, rng.randint(1, 3)))
            for service in Service
            if rng.random() < 0.55
        }
        joined = today - datetime.timedelta(days=rng.randint(30, 365 * 20))
        # Most records were reviewed within the year; about one in eight is overdue.
        reviewed = max(joined, today - datetime.timedelta(days=rng.randint(0, 420)))
        first, last = rng.choice(FIRST), rng.choice(LAST)
        organization = Organization(
            name=name,
            org_type=org_type,
            address_line1=f"{rng.randint(10, 9999)} {rng.choice(STREETS)}",
            city=city,
            state_id=place.state,
            zip_code=place.zip_code,
            phone=f"({rng.randint(201, 989)}) 555-{rng.randint(1000, 9999)}",
            website="https://example.org/" + "-".join(name.lower().split())[:60],
            library_id=f"{place.state}{rng.randint(1000, 9999)}" if "library" in org_type else "",
            liaison_name=f"{first} {last}",
            liaison_email=_email_address(f"{first}.{last}"),
            services=services,
            latitude=place.latitude,
            longitude=place.longitude,
            joined_on=joined,
            last_reviewed_on=reviewed,
            # Synthetic addresses at example.org: shown as if their liaisons confirmed them.
            liaison_email_confirmed_at=timezone.now(),
        )
        organization.set_search_codes()
        organizations.append(organization)
    return organizations


def _email_address(name: str) -> str:
    """An example.org address for a name, without accents ("Hernández" → "hernandez")."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return f"{plain.lower()}@example.org"


def demo_organizations_create(*, seed: int = 2026, today: datetime.date | None = None) -> int:
    """Create the demo members (about 400) unless members already exist. Returns how many."""
    if Organization.objects.exists():
        return 0
    organizations = organizations_build(
        count=sum(DEMO_MIX.values()),
        states=set(StateTerritory.objects.values_list("code", flat=True)),
        seed=seed,
        today=today or timezone.localdate(),
    )
    Organization.objects.bulk_create(organizations, batch_size=500)
    return len(organizations)
