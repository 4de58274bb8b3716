"""A cohort definition: what the cohort builder, the count API and Circe import/export share.

Plain Python, no Django and no Ibis: `definition_parse(data)` checks a JSON-shaped value and
returns a `CohortDefinition`, or raises `DefinitionError` naming the path of the first problem
("include[0].items[2].value.min: must be a number"). `definition_dump` writes it back; the two
round-trip. The engine (`cohort.py`) compiles a definition through Ibis; it checks what only
the warehouse knows (that a concept exists, in the right domain).

The JSON (version 1):

    {"version": 1,
     "include": [{"items": [CRITERION, ...]}, ...],
     "exclude": [{"items": [CRITERION, ...]}, ...]}

The cohort is the participants who match every include group and no exclude group; a person
matches a group when they match at least one of its items (groups AND-ed, items OR-ed). No
include group at all means every participant.

An event criterion (conditions, drugs, measurements, procedures, observations from health
records):

    {"domain": "condition", "concept_id": 201826, "descendants": true,
     "excluded": [{"concept_id": 443729, "descendants": true}],   taken out of the concept set
     "value": {"min": 6.5, "max": 9},                     measurement only; "above"/"below"
                                                          instead of "min"/"max" exclude the bound
     "age_at_event": {"min": 18, "max": 64},              whole years, inclusive
     "occurrences": {"min": 2},                            matching events (rows), at least
     "event_date": {"from": "2015-01-01", "to": "2020-12-31"},
     "temporal": {"relation": "within", "days": 365, "anchor": CRITERION,
                  "anchor_occurrence": "any"}}            or "first": the anchor's first event

An event matches the criterion when its concept is in the concept set (the concept, with
`descendants` its descendants too, less the `excluded` concepts and, with their `descendants`,
theirs) and every given modifier holds; the person matches when at least `occurrences.min`
(default 1) of their events match. `temporal` relates each matching event to an event of the
anchor (itself an event criterion without `temporal`: one level only) of the same person:
"within" = from N days before the anchor's date to N days after, "before" = from N days before
to the anchor's day, "after" = from the anchor's day to N days after (the same day counts, as
in Circe's windows); with "anchor_occurrence": "first" only the anchor's first matching event
(by date) counts, as Circe's "first event" primary criteria limit.

A survey criterion: `{"domain": "survey", "question": "annual_income", "answers":
["income_less_10k", ...]}`: any of the answers, on any survey.

A demographic criterion: `{"domain": "demographic", "field": FIELD, ...}` with
- "age": `{"min": 40, "max": 64}`, age at consent in whole years, inclusive;
- "sex": `{"values": ["female", ...]}` of SEX_VALUES (sex at birth);
- "race": `{"values": [...]}` of RACE_VALUES (the one race answered, or "more_than_one");
- "ethnicity": `{"values": [...]}` of ETHNICITY_VALUES;
- "ubr": `{"values": [...]}` of UBR_VALUES: underrepresented in that category.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass
from typing import Any, Literal

VERSION = 1
EVENT_DOMAINS = ("condition", "drug", "measurement", "procedure", "observation")
DOMAINS = (*EVENT_DOMAINS, "survey", "demographic")
RELATIONS = ("within", "before", "after")
DEMOGRAPHIC_FIELDS = ("age", "sex", "race", "ethnicity", "ubr")
SEX_VALUES = ("male", "female", "intersex", "other", "unknown")
RACE_VALUES = (
    "aian",
    "asian",
    "black",
    "hispanic",
    "mena",
    "nhpi",
    "white",
    "none_of_these",
    "more_than_one",
    "unknown",
)
ETHNICITY_VALUES = ("hispanic_latino", "not_hispanic_latino", "not_answered")
UBR_VALUES = (
    "race_ethnicity",
    "age",
    "sex_at_birth",
    "sexual_orientation_gender_identity",
    "income",
    "education",
    "rural",
    "disability",
    "access_to_care",
)

# Limits: a definition past them is refused (a clear 400), never run.
MAX_GROUPS = 20  # include and exclude groups together
MAX_ITEMS = 100  # items in all groups together
MAX_VALUES = 50  # answers or values in one criterion
MAX_DAYS = 36_500
MAX_AGE = 130
MAX_OCCURRENCES = 1_000
MAX_CONCEPT_ID = 2**31 - 1
MAX_CODE_LENGTH = 60
MIN_DATE = datetime.date(1900, 1, 1)
MAX_DATE = datetime.date(2100, 12, 31)


class DefinitionError(ValueError):
    """A definition that cannot be run; `path` says where ("include[0].items[1].concept_id")."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path
        self.message = message


@dataclass(frozen=True)
class Range:
    """Bounds, inclusive unless marked exclusive; None is unbounded."""

    min: float | None = None
    max: float | None = None
    min_exclusive: bool = False  # JSON "above"
    max_exclusive: bool = False  # JSON "below"


@dataclass(frozen=True)
class ConceptRef:
    concept_id: int
    descendants: bool = True


@dataclass(frozen=True)
class DateRange:
    start: datetime.date | None = None  # JSON "from"
    end: datetime.date | None = None  # JSON "to"


@dataclass(frozen=True)
class Temporal:
    relation: Literal["within", "before", "after"]
    days: int
    anchor: EventCriterion
    anchor_occurrence: Literal["any", "first"] = "any"


@dataclass(frozen=True)
class EventCriterion:
    domain: str  # one of EVENT_DOMAINS
    concept_id: int
    descendants: bool = True
    excluded: tuple[ConceptRef, ...] = ()
    value: Range | None = None
    age_at_event: Range | None = None
    occurrences: int = 1
    event_date: DateRange | None = None
    temporal: Temporal | None = None


@dataclass(frozen=True)
class SurveyCriterion:
    question: str
    answers: tuple[str, ...]
    domain: str = "survey"


@dataclass(frozen=True)
class DemographicCriterion:
    field: str  # one of DEMOGRAPHIC_FIELDS
    values: tuple[str, ...] = ()  # sex, race, ethnicity, ubr
    age: Range | None = None  # age
    domain: str = "demographic"


Criterion = EventCriterion | SurveyCriterion | DemographicCriterion


@dataclass(frozen=True)
class Group:
    items: tuple[Criterion, ...]


@dataclass(frozen=True)
class CohortDefinition:
    include: tuple[Group, ...] = ()
    exclude: tuple[Group, ...] = ()
    version: int = VERSION

    def criteria(self) -> list[Criterion]:
        """Every item of every group, include groups first."""
        return [item for group in (*self.include, *self.exclude) for item in group.items]

    def concept_ids(self) -> set[int]:
        """Every concept the definition names, anchors included."""
        ids = set()
        for item in self.criteria():
            if isinstance(item, EventCriterion):
                for event in (item, item.temporal.anchor if item.temporal else None):
                    if event is not None:
                        ids.add(event.concept_id)
                        ids.update(ref.concept_id for ref in event.excluded)
        return ids


# --- parsing -------------------------------------------------------------------------------


def definition_parse(data: Any) -> CohortDefinition:
    """Check a JSON-shaped value and build the definition; DefinitionError on the first fault."""
    obj = _object(data, "", required=(), optional=("version", "include", "exclude", "name"))
    version = obj.get("version", VERSION)
    if version != VERSION or isinstance(version, bool):
        raise DefinitionError("version", f"must be {VERSION}")
    include = _groups(obj.get("include", []), "include")
    exclude = _groups(obj.get("exclude", []), "exclude")
    if len(include) + len(exclude) > MAX_GROUPS:
        raise DefinitionError("", f"at most {MAX_GROUPS} groups in all")
    definition = CohortDefinition(include=include, exclude=exclude)
    if len(definition.criteria()) > MAX_ITEMS:
        raise DefinitionError("", f"at most {MAX_ITEMS} items in all groups together")
    return definition


def _groups(value: Any, path: str) -> tuple[Group, ...]:
    if not isinstance(value, list):
        raise DefinitionError(path, "must be a list of groups")
    if len(value) > MAX_GROUPS:
        raise DefinitionError(path, f"at most {MAX_GROUPS} groups")
    groups = []
    for index, raw in enumerate(value):
        group_path = f"{path}[{index}]"
        obj = _object(raw, group_path, required=("items",), optional=("name",))
        items = obj["items"]
        if not isinstance(items, list) or not items:
            raise DefinitionError(f"{group_path}.items", "must be a list of at least one item")
        if len(items) > MAX_ITEMS:
            raise DefinitionError(f"{group_path}.items", f"at most {MAX_ITEMS} items")
        groups.append(
            Group(
                tuple(
                    _criterion(item, f"{group_path}.items[{i}]", anchor=False)
                    for i, item in enumerate(items)
                )
            )
        )
    return tuple(groups)


_EVENT_KEYS = (
    "descendants",
    "excluded",
    "value",
    "age_at_event",
    "occurrences",
    "event_date",
    "temporal",
    "label",
)


def _criterion(value: Any, path: str, *, anchor: bool) -> Criterion:
    if not isinstance(value, dict):
        raise DefinitionError(path, "must be an object")
    domain = value.get("domain")
    if domain not in DOMAINS or (anchor and domain not in EVENT_DOMAINS):
        allowed = EVENT_DOMAINS if anchor else DOMAINS
        raise DefinitionError(f"{path}.domain", f"must be one of {', '.join(allowed)}")
    if domain == "survey":
        obj = _object(value, path, required=("domain", "question", "answers"), optional=("label",))
        return SurveyCriterion(
            question=_code(obj["question"], f"{path}.question"),
            answers=_codes(obj["answers"], f"{path}.answers", allowed=None),
        )
    if domain == "demographic":
        return _demographic(value, path)
    if anchor and "temporal" in value:
        raise DefinitionError(f"{path}.temporal", "an anchor cannot have its own temporal relation")
    obj = _object(value, path, required=("domain", "concept_id"), optional=_EVENT_KEYS)
    if domain != "measurement" and obj.get("value") is not None:
        raise DefinitionError(f"{path}.value", "only a measurement has a value range")
    occurrences = _object(
        obj.get("occurrences") or {"min": 1}, f"{path}.occurrences", required=("min",)
    )
    temporal = None
    if obj.get("temporal") is not None:
        raw = _object(
            obj["temporal"],
            f"{path}.temporal",
            required=("relation", "days", "anchor"),
            optional=("anchor_occurrence",),
        )
        if raw.get("anchor_occurrence", "any") not in ("any", "first"):
            raise DefinitionError(f"{path}.temporal.anchor_occurrence", "must be any or first")
        if raw["relation"] not in RELATIONS:
            raise DefinitionError(
                f"{path}.temporal.relation", f"must be one of {', '.join(RELATIONS)}"
            )
        temporal = Temporal(
            relation=raw["relation"],
            days=_integer(raw["days"], f"{path}.temporal.days", low=0, high=MAX_DAYS),
            anchor=_criterion(raw["anchor"], f"{path}.temporal.anchor", anchor=True),  # type: ignore[arg-type]
            anchor_occurrence=raw.get("anchor_occurrence", "any"),
        )
    descendants = obj.get("descendants", True)
    if not isinstance(descendants, bool):
        raise DefinitionError(f"{path}.descendants", "must be true or false")
    return EventCriterion(
        domain=domain,
        concept_id=_integer(obj["concept_id"], f"{path}.concept_id", low=1, high=MAX_CONCEPT_ID),
        descendants=descendants,
        excluded=_concept_refs(obj.get("excluded", []), f"{path}.excluded"),
        value=_value_range(obj.get("value"), f"{path}.value"),
        age_at_event=_range(obj.get("age_at_event"), f"{path}.age_at_event", low=0, high=MAX_AGE),
        occurrences=_integer(
            occurrences["min"], f"{path}.occurrences.min", low=1, high=MAX_OCCURRENCES
        ),
        event_date=_date_range(obj.get("event_date"), f"{path}.event_date"),
        temporal=temporal,
    )


def _demographic(value: dict[str, Any], path: str) -> DemographicCriterion:
    field_name = value.get("field")
    if field_name not in DEMOGRAPHIC_FIELDS:
        raise DefinitionError(f"{path}.field", f"must be one of {', '.join(DEMOGRAPHIC_FIELDS)}")
    if field_name == "age":
        obj = _object(value, path, required=("domain", "field"), optional=("min", "max", "label"))
        age = _range(
            {key: obj[key] for key in ("min", "max") if key in obj}, path, low=0, high=MAX_AGE
        )
        if age is None or (age.min is None and age.max is None):
            raise DefinitionError(path, "an age criterion needs a min or a max")
        return DemographicCriterion(field="age", age=age)
    allowed = {
        "sex": SEX_VALUES,
        "race": RACE_VALUES,
        "ethnicity": ETHNICITY_VALUES,
        "ubr": UBR_VALUES,
    }[field_name]
    obj = _object(value, path, required=("domain", "field", "values"), optional=("label",))
    return DemographicCriterion(
        field=field_name, values=_codes(obj["values"], f"{path}.values", allowed=allowed)
    )


def _object(
    value: Any, path: str, *, required: tuple[str, ...], optional: tuple[str, ...] = ()
) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise DefinitionError(path, "must be an object")
    for key in required:
        if key not in value:
            raise DefinitionError(_join(path, key), "is required")
    for key in value:
        if key not in required and key not in optional:
            raise DefinitionError(_join(path, str(key)[:40]), "is not a field the builder knows")
    return value


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _integer(value: Any, path: str, *, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise DefinitionError(path, "must be a whole number")
    if not low <= value <= high:
        raise DefinitionError(path, f"must be from {low} to {high}")
    return value


def _number(value: Any, path: str, *, low: float, high: float, whole: bool) -> float | None:
    if value is None:
        return None
    if whole:
        return _integer(value, path, low=int(low), high=int(high))
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise DefinitionError(path, "must be a number")
    if not low <= value <= high:
        raise DefinitionError(path, f"must be from {low:g} to {high:g}")
    return value


def _range(value: Any, path: str, *, low: float, high: float, whole: bool = True) -> Range | None:
    if value is None:
        return None
    obj = _object(value, path, required=(), optional=("min", "max"))
    lower = _number(obj.get("min"), f"{path}.min", low=low, high=high, whole=whole)
    upper = _number(obj.get("max"), f"{path}.max", low=low, high=high, whole=whole)
    if lower is not None and upper is not None and lower > upper:
        raise DefinitionError(path, "min must not be greater than max")
    return Range(lower, upper)


def _concept_refs(value: Any, path: str) -> tuple[ConceptRef, ...]:
    if not isinstance(value, list):
        raise DefinitionError(path, "must be a list of concepts")
    if len(value) > MAX_VALUES:
        raise DefinitionError(path, f"at most {MAX_VALUES} concepts")
    refs = []
    for index, raw in enumerate(value):
        obj = _object(raw, f"{path}[{index}]", required=("concept_id",), optional=("descendants",))
        descendants = obj.get("descendants", True)
        if not isinstance(descendants, bool):
            raise DefinitionError(f"{path}[{index}].descendants", "must be true or false")
        concept_id = _integer(
            obj["concept_id"], f"{path}[{index}].concept_id", low=1, high=MAX_CONCEPT_ID
        )
        refs.append(ConceptRef(concept_id, descendants))
    return tuple(refs)


def _value_range(value: Any, path: str) -> Range | None:
    """A measurement's value range: "min"/"max" include the bound, "above"/"below" exclude it."""
    if value is None:
        return None
    obj = _object(value, path, required=(), optional=("min", "max", "above", "below"))
    given = {key for key, bound in obj.items() if bound is not None}
    if {"min", "above"} <= given or {"max", "below"} <= given:
        raise DefinitionError(path, "give min or above, max or below, not both")
    bounds = {
        key: _number(obj.get(key), f"{path}.{key}", low=-1e12, high=1e12, whole=False)
        for key in ("min", "max", "above", "below")
    }
    lower = bounds["min"] if bounds["min"] is not None else bounds["above"]
    upper = bounds["max"] if bounds["max"] is not None else bounds["below"]
    if lower is not None and upper is not None and lower > upper:
        raise DefinitionError(path, "the lower bound must not be greater than the upper")
    return Range(lower, upper, bounds["above"] is not None, bounds["below"] is not None)


def _date(value: Any, path: str) -> datetime.date | None:
    if value is None:
        return None
    try:
        parsed = datetime.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None or len(value) != 10:
        raise DefinitionError(path, "must be a date written YYYY-MM-DD")
    if not MIN_DATE <= parsed <= MAX_DATE:
        raise DefinitionError(path, f"must be from {MIN_DATE} to {MAX_DATE}")
    return parsed


def _date_range(value: Any, path: str) -> DateRange | None:
    if value is None:
        return None
    obj = _object(value, path, required=(), optional=("from", "to"))
    start, end = _date(obj.get("from"), f"{path}.from"), _date(obj.get("to"), f"{path}.to")
    if start is not None and end is not None and start > end:
        raise DefinitionError(path, "from must not be after to")
    return DateRange(start, end)


def _code(value: Any, path: str) -> str:
    if (
        not isinstance(value, str)
        or not 0 < len(value) <= MAX_CODE_LENGTH
        or not all(c.isascii() and (c.isalnum() or c == "_") for c in value)
    ):
        raise DefinitionError(path, "must be a code of letters, digits and _")
    return value


def _codes(value: Any, path: str, *, allowed: tuple[str, ...] | None) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise DefinitionError(path, "must be a list of at least one value")
    if len(value) > MAX_VALUES:
        raise DefinitionError(path, f"at most {MAX_VALUES} values")
    codes = tuple(_code(item, f"{path}[{i}]") for i, item in enumerate(value))
    if allowed is not None:
        for i, code in enumerate(codes):
            if code not in allowed:
                raise DefinitionError(f"{path}[{i}]", f"must be one of {', '.join(allowed)}")
    return tuple(dict.fromkeys(codes))


# --- dumping -------------------------------------------------------------------------------


def definition_dump(definition: CohortDefinition) -> dict[str, Any]:
    """The JSON-shaped value `definition_parse` reads back to an equal definition."""
    return {
        "version": definition.version,
        "include": [_group_dump(group) for group in definition.include],
        "exclude": [_group_dump(group) for group in definition.exclude],
    }


def _group_dump(group: Group) -> dict[str, Any]:
    return {"items": [criterion_dump(item) for item in group.items]}


def _range_dump(value: Range | None) -> dict[str, Any] | None:
    if value is None:
        return None
    return {
        key: bound for key, bound in (("min", value.min), ("max", value.max)) if bound is not None
    }


def criterion_dump(item: Criterion) -> dict[str, Any]:
    """One criterion as JSON."""
    if isinstance(item, SurveyCriterion):
        return {"domain": "survey", "question": item.question, "answers": list(item.answers)}
    if isinstance(item, DemographicCriterion):
        if item.field == "age":
            return {"domain": "demographic", "field": "age", **(_range_dump(item.age) or {})}
        return {"domain": "demographic", "field": item.field, "values": list(item.values)}
    data: dict[str, Any] = {
        "domain": item.domain,
        "concept_id": item.concept_id,
        "descendants": item.descendants,
    }
    if item.excluded:
        data["excluded"] = [
            {"concept_id": ref.concept_id, "descendants": ref.descendants} for ref in item.excluded
        ]
    if item.value is not None:
        value = item.value
        data["value"] = {
            key: bound
            for key, bound in (
                ("above" if value.min_exclusive else "min", value.min),
                ("below" if value.max_exclusive else "max", value.max),
            )
            if bound is not None
        }
    if item.age_at_event is not None:
        data["age_at_event"] = _range_dump(item.age_at_event)
    if item.occurrences != 1:
        data["occurrences"] = {"min": item.occurrences}
    if item.event_date is not None:
        data["event_date"] = {
            key: bound.isoformat()
            for key, bound in (("from", item.event_date.start), ("to", item.event_date.end))
            if bound is not None
        }
    if item.temporal is not None:
        data["temporal"] = {
            "relation": item.temporal.relation,
            "days": item.temporal.days,
            "anchor": criterion_dump(item.temporal.anchor),
        }
        if item.temporal.anchor_occurrence != "any":
            data["temporal"]["anchor_occurrence"] = item.temporal.anchor_occurrence
    return data


__all__ = [
    "CohortDefinition",
    "ConceptRef",
    "Criterion",
    "DateRange",
    "DefinitionError",
    "DemographicCriterion",
    "EventCriterion",
    "Group",
    "Range",
    "SurveyCriterion",
    "Temporal",
    "criterion_dump",
    "definition_dump",
    "definition_parse",
]
