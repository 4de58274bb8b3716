"""Who a staff member may see, and compliance counted in the database for the people they see.

`scope_of(user)` is the one place that decides which learners a staff user sees: program staff
and administrators everyone; a liaison the learners of the organizations they are liaison of
(`LearnerProfile.organization_id`); an engagement specialist the learners of the regions they
cover (`LearnerProfile.region_code`); anyone else nobody. Every staff page, the CSV and the API
go through it.

The counts are computed in one SQL statement (it runs on SQLite and PostgreSQL) with one row
per person in scope holding a role some requirement names: their role flags, their latest
completion of each required course family (the course and its translation) whose certificate
stands, and their active bypasses; each requirement's status is a CASE on those columns, by the
rules of `selectors.compliance_of` (which the tests use as the oracle), summed per group. See
benchmarks/README.md for the plan and its cost at 100,000 learners.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tapestry.accounts.api import Role, user_has_role
from tapestry.learning.models import (
    Bypass,
    Certificate,
    Completion,
    ComplianceMonth,
    Course,
    LearnerProfile,
    Requirement,
    Standing,
)
from tapestry.network import api as network_api

STAFF_ROLES = (Role.LIAISON, Role.ENGAGEMENT_SPECIALIST, Role.PROGRAM_STAFF, Role.ADMINISTRATOR)


# ---------------------------------------------------------------------------------------------
# Scope


@dataclass(frozen=True)
class Scope:
    """The learners a staff member may see: everyone, or those of some organizations and
    regions (a person who is both liaison and specialist sees both)."""

    everyone: bool = False
    organization_ids: tuple[int, ...] = ()
    region_codes: tuple[str, ...] = ()

    @property
    def nobody(self) -> bool:
        return not self.everyone and not self.organization_ids and not self.region_codes

    def key(self) -> str:
        """A short text naming the scope (for cache keys)."""
        if self.everyone:
            return "all"
        organizations = ",".join(str(pk) for pk in self.organization_ids)
        return f"o{organizations};r{','.join(self.region_codes)}"


def scope_of(user: Any) -> Scope:
    """The learners `user` may see (see the module's docstring)."""
    if user_has_role(user, Role.PROGRAM_STAFF, Role.ADMINISTRATOR):
        return Scope(everyone=True)
    organizations: tuple[int, ...] = ()
    regions: tuple[str, ...] = ()
    if user_has_role(user, Role.LIAISON):
        organizations = tuple(sorted(network_api.organizations_of_liaison(user_id=user.pk)))
    if user_has_role(user, Role.ENGAGEMENT_SPECIALIST):
        regions = tuple(sorted(network_api.region_codes_of_specialist(user_id=user.pk)))
    return Scope(organization_ids=organizations, region_codes=regions)


def is_staff(user: Any) -> bool:
    """Whether the staff pages are open to `user` at all (what they see is `scope_of`)."""
    return user_has_role(user, *STAFF_ROLES)


def can_bypass(user: Any) -> bool:
    """Only administrators bypass a requirement or withdraw a bypass."""
    return user_has_role(user, Role.ADMINISTRATOR)


def can_read_audit(user: Any) -> bool:
    return user_has_role(user, Role.PROGRAM_STAFF, Role.ADMINISTRATOR)


def _profile_filter(scope: Scope) -> Q:
    condition = Q(pk__in=[])
    if scope.organization_ids:
        condition |= Q(learner_profile__organization_id__in=scope.organization_ids)
    if scope.region_codes:
        condition |= Q(learner_profile__region_code__in=scope.region_codes)
    return condition


def people_in_scope(scope: Scope) -> QuerySet[Any]:
    """Active people the scope covers (users, for the staff pages to list and count)."""
    people = get_user_model().objects.filter(is_active=True)
    if scope.everyone:
        return people
    return people.filter(_profile_filter(scope))


def in_scope(scope: Scope, *, user_id: int) -> bool:
    """Whether the person with this id is an active person the scope covers."""
    return people_in_scope(scope).filter(pk=user_id).exists()


def requirement_roles() -> list[str]:
    return sorted(set(Requirement.objects.values_list("role", flat=True)))


def people_with_requirements(scope: Scope, *, search: str = "") -> QuerySet[Any]:
    """People in scope holding a role some requirement names, by name then email; `search`
    matches part of the name or the email."""
    people = people_in_scope(scope).filter(
        pk__in=Group.objects.filter(name__in=requirement_roles()).values("user")
    )
    if search:
        people = people.filter(Q(full_name__icontains=search) | Q(email__icontains=search))
    return people.order_by("full_name", "email", "pk")


# ---------------------------------------------------------------------------------------------
# The status of every (person, requirement) pair, in SQL: one row per person


@dataclass(frozen=True)
class _Plan:
    """The requirements as the SQL needs them: each with the index of its role and of its
    course family (the course and its translation, as `Course.family_ids` says)."""

    requirement_ids: list[int]
    requirement_roles: list[int]
    requirement_courses: list[int]
    requirement_families: list[int]
    roles: list[str]
    families: list[tuple[int, ...]]


def _plan() -> _Plan:
    requirements = list(
        Requirement.objects.select_related(
            "course__translation_of", "course__translation"
        ).order_by("pk")
    )
    roles = sorted({requirement.role for requirement in requirements})
    families: list[tuple[int, ...]] = []
    family_index = []
    for requirement in requirements:
        family = tuple(requirement.course.family_ids())
        if family not in families:
            families.append(family)
        family_index.append(families.index(family))
    return _Plan(
        requirement_ids=[requirement.pk for requirement in requirements],
        requirement_roles=[roles.index(requirement.role) for requirement in requirements],
        requirement_courses=[requirement.course_id for requirement in requirements],
        requirement_families=family_index,
        roles=roles,
        families=families,
    )


def _tables() -> dict[str, str]:
    user_model = get_user_model()
    quote = connection.ops.quote_name
    return {
        "user": quote(user_model._meta.db_table),
        "user_groups": quote(user_model.groups.through._meta.db_table),
        "group": quote(Group._meta.db_table),
        "completion": quote(Completion._meta.db_table),
        "certificate": quote(Certificate._meta.db_table),
        "bypass": quote(Bypass._meta.db_table),
        "profile": quote(LearnerProfile._meta.db_table),
        "standing": quote(Standing._meta.db_table),
        "month": quote(ComplianceMonth._meta.db_table),
    }


def _ids(values: Iterable[int]) -> str:
    """Ids written into the SQL: integers from our own tables, cast to be sure."""
    return ", ".join(str(int(value)) for value in values)


def _named(values: dict[str, Any], prefix: str, items: list[Any]) -> str:
    """Named placeholders for `items` (added to `values`), comma-separated."""
    names = []
    for index, item in enumerate(items):
        values[f"{prefix}_{index}"] = item
        names.append(f"%({prefix}_{index})s")
    return ", ".join(names) if names else "NULL"


def _scope_sql(scope: Scope, values: dict[str, Any], alias: str = "pr") -> str:
    """The condition on the rows (`alias`: a learner profile, standings or month figures, each
    with a region code and an organization id) of the people `scope` covers."""
    if scope.everyone:
        return "1 = 1"
    parts: list[str] = []
    if scope.organization_ids:
        organizations = _named(values, "organization", list(scope.organization_ids))
        parts.append(f"{alias}.organization_id IN ({organizations})")
    if scope.region_codes:
        regions = _named(values, "region", list(scope.region_codes))
        parts.append(f"{alias}.region_code IN ({regions})")
    return "(" + " OR ".join(parts) + ")" if parts else "1 = 0"


def _people_sql(
    scope: Scope,
    plan: _Plan,
    *,
    moments: dict[str, datetime.datetime],
    user_ids: list[int] | None,
    completion_columns: Callable[[int, str], list[str]],
    person_columns: list[str],
    completion_where: str = "",
    active_only: bool = True,
) -> tuple[str, dict[str, Any]]:
    """`WITH held, scoped, comp, byp, person AS (...)`: one row per person in scope (active
    ones only with `active_only`) holding a role some requirement names (`held`), with
    - `role_<i>`: 1 if they hold role i of `plan.roles`;
    - from `comp`, one row per person over their completions whose certificate stands, the
      columns `completion_columns(family index, "cp.course_id IN (...)")` makes;
    - from `byp`, per requirement k over the bypasses not withdrawn: `bypass_<k>` 1 if there
      is one, `bypass_forever_<k>` 1 if one has no end, `bypass_ends_<k>` the last end;
    - `person_columns`, computed from the above and from the named parameters `moments`
      (`%(end_0)s`...).
    Course and requirement ids are written into the text (integers); everything else is a
    parameter."""
    tables = _tables()
    adapt = connection.ops.adapt_datetimefield_value
    values: dict[str, Any] = {name: adapt(value) for name, value in moments.items()}
    values["active"] = True
    role_flags = ", ".join(
        f"MAX(CASE WHEN g.name = %(role_{index})s THEN 1 ELSE 0 END) AS role_{index}"
        for index in range(len(plan.roles))
    )
    held_where = f"g.name IN ({_named(values, 'role', plan.roles)})"
    narrowed = ""
    if user_ids is not None:
        held_where += f" AND ug.user_id IN ({_named(values, 'user', user_ids)})"
    where = _scope_sql(scope, values)
    if active_only:
        where += " AND u.is_active = %(active)s"
    if user_ids is not None or not scope.everyone:
        narrowed = "AND cp.user_id IN (SELECT user_id FROM scoped)"
    family_columns = ", ".join(
        column
        for index, family in enumerate(plan.families)
        for column in completion_columns(index, f"cp.course_id IN ({_ids(family)})")
    )
    every_course = _ids(sorted({pk for family in plan.families for pk in family}))
    bypass_columns = ", ".join(
        column
        for k, pk in enumerate(plan.requirement_ids)
        for column in (
            f"MAX(CASE WHEN b.requirement_id = {int(pk)} THEN 1 ELSE 0 END) AS bypass_{k}",
            f"MAX(CASE WHEN b.requirement_id = {int(pk)} AND b.ends_on IS NULL THEN 1 ELSE 0 END)"
            f" AS bypass_forever_{k}",
            f"MAX(CASE WHEN b.requirement_id = {int(pk)} THEN b.ends_on END) AS bypass_ends_{k}",
        )
    )
    roles = ", ".join(f"held.role_{index} AS role_{index}" for index in range(len(plan.roles)))
    sql = f"""
    WITH held AS (
        SELECT ug.user_id AS user_id, {role_flags}
        FROM {tables["user_groups"]} ug
        JOIN {tables["group"]} g ON g.id = ug.group_id
        WHERE {held_where}
        GROUP BY ug.user_id
    ),
    scoped AS (
        SELECT held.*, COALESCE(pr.region_code, '') AS region_code,
               pr.organization_id AS organization_id
        FROM held
        JOIN {tables["user"]} u ON u.id = held.user_id
        LEFT JOIN {tables["profile"]} pr ON pr.user_id = held.user_id
        WHERE {where}
    ),
    comp AS (
        SELECT cp.user_id AS user_id, {family_columns}
        FROM {tables["completion"]} cp
        WHERE cp.course_id IN ({every_course}) {completion_where} {narrowed}
          AND NOT EXISTS (
              SELECT 1 FROM {tables["certificate"]} cert
              WHERE cert.completion_id = cp.id AND cert.revoked_at IS NOT NULL
          )
        GROUP BY cp.user_id
    ),
    byp AS (
        SELECT b.user_id AS user_id, {bypass_columns}
        FROM {tables["bypass"]} b
        WHERE b.withdrawn_at IS NULL {narrowed.replace("cp.", "b.")}
        GROUP BY b.user_id
    ),
    person AS (
        SELECT held.user_id AS user_id, held.region_code AS region_code,
               held.organization_id AS organization_id, {roles},
               {", ".join(person_columns)}
        FROM scoped held
        LEFT JOIN comp ON comp.user_id = held.user_id
        LEFT JOIN byp ON byp.user_id = held.user_id
    )
    """  # noqa: S608 (table names, generated column names and integer ids; values are parameters)
    return sql, values


def _latest_columns(index: int, in_family: str) -> list[str]:
    # The latest completion's dates: a family's completions all expire the same number of days
    # after they are made (or never), so the latest made is also the last to expire.
    return [
        f"MAX(cp.completed_at) FILTER (WHERE {in_family}) AS done_{index}",
        f"MAX(cp.expires_at) FILTER (WHERE {in_family}) AS ends_{index}",
        f"COUNT(*) FILTER (WHERE {in_family} AND cp.expires_at IS NULL) AS forever_{index}",
    ]


# ---------------------------------------------------------------------------------------------
# Standings: the (person, requirement) rows the report counts, kept up to date


def _standing_insert(plan: _Plan, *, user_ids: list[int] | None) -> tuple[str, dict[str, Any]]:
    """INSERT the standing rows of everyone (or of `user_ids`) from their roles, completions
    and bypasses: one SELECT per requirement over the people holding its role."""
    columns = []
    for family in range(len(plan.families)):
        columns += [
            f"comp.done_{family} AS done_{family}",
            f"comp.ends_{family} AS ends_{family}",
            f"COALESCE(comp.forever_{family}, 0) AS forever_{family}",
        ]
    for k in range(len(plan.requirement_ids)):
        columns += [
            f"COALESCE(byp.bypass_{k}, 0) AS bypass_{k}",
            f"COALESCE(byp.bypass_forever_{k}, 0) AS bypass_forever_{k}",
            f"byp.bypass_ends_{k} AS bypass_ends_{k}",
        ]
    sql, values = _people_sql(
        Scope(everyone=True),
        plan,
        moments={},
        user_ids=user_ids,
        completion_columns=_latest_columns,
        person_columns=columns,
        active_only=False,
    )

    def none_before(k: int, same_course: bool) -> str:
        earlier = [
            f"role_{plan.requirement_roles[j]}"
            for j in range(k)
            if not same_course or plan.requirement_courses[j] == plan.requirement_courses[k]
        ]
        return f"({' + '.join(earlier)}) = 0" if earlier else "1 = 1"

    selects = []
    for k, requirement_id in enumerate(plan.requirement_ids):
        family = plan.requirement_families[k]
        selects.append(
            f"""SELECT user_id, {int(requirement_id)}, {int(plan.requirement_courses[k])},
                region_code, organization_id, done_{family}, ends_{family},
                forever_{family} > 0, bypass_{k} = 1,
                CASE WHEN bypass_forever_{k} = 1 THEN NULL ELSE bypass_ends_{k} END,
                {none_before(k, same_course=False)}, {none_before(k, same_course=True)}
            FROM person WHERE role_{plan.requirement_roles[k]} = 1"""  # noqa: S608 (integers)
        )
    insert = f"""INSERT INTO {_tables()["standing"]} (user_id, requirement_id, course_id,
        region_code, organization_id, done_at, ends_at, forever, bypassed, bypass_ends_on,
        first_of_person, first_of_course)
    {sql} {" UNION ALL ".join(selects)}"""
    return insert, values


def _standing_write(*, user_ids: list[int] | None) -> None:
    plan = _plan()
    with connection.cursor() as cursor:
        table = _tables()["standing"]
        if user_ids is None:
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608
        else:
            values: dict[str, Any] = {}
            cursor.execute(
                f"DELETE FROM {table} WHERE user_id IN ({_named(values, 'user', user_ids)})",  # noqa: S608
                values,
            )
        if plan.requirement_ids:
            sql, parameters = _standing_insert(plan, user_ids=user_ids)
            cursor.execute(sql, parameters)


# An arbitrary number naming the standings' locks among PostgreSQL's advisory locks.
_STANDING_LOCK = 2020


@transaction.atomic
def standing_refresh(*, user_ids: Iterable[int]) -> None:
    """Work out again the standing rows of these people, in the caller's transaction: call it
    after any change to their completions, certificates, bypasses, roles or learner profile.
    Two transactions refreshing one person take turns (a PostgreSQL advisory lock per person;
    SQLite has one writer at a time)."""
    ids = sorted({int(pk) for pk in user_ids})
    if not ids:
        return
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for user_id in ids:
                cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_STANDING_LOCK, user_id])
    _standing_write(user_ids=ids)


@transaction.atomic
def standing_rebuild() -> None:
    """Work out every standing row again: after a change of requirements or of the courses'
    translations, and daily (roles given or taken away in the Django admin reach the report
    here). Refreshes wait for it."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("LOCK TABLE " + _tables()["standing"] + " IN EXCLUSIVE MODE")
    _standing_write(user_ids=None)


def standing_rebuild_on_commit() -> None:
    """Rebuild once the caller's transaction commits (a requirement or a translation changed)."""
    transaction.on_commit(standing_rebuild)


# A requirement's standing for one person, as one small number, so that the counts are one
# GROUP BY over a few columns.
CODES = {
    0: ("compliant", True, True),  # (status, met by a bypass, has a standing completion)
    1: ("compliant", True, False),
    2: ("compliant", False, True),
    3: ("expiring", False, True),
    4: ("expired", False, True),
    5: ("missing", False, False),
}

# A standing row's code today, by the rules of `selectors.compliance_of` (the tests' oracle).
STATUS_SQL = """CASE
    WHEN s.bypassed AND (s.bypass_ends_on IS NULL OR s.bypass_ends_on >= %(today)s) THEN
        CASE WHEN s.done_at IS NULL THEN 1 ELSE 0 END
    WHEN s.done_at IS NULL THEN 5
    WHEN s.forever THEN 2
    WHEN s.ends_at <= %(now_at)s THEN 4
    WHEN s.done_at <= %(renewal_at)s THEN 3
    ELSE 2 END"""


def _standing_values(now: datetime.datetime) -> dict[str, Any]:
    adapt = connection.ops.adapt_datetimefield_value
    renewal = now - datetime.timedelta(days=settings.LEARNING_RENEWAL_OPENS_DAY)
    return {
        "now_at": adapt(now),
        "renewal_at": adapt(renewal),
        "today": connection.ops.adapt_datefield_value(timezone.localdate(now)),
        "active": True,
    }


def _rows(sql: str, parameters: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Run a report query. On PostgreSQL, in a transaction of its own settings: enough memory
    for its hash tables (LEARNING_REPORT_WORK_MEM; the default 4 MB spills 100,000 people to
    disk) and no JIT compilation, which the planner's estimates of these generated queries
    trigger and which cost seconds (see benchmarks/README.md)."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT set_config('work_mem', %s, true)", [settings.LEARNING_REPORT_WORK_MEM]
            )
            cursor.execute("SET LOCAL jit = off")
            cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        cursor.execute(sql, parameters)
        return list(cursor.fetchall())


@dataclass
class Counts:
    """Statuses counted over (person, requirement) pairs."""

    compliant: int = 0
    expiring: int = 0
    expired: int = 0
    missing: int = 0
    # Pairs met by a bypass (counted as compliant too), and pairs with a standing completion.
    bypassed: int = 0
    completed: int = 0
    people: int = 0

    @property
    def total(self) -> int:
        return self.compliant + self.expiring + self.expired + self.missing

    @property
    def current_percent(self) -> int:
        """The share of pairs that count today (compliant or expiring), rounded."""
        return round(100 * (self.compliant + self.expiring) / self.total) if self.total else 0

    def add_code(self, code: int, count: int) -> None:
        """Add `count` pairs of one standing (see CODES)."""
        status, bypassed, completed = CODES[code]
        setattr(self, status, getattr(self, status) + count)
        self.bypassed += count if bypassed else 0
        self.completed += count if completed else 0


def counts_by_person(
    *, user_ids: Iterable[int], now: datetime.datetime | None = None
) -> dict[int, Counts]:
    """Status counts of each of these people (the caller has scoped them already)."""
    ids = [int(pk) for pk in user_ids]
    result: dict[int, Counts] = {user_id: Counts(people=1) for user_id in ids}
    if not ids:
        return result
    values = _standing_values(now or timezone.now())
    sql = f"""SELECT s.user_id, {STATUS_SQL} FROM {_tables()["standing"]} s
        WHERE s.user_id IN ({_named(values, "user", ids)})"""  # noqa: S608
    for user_id, code in _rows(sql, values):
        result[user_id].add_code(int(code), 1)
    return result


class Grouping:
    ROLE = "role"
    REGION = "region"
    ORGANIZATION = "organization"
    COURSE = "course"

    choices = [
        (ROLE, _("Role")),
        (REGION, _("Region")),
        (ORGANIZATION, _("Organization")),
        (COURSE, _("Course")),
    ]
    column = {
        ROLE: "role",
        REGION: "region_code",
        ORGANIZATION: "organization_id",
        COURSE: "course_id",
    }


@dataclass
class GroupRow:
    key: Any
    label: str
    counts: Counts = field(default_factory=Counts)


def compliance_counts(
    scope: Scope, *, grouping: str, now: datetime.datetime | None = None
) -> list[GroupRow]:
    """Status counts per role, region, organization or course for the active people in
    `scope`, by label; people with no region or organization make a group of their own. Each
    person counts once per requirement of the roles they hold. Read from the standing rows:
    one GROUP BY of (group, code), with the people counted on the rows marked first of their
    person (or of their person and course; by role, the rows of the role's first requirement)."""
    if scope.nobody:
        return []
    tables = _tables()
    values = _standing_values(now or timezone.now())
    key = {
        Grouping.ROLE: "s.requirement_id",
        Grouping.REGION: "s.region_code",
        Grouping.ORGANIZATION: "s.organization_id",
        Grouping.COURSE: "s.course_id",
    }[grouping]
    first = "s.first_of_course" if grouping == Grouping.COURSE else "s.first_of_person"
    sql = f"""SELECT {key}, {STATUS_SQL} AS code, COUNT(*),
            SUM(CASE WHEN {first} THEN 1 ELSE 0 END)
        FROM {tables["standing"]} s JOIN {tables["user"]} u ON u.id = s.user_id
        WHERE u.is_active = %(active)s AND {_scope_sql(scope, values, "s")}
        GROUP BY {key}, code"""  # noqa: S608 (table names and fixed columns; values are parameters)
    rows = _rows(sql, values)
    groups: dict[Any, GroupRow] = {}
    if grouping == Grouping.ROLE:
        requirements = list(Requirement.objects.order_by("pk").values_list("pk", "role"))
        role_of = dict(requirements)
        # Every holder of a role has a row for each of its requirements: count the first's.
        counted = {role: pk for pk, role in reversed(requirements)}
    for group_key, code, pairs, firsts in rows:
        if grouping == Grouping.ROLE:
            role = role_of.get(group_key)
            if role is None:  # a requirement removed since this query began
                continue
            row = groups.setdefault(role, GroupRow(key=role, label=""))
            row.counts.people += int(pairs) if counted[role] == group_key else 0
        else:
            row = groups.setdefault(group_key, GroupRow(key=group_key, label=""))
            row.counts.people += int(firsts or 0)
        row.counts.add_code(int(code), int(pairs))
    _label(groups, grouping)
    return sorted(groups.values(), key=lambda row: (row.label.casefold(), str(row.key)))


def _label(groups: dict[Any, GroupRow], grouping: str) -> None:
    from django.utils.translation import get_language

    nothing = str(_("None given"))
    if grouping == Grouping.ROLE:
        labels = {role.value: str(role.label) for role in Role}
        for row in groups.values():
            row.label = labels.get(row.key, row.key)
    elif grouping == Grouping.REGION:
        regions = {region.code: region for region in network_api.regions()}
        for row in groups.values():
            region = regions.get(row.key)
            row.label = region.display_name(get_language()) if region else (row.key or nothing)
    elif grouping == Grouping.ORGANIZATION:
        organizations = network_api.organizations_get(
            organization_ids=[key for key in groups if key is not None]
        )
        for row in groups.values():
            organization = organizations.get(row.key)
            row.label = organization.name if organization else nothing
    else:
        titles = dict(Course.objects.filter(pk__in=list(groups)).values_list("pk", "title"))
        for row in groups.values():
            row.label = titles.get(row.key, str(row.key))


def totals(rows: Iterable[GroupRow]) -> Counts:
    """The groups' counts added up (people are not: one person may be in several groups)."""
    total = Counts()
    for row in rows:
        for name in ("compliant", "expiring", "expired", "missing", "bypassed", "completed"):
            setattr(total, name, getattr(total, name) + getattr(row.counts, name))
    return total


def csv_rows(rows: list[GroupRow], *, grouping: str) -> Iterator[list[Any]]:
    """The report as CSV rows: a header, then one row per group."""
    label = dict(Grouping.choices)[grouping]
    yield [
        str(label),
        str(_("People")),
        str(_("Requirements")),
        str(_("Compliant")),
        str(_("Expiring")),
        str(_("Expired")),
        str(_("Missing")),
        str(_("Met by a bypass")),
        str(_("With a completion")),
        str(_("Percent current")),
    ]
    for row in rows:
        counts = row.counts
        yield [
            row.label,
            counts.people,
            counts.total,
            counts.compliant,
            counts.expiring,
            counts.expired,
            counts.missing,
            counts.bypassed,
            counts.completed,
            counts.current_percent,
        ]


# ---------------------------------------------------------------------------------------------
# Compliance over time


@dataclass(frozen=True)
class MonthPoint:
    month_end: datetime.date
    current: int
    total: int

    @property
    def percent(self) -> int:
        return round(100 * self.current / self.total) if self.total else 0


def month_ends(*, today: datetime.date, count: int = 12) -> list[datetime.date]:
    """The last day of each of the `count` months before today's month, oldest first."""
    ends = []
    day = today.replace(day=1)
    for _index in range(count):
        day = day - datetime.timedelta(days=1)
        ends.append(day)
        day = day.replace(day=1)
    return list(reversed(ends))


def _end_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(
        datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min)
    )


def compliance_over_time(scope: Scope, *, today: datetime.date | None = None) -> list[MonthPoint]:
    """For the end of each of the last 12 months, the (person, requirement) pairs in scope and
    how many of them were current then, from the figures recorded for each month
    (`compliance_months_record`, which records any month not yet recorded first)."""
    ends = month_ends(today=today or timezone.localdate())
    if scope.nobody:
        return [MonthPoint(end, 0, 0) for end in ends]
    compliance_months_record(ends=ends)
    values: dict[str, Any] = {}
    sql = f"""SELECT m.month_end, SUM(m.current), SUM(m.pairs) FROM {_tables()["month"]} m
        WHERE m.month_end IN ({_named(values, "end", [connection.ops.adapt_datefield_value(end) for end in ends])})
          AND {_scope_sql(scope, values, "m")}
        GROUP BY m.month_end"""  # noqa: S608 (table name; values are parameters)
    sums = {}
    for month_end, current, pairs in _rows(sql, values):
        if isinstance(month_end, str):  # SQLite gives dates back as text here
            month_end = datetime.date.fromisoformat(month_end)
        sums[month_end] = (int(current or 0), int(pairs or 0))
    return [MonthPoint(end, *sums.get(end, (0, 0))) for end in ends]


def compliance_months_record(*, ends: list[datetime.date]) -> None:
    """Record the chart's figures for each month end of `ends` not yet recorded, per region and
    organization: of the (person, requirement) pairs of the active people today, how many had
    a completion of the course (or its translation) valid at the month's end (made by then,
    expiring after) whose certificate stands. Bypasses and past roles are not counted: the
    trail of roles granted is not kept. Once recorded, a month stays as it was (the daily job
    records each month as it ends). Two processes recording at once write the same figures;
    the unique constraint keeps one."""
    recorded = set(
        ComplianceMonth.objects.filter(month_end__in=ends)
        .values_list("month_end", flat=True)
        .distinct()
    )
    missing = [end for end in ends if end not in recorded]
    plan = _plan()
    if not missing:
        return
    points: dict[tuple[datetime.date, str, int], ComplianceMonth] = {
        (end, "", 0): ComplianceMonth(month_end=end) for end in missing
    }
    if plan.requirement_ids:
        for region_code, organization_id, pairs, *currents in _month_rows(plan, missing):
            for end, current in zip(missing, currents, strict=True):
                key = (end, region_code or "", int(organization_id or 0))
                point = points.setdefault(
                    key,
                    ComplianceMonth(month_end=end, region_code=key[1], organization_id=key[2]),
                )
                point.current = int(current or 0)
                point.pairs = int(pairs or 0)
    ComplianceMonth.objects.bulk_create(points.values(), ignore_conflicts=True)


def _month_rows(plan: _Plan, ends: list[datetime.date]) -> list[tuple[Any, ...]]:
    """Per region and organization: the pairs today and, per month end, those current then."""
    moments = {f"end_{index}": _end_of(end) for index, end in enumerate(ends)}

    def covered(index: int, in_family: str) -> list[str]:
        return [
            f"""MAX(CASE WHEN {in_family} AND cp.completed_at < %(end_{month})s
                AND (cp.expires_at IS NULL OR cp.expires_at >= %(end_{month})s)
                THEN 1 ELSE 0 END) AS covered_{index}_{month}"""
            for month in range(len(ends))
        ]

    person_columns = []
    for month in range(len(ends)):
        terms = " + ".join(
            f"CASE WHEN held.role_{plan.requirement_roles[k]} = 1"
            f" AND comp.covered_{plan.requirement_families[k]}_{month} = 1 THEN 1 ELSE 0 END"
            for k in range(len(plan.requirement_ids))
        )
        person_columns.append(f"{terms} AS current_{month}")
    pairs = " + ".join(
        f"held.role_{plan.requirement_roles[k]}" for k in range(len(plan.requirement_ids))
    )
    person_columns.append(f"{pairs} AS pairs")
    sql, parameters = _people_sql(
        Scope(everyone=True),
        plan,
        moments=moments,
        user_ids=None,
        completion_columns=covered,
        person_columns=person_columns,
        # Only completions that could cover one of the months.
        completion_where=f"AND cp.completed_at < %(end_{len(ends) - 1})s"
        " AND (cp.expires_at IS NULL OR cp.expires_at >= %(end_0)s)",
    )
    sums = ", ".join(f"SUM(current_{month})" for month in range(len(ends)))
    sql += f"""SELECT region_code, organization_id, SUM(pairs), {sums} FROM person
        GROUP BY region_code, organization_id"""  # noqa: S608
    return _rows(sql, parameters)
