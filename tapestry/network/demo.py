"""Realistic, deterministic demo members for every state and territory."""

import datetime
import random

import zipcodes
from django.utils import timezone

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


def _places(rng: random.Random) -> list[dict]:
    """ZIP codes with a location, every state and territory first, then more by population."""
    rows = [
        r
        for r in zipcodes.list_all()
        if r["zip_code_type"] == "STANDARD" and r["lat"] and r["active"]
    ]
    by_state: dict[str, list[dict]] = {}
    for row in rows:
        by_state.setdefault(row["state"], []).append(row)
    first = [rng.choice(by_state[state]) for state in sorted(by_state)]
    return first + rng.sample(rows, 1000)


def demo_organizations_create(*, seed: int = 2026, today: datetime.date | None = None) -> int:
    """Create the demo members (about 400) unless members already exist. Returns how many."""
    if Organization.objects.exists():
        return 0
    rng = random.Random(seed)
    today = today or timezone.localdate()
    types = [org_type for org_type, n in DEMO_MIX.items() for _ in range(n)]
    rng.shuffle(types)
    places = _places(rng)
    valid_states = set(StateTerritory.objects.values_list("code", flat=True))
    organizations, seen = [], set()
    place_index = 0
    for org_type in types:
        while True:
            place = places[place_index % len(places)]
            place_index += 1
            if place["state"] not in valid_states:
                continue
            name = NAME_PATTERNS[org_type].format(
                city=place["city"].title(),
                county=(place["county"] or place["city"]).replace(" County", "") + " County",
                **{key: rng.choice(values) for key, values in WORDS.items()},
            )
            if (name.lower(), place["zip_code"]) not in seen:
                break
        seen.add((name.lower(), place["zip_code"]))
        services = {}
        for service in Service:
            if rng.random() < 0.55:
                services[service.value] = sorted(rng.sample(Audience.values, rng.randint(1, 3)))
        joined = today - datetime.timedelta(days=rng.randint(30, 365 * 20))
        # Most records were reviewed within the year; about one in eight is overdue.
        reviewed = max(joined, today - datetime.timedelta(days=rng.randint(0, 420)))
        liaison_first, liaison_last = rng.choice(FIRST), rng.choice(LAST)
        organizations.append(
            Organization(
                name=name,
                org_type=org_type,
                address_line1=f"{rng.randint(10, 9999)} {rng.choice(STREETS)}",
                city=place["city"].title(),
                state_id=place["state"],
                zip_code=place["zip_code"],
                phone=f"({rng.randint(201, 989)}) 555-{rng.randint(1000, 9999)}",
                website="https://example.org/" + "-".join(name.lower().split())[:60],
                library_id=f"{place['state']}{rng.randint(1000, 9999)}"
                if "library" in org_type
                else "",
                liaison_name=f"{liaison_first} {liaison_last}",
                liaison_email=f"{liaison_first.lower()}.{liaison_last.lower()}@example.org".replace(
                    "á", "a"
                )
                .replace("é", "e")
                .replace("í", "i"),
                services=services,
                latitude=float(place["lat"]),
                longitude=float(place["long"]),
                joined_on=joined,
                last_reviewed_on=reviewed,
                # Synthetic addresses at example.org: shown as if their liaisons confirmed them.
                liaison_email_confirmed_at=timezone.now(),
            )
        )
    for organization in organizations:
        organization.set_search_codes()
    Organization.objects.bulk_create(organizations, batch_size=500)
    return len(organizations)
