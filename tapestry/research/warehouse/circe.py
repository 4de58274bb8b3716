"""OHDSI Circe JSON (as ATLAS exports it) to and from the cohort builder's definition.

Plain Python, no Django. `circe_import(data)` reads a Circe cohort expression (a dict or its
JSON text, at most 1 MB) and returns a `cohort_definition.CohortDefinition`; `circe_export`
writes a definition as Circe JSON. What the builder cannot express exactly is refused with
`CirceUnsupported` (a `DefinitionError`) whose message names the feature and where it is
("InclusionRules[1].expression.CriteriaList[0].Criteria.VisitOccurrence: visit criteria are not
supported"); nothing is guessed or dropped silently. A malformed shape is a `DefinitionError`
with its path. The definition's own limits (`cohort_definition.MAX_ITEMS`, ...) apply to the
result. Field names and enums follow OHDSI circe-be (`CohortExpression`, `CriteriaGroup`,
`CorelatedCriteria`, `Window`, `Occurrence`: Type 0 exactly, 1 at most, 2 at least;
`NumericRange`/`DateRange` Op lt, lte, eq, !eq, gt, gte, bt, !bt; window Coeff -1 before,
1 after).

How Circe counts: each person's entry events (the primary criteria, cut to the first one by
`PrimaryCriteriaLimit` First) are index events, and a person is in the cohort when one index
event passes every inclusion rule. The builder counts people who match every include group
and no exclude group; a temporal criterion relates events to an anchor criterion, with
`anchor_occurrence` "first" meaning the anchor's first event. The import maps one onto the
other only where the two agree.

Import (Circe -> builder)

| Circe | Builder |
|---|---|
| `ConceptSets[i]`: items with `includeDescendants`, `isExcluded` | per included concept, an event criterion (`descendants` = `includeDescendants`) carrying every excluded item of the set in `excluded` (with their own `includeDescendants`) |
| `includeMapped: true` on a set a criterion uses | refused (mapped source concepts) |
| `PrimaryCriteria.CriteriaList` (ConditionOccurrence, DrugExposure, Measurement, ProcedureOccurrence, Observation) | the first include group, one item per included concept of each criterion's set (OR-ed) |
| criterion `Age` (age at the event) | `age_at_event` (whole years; `gt 17` = min 18, `lt 65` = max 64, `eq`, `bt`) |
| criterion `OccurrenceStartDate` | `event_date` (`gt`/`lt` move the day by one, `eq` is one day, `bt`) |
| `Measurement.ValueAsNumber` | `value`: gte = min, gt = above, lte = max, lt = below, eq = min and max, bt = min and max |
| `PrimaryCriteriaLimit` First (or an empty `AdditionalCriteria` with `QualifiedLimit` First) | temporal anchors use `anchor_occurrence` "first" |
| `PrimaryCriteriaLimit` All | anchors use "any"; accepted only with at most one inclusion rule relative to the index event, at least 1 occurrence, no exclusion relative to it (Circe checks every rule against the same index event) |
| `PrimaryCriteriaLimit` Last | refused when any rule depends on the index event |
| inclusion rule `Type: ALL` | each criterion with at least N occurrences: one include group; every "exactly 0" / "at most N" criterion of the rule: one exclude group (items OR-ed), "at most N" = excluded from N+1 |
| inclusion rule `Type: ANY` (or `AT_LEAST` with Count 1) | one include group, its items OR-ed; exclusions inside it are refused |
| `Occurrence` Type 2 (at least) Count N >= 1 | `occurrences.min` N (N > 1 needs a concept set of one concept: Circe counts across the set) |
| `Occurrence` Type 0 Count 0 / Type 1 Count N | exclude item with `occurrences.min` N+1 |
| `Occurrence` Type 2 Count 0 (always true), Type 0 Count N >= 1 (exactly N) | refused |
| `StartWindow` N days before to N days after | `temporal` within N (anchor: the primary criterion) |
| `StartWindow` N days before to 0 days | `temporal` before N |
| `StartWindow` 0 days to N days after | `temporal` after N (0 to 0 is "within 0") |
| `StartWindow` all days before to all days after | no `temporal`: any time |
| other windows, half-open windows, `UseEventEnd`, `UseIndexEnd`, `EndWindow`, `RestrictVisit` | refused |
| a bounded window when the primary criteria are not one criterion with a one-concept set | refused (the builder's anchor is one criterion) |
| `DemographicCriteriaList` `Gender` 8507 / 8532 | demographic sex male / female |
| `Race` 8527, 8516, 8515, 8657, 8557 | race white, black, asian, aian, nhpi |
| `Ethnicity` 38003563 / 38003564 | ethnicity hispanic_latino / not_hispanic_latino |
| demographic `Age` (age at the index event), PrimaryCriteriaLimit All | `age_at_event` on the primary items and the anchors |
| demographic `Age`, PrimaryCriteriaLimit First | the first event's age is in [a, b] exactly when some entry event is at age <= b and none before age a: the first include group's items get `age_at_event` max b, and an exclude group holds them with max a-1 |
| `EndStrategy`, `CensoringCriteria`, `CollapseSettings`, `ExpressionLimit`, `cdmVersionRange`, `Title` | accepted and ignored: they change cohort exit dates or which episode is kept, not who is counted |
| `CensorWindow` with a date, `ObservationWindow` non-zero, `AdditionalCriteria` with content, nested `Groups`, `AT_MOST` groups, `First: true`, `OccurrenceEndDate`, criterion `Gender`, `ConditionType`, `ProviderSpecialty`, `VisitType`, units, source concepts, `CorrelatedCriteria`, `DateAdjustment`, `IsDistinct`, ... | refused by name |
| VisitOccurrence, VisitDetail, Death, ConditionEra, DrugEra, DoseEra, DeviceExposure, Specimen, ObservationPeriod, PayerPlanPeriod, LocationRegion, Episode | refused by name |

Known differences that remain: Circe keeps only events inside an observation period (the
builder reads every record), and Circe's age is the calendar year of the event less the year
of birth where the builder uses whole years of age, so an age bound can differ by up to a
year around a birthday.

Export (builder -> Circe), the subset that imports back to an equal definition:
- the first include group becomes `PrimaryCriteria`: event criteria only, no `temporal`,
  `occurrences` 1 (their `age_at_event`, `event_date` and `value` become the criterion's
  `Age`, `OccurrenceStartDate`, `ValueAsNumber`);
- a value range exclusive on one side with a second bound has no Circe form (refused);
- every temporal anchor must be the first group's only item; `anchor_occurrence` "first"
  gives `PrimaryCriteriaLimit` First, "any" gives All (with the limits above);
- each further include group becomes an inclusion rule (one item: `ALL`, several: `ANY`):
  event items as "at least N occurrences" in their window (no `temporal`: any time),
  sex / race / ethnicity items (values in the tables above) as demographic criteria;
- each exclude group becomes an `ALL` rule of its event items with "exactly 0" occurrences
  (or "at most N-1" for `occurrences` N);
- survey criteria, demographic age (age at consent, not at the index event), UBR, and sex,
  race or ethnicity values without an OMOP concept above are refused by name;
- a group mixing events and demographics comes back with its events first (Circe keeps the
  two in separate lists); items are OR-ed, so the cohort is the same.
"""

from __future__ import annotations

import datetime
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from tapestry.research.warehouse.cohort_definition import (
    MAX_DATE,
    MIN_DATE,
    CohortDefinition,
    ConceptRef,
    Criterion,
    DateRange,
    DefinitionError,
    DemographicCriterion,
    EventCriterion,
    Group,
    Range,
    SurveyCriterion,
    Temporal,
    definition_dump,
    definition_parse,
)

MAX_JSON_CHARS = 1_000_000
MAX_JSON_NODES = 200_000
MAX_JSON_DEPTH = 40

# Circe's criterion types the builder reads, and the builder's event domain for each.
DOMAIN_OF = {
    "ConditionOccurrence": "condition",
    "DrugExposure": "drug",
    "Measurement": "measurement",
    "ProcedureOccurrence": "procedure",
    "Observation": "observation",
}
CIRCE_TYPE_OF = {domain: circe_type for circe_type, domain in DOMAIN_OF.items()}
# Each type's "<X>TypeExclude" flag: ATLAS always writes it, false.
TYPE_EXCLUDE_FLAG = {
    "ConditionOccurrence": "ConditionTypeExclude",
    "DrugExposure": "DrugTypeExclude",
    "Measurement": "MeasurementTypeExclude",
    "ProcedureOccurrence": "ProcedureTypeExclude",
    "Observation": "ObservationTypeExclude",
}
OMOP_DOMAIN_ID = {
    "condition": "Condition",
    "drug": "Drug",
    "measurement": "Measurement",
    "procedure": "Procedure",
    "observation": "Observation",
}
REFUSED_TYPES = {
    "VisitOccurrence": "visit criteria",
    "VisitDetail": "visit detail criteria",
    "Death": "death criteria",
    "ConditionEra": "condition era criteria",
    "DrugEra": "drug era criteria",
    "DoseEra": "dose era criteria",
    "DeviceExposure": "device exposure criteria",
    "Specimen": "specimen criteria",
    "ObservationPeriod": "observation period criteria",
    "PayerPlanPeriod": "payer plan period criteria",
    "LocationRegion": "location region criteria",
    "Episode": "episode criteria",
}
# Friendlier names for criterion attributes the builder has no equivalent for; any other
# attribute is named by its Circe key.
ATTRIBUTE_NAMES = {
    "First": "first occurrence in history only (First: true)",
    "OccurrenceEndDate": "an end date range",
    "Gender": "gender on a criterion",
    "ConditionType": "condition type",
    "ConditionStatus": "condition status",
    "DrugType": "drug type",
    "MeasurementType": "measurement type",
    "ProcedureType": "procedure type",
    "ObservationType": "observation type",
    "ProviderSpecialty": "provider specialty",
    "VisitType": "visit type",
    "Unit": "a unit",
    "ValueAsConcept": "a value as concept",
    "ValueAsString": "a value as text",
    "CorrelatedCriteria": "nested (correlated) criteria",
    "DateAdjustment": "a date adjustment",
    "StopReason": "a stop reason",
    "ValueAsNumber": "a value (the builder has values on measurements only)",
}

# OMOP's person concepts (the Gender, Race and Ethnicity vocabularies) and the builder's values.
SEX_CONCEPTS = {8507: ("male", "MALE"), 8532: ("female", "FEMALE")}
RACE_CONCEPTS = {
    8527: ("white", "White"),
    8516: ("black", "Black or African American"),
    8515: ("asian", "Asian"),
    8657: ("aian", "American Indian or Alaska Native"),
    8557: ("nhpi", "Native Hawaiian or Other Pacific Islander"),
}
ETHNICITY_CONCEPTS = {
    38003563: ("hispanic_latino", "Hispanic or Latino"),
    38003564: ("not_hispanic_latino", "Not Hispanic or Latino"),
}
DEMOGRAPHIC_FIELDS = {  # Circe key: (builder field, concepts, vocabulary)
    "Gender": ("sex", SEX_CONCEPTS, "Gender"),
    "Race": ("race", RACE_CONCEPTS, "Race"),
    "Ethnicity": ("ethnicity", ETHNICITY_CONCEPTS, "Ethnicity"),
}

OCCURRENCE_EXACTLY, OCCURRENCE_AT_MOST, OCCURRENCE_AT_LEAST = 0, 1, 2
OPS = ("lt", "lte", "eq", "!eq", "gt", "gte", "bt", "!bt")


class CirceUnsupported(DefinitionError):
    """Circe that the builder cannot express exactly; the message names the feature and path."""


# --- import --------------------------------------------------------------------------------


def circe_import(data: dict[str, Any] | str) -> CohortDefinition:
    """Read a Circe cohort expression (as ATLAS exports it) into the builder's definition.

    Raises CirceUnsupported naming any feature the builder cannot express, DefinitionError
    (with a path) for a malformed or oversized expression or one past the definition's limits.
    """
    expression, prefix = _load(data)
    definition = _Importer(expression, prefix).run()
    try:
        return definition_parse(definition_dump(definition))
    except DefinitionError as error:
        raise DefinitionError(
            "", f"the imported definition is past the builder's limits: {error}"
        ) from error


def _load(data: Any) -> tuple[dict[str, Any], str]:
    if isinstance(data, str):
        data = _parse_json(data, "")
    if not isinstance(data, dict):
        raise DefinitionError("", "must be a Circe cohort expression (a JSON object)")
    _check_size(data)
    prefix = ""
    # WebAPI's cohort definition wraps the expression (sometimes as JSON text) with its name.
    if "PrimaryCriteria" not in data and "expression" in data:
        prefix = "expression"
        data = data["expression"]
        if isinstance(data, str):
            data = _parse_json(data, prefix)
            _check_size(data)
        if not isinstance(data, dict):
            raise DefinitionError(prefix, "must be a Circe cohort expression (a JSON object)")
    return data, prefix


def _parse_json(text: str, path: str) -> Any:
    if len(text) > MAX_JSON_CHARS:
        raise DefinitionError(path, f"the JSON is larger than {MAX_JSON_CHARS:,} characters")

    def refuse_constant(name: str) -> Any:
        raise DefinitionError(path, f"{name} is not a number JSON allows")

    try:
        return json.loads(text, parse_constant=refuse_constant)
    except RecursionError:
        raise DefinitionError(path, f"nested deeper than {MAX_JSON_DEPTH} levels") from None
    except json.JSONDecodeError as error:
        raise DefinitionError(
            path, f"not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})"
        ) from None


def _check_size(data: Any) -> None:
    """Bound the work before reading: node count, nesting depth, finite numbers."""
    stack: list[tuple[Any, int]] = [(data, 0)]
    nodes = characters = 0
    while stack:
        value, depth = stack.pop()
        nodes += 1
        if nodes > MAX_JSON_NODES:
            raise DefinitionError("", f"more than {MAX_JSON_NODES:,} JSON values")
        if isinstance(value, str):
            characters += len(value)
        elif isinstance(value, dict):
            characters += sum(len(str(key)) for key in value)
        if characters > MAX_JSON_CHARS:
            raise DefinitionError("", f"the JSON is larger than {MAX_JSON_CHARS:,} characters")
        if depth > MAX_JSON_DEPTH:
            raise DefinitionError("", f"nested deeper than {MAX_JSON_DEPTH} levels")
        if isinstance(value, dict):
            stack.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
        elif isinstance(value, float) and not math.isfinite(value):
            raise DefinitionError("", "NaN and infinite numbers are not JSON numbers")


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _object(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise DefinitionError(path, "must be an object")
    return value


def _list(value: Any, path: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise DefinitionError(path, "must be a list")
    return value


def _whole(value: Any, path: str, *, low: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DefinitionError(path, "must be a whole number")
    if isinstance(value, float) and not value.is_integer():
        raise DefinitionError(path, "must be a whole number")
    if value < low:
        raise DefinitionError(path, f"must be at least {low}")
    return int(value)


def _flag(value: Any, path: str) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise DefinitionError(path, "must be true or false")
    return value


def _present(value: Any) -> bool:
    """Circe treats null, an empty list and an empty object as "not set"."""
    return value is not None and value != [] and value != {}


def _limit_type(container: dict[str, Any], key: str, path: str) -> str:
    raw = container.get(key)
    if raw is None:
        return "first"  # circe-be's ResultLimit default
    value = _object(raw, _join(path, key)).get("Type", "First")
    if not isinstance(value, str) or value.lower() not in ("first", "all", "last"):
        raise DefinitionError(_join(_join(path, key), "Type"), "must be First, All or Last")
    return value.lower()


def _intersect(first: Range | None, second: Range | None) -> Range | None:
    if first is None or second is None:
        return first or second
    low = max((b for b in (first.min, second.min) if b is not None), default=None)
    high = min((b for b in (first.max, second.max) if b is not None), default=None)
    return Range(low, high)


def _empty(bounds: Range | None) -> bool:
    return (
        bounds is not None
        and bounds.min is not None
        and bounds.max is not None
        and bounds.min > bounds.max
    )


@dataclass
class _ConceptSet:
    path: str
    included: list[tuple[int, bool, int]]  # concept id, descendants, item index
    excluded: list[ConceptRef]
    mapped: list[int]  # indexes of items with includeMapped


@dataclass
class _Event:
    """One Circe criterion, read: its domain, concept set and modifiers."""

    path: str
    domain: str
    codeset: _ConceptSet
    age: Range | None = None
    event_date: DateRange | None = None
    value: Range | None = None

    def items(
        self, *, occurrences: int = 1, temporal: Temporal | None = None
    ) -> list[EventCriterion]:
        return [
            EventCriterion(
                domain=self.domain,
                concept_id=concept_id,
                descendants=descendants,
                excluded=tuple(self.codeset.excluded),
                value=self.value,
                age_at_event=self.age,
                occurrences=occurrences,
                event_date=self.event_date,
                temporal=temporal,
            )
            for concept_id, descendants, _ in self.codeset.included
        ]


@dataclass
class _Window:
    relation: str | None  # None: any time
    days: int = 0


@dataclass
class _Rule:
    """One inclusion rule, read; its items are built once the anchor is known."""

    include: list[list[tuple[_Event, int, _Window, str] | DemographicCriterion]] = field(
        default_factory=list
    )
    exclude: list[tuple[_Event, int, _Window, str]] = field(default_factory=list)


class _Importer:
    def __init__(self, expression: dict[str, Any], prefix: str) -> None:
        self.expression = expression
        self.prefix = prefix
        self.codesets: dict[int, _ConceptSet] = {}

    def path(self, key: str) -> str:
        return _join(self.prefix, key)

    def run(self) -> CohortDefinition:
        expression = self.expression
        known = {
            "cdmVersionRange",
            "Title",
            "PrimaryCriteria",
            "AdditionalCriteria",
            "ConceptSets",
            "QualifiedLimit",
            "ExpressionLimit",
            "InclusionRules",
            "EndStrategy",
            "CensoringCriteria",
            "CollapseSettings",
            "CensorWindow",
        }
        for key in expression:
            if key not in known:
                raise CirceUnsupported(
                    self.path(str(key)[:60]), "is not a part of a Circe cohort expression"
                )
        self.read_concept_sets()
        self.check_ignored_parts()
        limit = self.limit()
        primary = self.read_primary()
        rules = [
            self.read_rule(raw, _join(self.path("InclusionRules"), index))
            for index, raw in enumerate(
                _list(expression.get("InclusionRules"), self.path("InclusionRules"))
            )
        ]
        return self.build(primary, rules, limit)

    # -- the parts that do not change who is counted, and the ones refused outright --

    def check_ignored_parts(self) -> None:
        expression = self.expression
        censor = expression.get("CensorWindow")
        if censor is not None:
            censor = _object(censor, self.path("CensorWindow"))
            if censor.get("StartDate") or censor.get("EndDate"):
                raise CirceUnsupported(
                    self.path("CensorWindow"),
                    "a censor window drops cohort episodes outside its dates; it is not supported",
                )
        additional = expression.get("AdditionalCriteria")
        if additional is not None:
            path = self.path("AdditionalCriteria")
            additional = _object(additional, path)
            if any(
                _list(additional.get(key), _join(path, key))
                for key in ("CriteriaList", "DemographicCriteriaList", "Groups")
            ):
                raise CirceUnsupported(
                    path,
                    "additional criteria on the entry events are not supported "
                    "(write them as inclusion rules)",
                )
        for key in ("CensoringCriteria",):
            _list(expression.get(key), self.path(key))
        for key in ("EndStrategy", "CollapseSettings", "QualifiedLimit", "ExpressionLimit"):
            if expression.get(key) is not None:
                _object(expression[key], self.path(key))

    def limit(self) -> str:
        """Which index events the rules see: "first", "all" or "last" (circe-be's order)."""
        primary = _object(self.expression.get("PrimaryCriteria"), self.path("PrimaryCriteria"))
        primary_limit = _limit_type(primary, "PrimaryCriteriaLimit", self.path("PrimaryCriteria"))
        qualified = _limit_type(self.expression, "QualifiedLimit", self.prefix)
        _limit_type(self.expression, "ExpressionLimit", self.prefix)
        self.limit_path = _join(_join(self.path("PrimaryCriteria"), "PrimaryCriteriaLimit"), "Type")
        if primary_limit != "all":
            return primary_limit
        # circe-be applies QualifiedLimit only when AdditionalCriteria is given (even empty).
        if self.expression.get("AdditionalCriteria") is not None and qualified != "all":
            self.limit_path = _join(self.path("QualifiedLimit"), "Type")
            return qualified
        return "all"

    # -- concept sets --

    def read_concept_sets(self) -> None:
        path = self.path("ConceptSets")
        for index, raw in enumerate(_list(self.expression.get("ConceptSets"), path)):
            set_path = _join(path, index)
            obj = _object(raw, set_path)
            set_id = obj.get("id")
            if isinstance(set_id, bool) or not isinstance(set_id, int):
                raise DefinitionError(_join(set_path, "id"), "must be a whole number")
            if set_id in self.codesets:
                raise DefinitionError(_join(set_path, "id"), f"concept set {set_id} is given twice")
            expression_path = _join(set_path, "expression")
            expression = _object(obj.get("expression"), expression_path)
            items_path = _join(expression_path, "items")
            codeset = _ConceptSet(set_path, [], [], [])
            for item_index, item in enumerate(_list(expression.get("items"), items_path)):
                item_path = _join(items_path, item_index)
                item = _object(item, item_path)
                for key in item:
                    if key not in ("concept", "isExcluded", "includeDescendants", "includeMapped"):
                        raise CirceUnsupported(
                            _join(item_path, str(key)[:60]),
                            "is not a concept set item field the importer knows",
                        )
                concept = _object(item.get("concept"), _join(item_path, "concept"))
                concept_id = concept.get("CONCEPT_ID")
                if isinstance(concept_id, bool) or not isinstance(concept_id, int):
                    raise DefinitionError(
                        _join(_join(item_path, "concept"), "CONCEPT_ID"), "must be a whole number"
                    )
                descendants = _flag(
                    item.get("includeDescendants"), _join(item_path, "includeDescendants")
                )
                if _flag(item.get("includeMapped"), _join(item_path, "includeMapped")):
                    codeset.mapped.append(item_index)
                if _flag(item.get("isExcluded"), _join(item_path, "isExcluded")):
                    codeset.excluded.append(ConceptRef(concept_id, descendants))
                else:
                    codeset.included.append((concept_id, descendants, item_index))
            self.codesets[set_id] = codeset

    def codeset(self, value: Any, path: str) -> _ConceptSet:
        if value is None:
            raise CirceUnsupported(
                path,
                "a criterion without a concept set (any concept of the domain) is not supported",
            )
        if isinstance(value, bool) or not isinstance(value, int) or value not in self.codesets:
            raise DefinitionError(path, "must be the id of one of ConceptSets")
        codeset = self.codesets[value]
        if codeset.mapped:
            raise CirceUnsupported(
                _join(_join(_join(codeset.path, "expression"), "items"), codeset.mapped[0])
                + ".includeMapped",
                "mapped (source) concepts are not supported",
            )
        if not codeset.included:
            raise CirceUnsupported(
                codeset.path, "a concept set with no included concept matches nothing"
            )
        return codeset

    # -- criteria --

    def read_event(self, wrapper: Any, path: str) -> _Event:
        wrapper = _object(wrapper, path)
        if len(wrapper) != 1:
            raise DefinitionError(path, "must name exactly one criteria type")
        ((circe_type, body),) = wrapper.items()
        path = _join(path, str(circe_type)[:60])
        if circe_type in REFUSED_TYPES:
            raise CirceUnsupported(path, f"{REFUSED_TYPES[circe_type]} are not supported")
        if circe_type not in DOMAIN_OF:
            raise DefinitionError(path, "is not a Circe criteria type")
        body = _object(body, path)
        handled = {"CodesetId", "Age", "OccurrenceStartDate"}
        if circe_type == "Measurement":
            handled.add("ValueAsNumber")
        for key, value in body.items():
            if key in handled:
                continue
            if key == TYPE_EXCLUDE_FLAG[circe_type] or (key == "First" and value in (None, False)):
                _flag(value, _join(path, key))
                continue
            if (
                key in ("CorrelatedCriteria",)
                and isinstance(value, dict)
                and not any(
                    value.get(part)
                    for part in ("CriteriaList", "DemographicCriteriaList", "Groups")
                )
            ):
                continue
            if _present(value):
                name = ATTRIBUTE_NAMES.get(key, key)
                raise CirceUnsupported(_join(path, str(key)[:60]), f"{name} is not supported")
        event = _Event(
            path=path,
            domain=DOMAIN_OF[circe_type],
            codeset=self.codeset(body.get("CodesetId"), _join(path, "CodesetId")),
        )
        if body.get("Age") is not None:
            event.age = _numeric_range(body["Age"], _join(path, "Age"), whole=True)
        if body.get("OccurrenceStartDate") is not None:
            event.event_date = _date_range(
                body["OccurrenceStartDate"], _join(path, "OccurrenceStartDate")
            )
        if body.get("ValueAsNumber") is not None:
            event.value = _numeric_range(
                body["ValueAsNumber"], _join(path, "ValueAsNumber"), whole=False
            )
        return event

    def read_primary(self) -> list[_Event]:
        path = self.path("PrimaryCriteria")
        primary = _object(self.expression.get("PrimaryCriteria"), path)
        for key in primary:
            if key not in ("CriteriaList", "ObservationWindow", "PrimaryCriteriaLimit"):
                raise CirceUnsupported(_join(path, str(key)[:60]), "is not supported")
        window = primary.get("ObservationWindow")
        if window is not None:
            window_path = _join(path, "ObservationWindow")
            window = _object(window, window_path)
            for key, meaning in (("PriorDays", "before"), ("PostDays", "after")):
                days = _whole(window.get(key, 0) or 0, _join(window_path, key))
                if days:
                    raise CirceUnsupported(
                        _join(window_path, key),
                        f"requiring {days} days of observation {meaning} the entry event "
                        "is not supported",
                    )
        criteria_path = _join(path, "CriteriaList")
        criteria = _list(primary.get("CriteriaList"), criteria_path)
        if not criteria:
            raise DefinitionError(criteria_path, "needs at least one entry event criterion")
        return [self.read_event(raw, _join(criteria_path, i)) for i, raw in enumerate(criteria)]

    # -- inclusion rules --

    def read_rule(self, raw: Any, path: str) -> _Rule:
        rule = _object(raw, path)
        group_path = _join(path, "expression")
        group = _object(rule.get("expression"), group_path)
        group_type = group.get("Type")
        if not isinstance(group_type, str):
            raise DefinitionError(
                _join(group_path, "Type"), "must be ALL, ANY, AT_LEAST or AT_MOST"
            )
        group_type = group_type.upper()
        if group_type == "AT_LEAST" and group.get("Count") == 1:
            group_type = "ANY"
        if group_type in ("AT_LEAST", "AT_MOST"):
            raise CirceUnsupported(
                _join(group_path, "Type"),
                f"{group_type} {group.get('Count')} of the criteria is not supported (use ALL or ANY)",
            )
        if group_type not in ("ALL", "ANY"):
            raise DefinitionError(
                _join(group_path, "Type"), "must be ALL, ANY, AT_LEAST or AT_MOST"
            )
        if _list(group.get("Groups"), _join(group_path, "Groups")):
            raise CirceUnsupported(
                _join(group_path, "Groups"), "nested criteria groups are not supported"
            )
        read = _Rule()
        any_group: list[tuple[_Event, int, _Window, str] | DemographicCriterion] = []
        criteria_path = _join(group_path, "CriteriaList")
        for index, raw_criterion in enumerate(_list(group.get("CriteriaList"), criteria_path)):
            item_path = _join(criteria_path, index)
            event, kind, count, window = self.read_correlated(raw_criterion, item_path)
            entry = (event, count, window, item_path)
            if kind == "exclude":
                if group_type == "ANY":
                    raise CirceUnsupported(
                        _join(item_path, "Occurrence"),
                        "an 'exactly 0' or 'at most' criterion inside an ANY rule is not supported",
                    )
                read.exclude.append(entry)
            elif group_type == "ANY":
                any_group.append(entry)
            else:
                read.include.append([entry])
        demographics_path = _join(group_path, "DemographicCriteriaList")
        for index, raw_demographic in enumerate(
            _list(group.get("DemographicCriteriaList"), demographics_path)
        ):
            item_path = _join(demographics_path, index)
            items = self.read_demographic(raw_demographic, item_path, any_rule=group_type == "ANY")
            if group_type == "ANY":
                any_group.extend(items)
            else:
                read.include.extend([item] for item in items)
        if any_group:
            read.include.append(any_group)
        return read

    def read_correlated(self, raw: Any, path: str) -> tuple[_Event, str, int, _Window]:
        obj = _object(raw, path)
        for key, value in obj.items():
            if key in ("Criteria", "StartWindow", "Occurrence", "IgnoreObservationPeriod"):
                continue
            if key == "EndWindow" and value is not None:
                raise CirceUnsupported(_join(path, key), "an end window is not supported")
            if key == "RestrictVisit":
                if _flag(value, _join(path, key)):
                    raise CirceUnsupported(
                        _join(path, key), "restricting to the index event's visit is not supported"
                    )
                continue
            if key != "EndWindow":
                raise CirceUnsupported(_join(path, str(key)[:60]), "is not supported")
        _flag(obj.get("IgnoreObservationPeriod"), _join(path, "IgnoreObservationPeriod"))
        event = self.read_event(obj.get("Criteria"), _join(path, "Criteria"))
        window = _window(obj.get("StartWindow"), _join(path, "StartWindow"))
        occurrence_path = _join(path, "Occurrence")
        occurrence = _object(obj.get("Occurrence"), occurrence_path)
        kind = occurrence.get("Type")
        if kind not in (0, 1, 2) or isinstance(kind, bool):
            raise DefinitionError(
                _join(occurrence_path, "Type"), "must be 0 (exactly), 1 (at most) or 2 (at least)"
            )
        count = _whole(occurrence.get("Count"), _join(occurrence_path, "Count"))
        if _flag(occurrence.get("IsDistinct"), _join(occurrence_path, "IsDistinct")):
            raise CirceUnsupported(
                _join(occurrence_path, "IsDistinct"),
                "counting distinct occurrences is not supported",
            )
        if occurrence.get("CountColumn") is not None:
            raise CirceUnsupported(
                _join(occurrence_path, "CountColumn"), "a count column is not supported"
            )
        several = len(event.codeset.included) > 1
        if kind == OCCURRENCE_AT_LEAST:
            if count == 0:
                raise CirceUnsupported(
                    occurrence_path,
                    "'at least 0 occurrences' always holds in Circe; it is not supported "
                    "(for none, use 'exactly 0')",
                )
            min_count, side = count, "include"
        elif kind == OCCURRENCE_EXACTLY and count > 0:
            raise CirceUnsupported(
                occurrence_path, f"'exactly {count} occurrences' is not supported"
            )
        else:  # exactly 0, or at most N: excluded from N + 1 on
            min_count, side = count + 1, "exclude"
        if several and min_count > 1:
            raise CirceUnsupported(
                occurrence_path,
                f"counting {min_count} occurrences across a concept set of "
                f"{len(event.codeset.included)} concepts is not supported (the builder counts "
                "each concept on its own)",
            )
        return event, side, min_count, window

    def read_demographic(
        self, raw: Any, path: str, *, any_rule: bool
    ) -> list[DemographicCriterion]:
        obj = _object(raw, path)
        items: list[DemographicCriterion] = []
        for key, value in obj.items():
            key_path = _join(path, str(key)[:60])
            if key in ("OccurrenceStartDate", "OccurrenceEndDate") and _present(value):
                raise CirceUnsupported(
                    key_path,
                    "a date range on the index event in demographic criteria is not supported",
                )
            if key == "Age":
                if value is not None and any_rule:
                    raise CirceUnsupported(
                        key_path, "age at the index event inside an ANY rule is not supported"
                    )
                continue  # read before the rules (`age_at_index`)
            if key in DEMOGRAPHIC_FIELDS:
                concepts = _list(value, key_path)
                if concepts:
                    items.append(_demographic(key, concepts, key_path))
                continue
            if key not in ("OccurrenceStartDate", "OccurrenceEndDate"):
                raise CirceUnsupported(key_path, "is not supported")
        if any_rule and len(items) != 1:
            raise CirceUnsupported(
                path,
                "a demographic criterion inside an ANY rule must give exactly one of "
                "Gender, Race or Ethnicity",
            )
        return items

    def age_at_index(self) -> tuple[Range | None, str | None]:
        """The age at the index event every ALL rule asks for, intersected."""
        bounds: Range | None = None
        first_path = None
        rules_path = self.path("InclusionRules")
        for index, rule in enumerate(_list(self.expression.get("InclusionRules"), rules_path)):
            group_path = _join(_join(rules_path, index), "expression")
            group = _object(_object(rule, _join(rules_path, index)).get("expression"), group_path)
            if str(group.get("Type", "")).upper() != "ALL":
                continue
            demographics_path = _join(group_path, "DemographicCriteriaList")
            for item_index, demographic in enumerate(
                _list(group.get("DemographicCriteriaList"), demographics_path)
            ):
                item_path = _join(demographics_path, item_index)
                age = _object(demographic, item_path).get("Age")
                if age is not None:
                    bounds = _intersect(
                        bounds, _numeric_range(age, _join(item_path, "Age"), whole=True)
                    )
                    first_path = first_path or _join(item_path, "Age")
        return bounds, first_path

    # -- putting it together --

    def build(self, primary: list[_Event], rules: list[_Rule], limit: str) -> CohortDefinition:
        age, age_path = self.age_at_index()
        bounded = [
            entry
            for rule in rules
            for group in rule.include
            for entry in group
            if isinstance(entry, tuple) and entry[2].relation is not None
        ]
        bounded_exclusions = [
            entry for rule in rules for entry in rule.exclude if entry[2].relation
        ]
        include_with_window = [
            group
            for rule in rules
            for group in rule.include
            if any(isinstance(entry, tuple) and entry[2].relation for entry in group)
        ]
        depends_on_index = bounded or bounded_exclusions or age is not None
        if limit == "last" and depends_on_index:
            raise CirceUnsupported(
                self.limit_path,
                "the last event as the index event is not supported when a rule depends on it",
            )
        if limit == "all":
            if bounded_exclusions:
                raise CirceUnsupported(
                    self.limit_path,
                    "All (every entry event an index event) with an exclusion relative to the "
                    f"index event ({bounded_exclusions[0][3]}) is not supported: Circe requires "
                    "one index event without it; use First",
                )
            if len(include_with_window) > 1:
                raise CirceUnsupported(
                    self.limit_path,
                    "All (every entry event an index event) with more than one rule relative to "
                    "the index event is not supported: Circe checks them against the same index "
                    "event; use First",
                )
            for _event, count, _, path in bounded:
                if count > 1:
                    raise CirceUnsupported(
                        _join(path, "Occurrence"),
                        f"{count} occurrences relative to any of several index events "
                        "(PrimaryCriteriaLimit All) is not supported; use First",
                    )

        primary_items = [item for event in primary for item in event.items()]
        if limit == "all" and age is not None:
            primary_items = [
                self.aged(item, _intersect(item.age_at_event, age), age_path)
                for item in primary_items
            ]
        anchor: EventCriterion | None = None
        if bounded or bounded_exclusions:
            if len(primary_items) != 1:
                path = (bounded or bounded_exclusions)[0][3]
                raise CirceUnsupported(
                    _join(path, "StartWindow"),
                    "a window relative to the index event needs the entry event to be one "
                    "criterion with a concept set of one concept "
                    f"(the primary criteria give {len(primary_items)})",
                )
            anchor = primary_items[0]
        anchor_occurrence = "first" if limit == "first" else "any"

        def built(
            entry: tuple[_Event, int, _Window, str] | DemographicCriterion,
        ) -> list[Criterion]:
            if isinstance(entry, DemographicCriterion):
                return [entry]
            event, count, window, _ = entry
            temporal = None
            if window.relation is not None:
                assert anchor is not None
                temporal = Temporal(window.relation, window.days, anchor, anchor_occurrence)  # type: ignore[arg-type]
            return list(event.items(occurrences=count, temporal=temporal))

        include: list[Group] = []
        exclude: list[Group] = []
        if limit == "first" and age is not None:
            # The first entry event's age is in [a, b] exactly when some entry event is at
            # age <= b and none is before a (age never decreases with the date).
            upper = Range(None, age.max)
            include.append(
                Group(
                    tuple(
                        self.aged(item, _intersect(item.age_at_event, upper), age_path)
                        for item in primary_items
                    )
                )
            )
        else:
            include.append(Group(tuple(primary_items)))
        for rule in rules:
            for group in rule.include:
                include.append(Group(tuple(item for entry in group for item in built(entry))))
            if rule.exclude:
                exclude.append(
                    Group(tuple(item for entry in rule.exclude for item in built(entry)))
                )
        if limit == "first" and age is not None and age.min is not None and age.min > 0:
            below = Range(None, int(age.min) - 1)
            too_young = [
                replace(item, age_at_event=_intersect(item.age_at_event, below))
                for item in primary_items
                if not _empty(_intersect(item.age_at_event, below))
            ]
            if too_young:
                exclude.append(Group(tuple(too_young)))
        return CohortDefinition(include=tuple(include), exclude=tuple(exclude))

    @staticmethod
    def aged(item: EventCriterion, bounds: Range | None, path: str | None) -> EventCriterion:
        if _empty(bounds):
            raise DefinitionError(
                path or "", "the age at the index event and the entry event's age never overlap"
            )
        if bounds is not None and bounds.min is None and bounds.max is None:
            bounds = None
        return replace(item, age_at_event=bounds)


def _demographic(key: str, concepts: list[Any], path: str) -> DemographicCriterion:
    builder_field, table, _ = DEMOGRAPHIC_FIELDS[key]
    values = []
    for index, concept in enumerate(concepts):
        concept_path = _join(_join(path, index), "CONCEPT_ID")
        concept_id = _object(concept, _join(path, index)).get("CONCEPT_ID")
        if isinstance(concept_id, bool) or not isinstance(concept_id, int):
            raise DefinitionError(concept_path, "must be a whole number")
        if concept_id not in table:
            known = ", ".join(f"{cid} {value}" for cid, (value, _) in table.items())
            raise CirceUnsupported(
                concept_path,
                f"{key.lower()} concept {concept_id} has no value in the builder (known: {known})",
            )
        values.append(table[concept_id][0])
    return DemographicCriterion(field=builder_field, values=tuple(dict.fromkeys(values)))


def _op(obj: dict[str, Any], path: str) -> str:
    op = obj.get("Op")
    if op not in OPS:
        raise DefinitionError(_join(path, "Op"), f"must be one of {', '.join(OPS)}")
    if op in ("!bt", "!eq"):
        raise CirceUnsupported(
            _join(path, "Op"), f"'{op}' (outside a range / not equal) is not supported"
        )
    return op


def _numeric_range(raw: Any, path: str, *, whole: bool) -> Range:
    obj = _object(raw, path)
    op = _op(obj, path)

    def number(key: str) -> float:
        value = obj.get(key)
        if whole:
            return _whole(value, _join(path, key), low=-(2**31))
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise DefinitionError(_join(path, key), "must be a number")
        return value

    value = number("Value")
    if op == "bt":
        extent = number("Extent")
        if value > extent:
            raise DefinitionError(path, "Value must not be greater than Extent")
        return Range(value, extent)
    if op == "eq":
        return Range(value, value)
    if whole:  # ages are whole years: "older than 17" is "18 or older"
        return {
            "lt": Range(None, value - 1),
            "lte": Range(None, value),
            "gt": Range(value + 1, None),
            "gte": Range(value, None),
        }[op]
    return {
        "lt": Range(None, value, max_exclusive=True),
        "lte": Range(None, value),
        "gt": Range(value, None, min_exclusive=True),
        "gte": Range(value, None),
    }[op]


def _circe_date(value: Any, path: str) -> datetime.date:
    try:
        parsed = datetime.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None or len(value) != 10:
        raise DefinitionError(path, "must be a date written YYYY-MM-DD")
    if not MIN_DATE <= parsed <= MAX_DATE:
        raise DefinitionError(path, f"must be from {MIN_DATE} to {MAX_DATE}")
    return parsed


def _date_range(raw: Any, path: str) -> DateRange:
    obj = _object(raw, path)
    op = _op(obj, path)
    value = _circe_date(obj.get("Value"), _join(path, "Value"))
    day = datetime.timedelta(days=1)
    if op == "bt":
        extent = _circe_date(obj.get("Extent"), _join(path, "Extent"))
        if value > extent:
            raise DefinitionError(path, "Value must not be after Extent")
        return DateRange(value, extent)
    return {
        "eq": DateRange(value, value),
        "lt": DateRange(None, value - day),
        "lte": DateRange(None, value),
        "gt": DateRange(value + day, None),
        "gte": DateRange(value, None),
    }[op]


def _window(raw: Any, path: str) -> _Window:
    if raw is None:
        raise DefinitionError(path, "is required")
    obj = _object(raw, path)
    for key in ("UseIndexEnd", "UseEventEnd"):
        if _flag(obj.get(key), _join(path, key)):
            what = "the index event's end date" if key == "UseIndexEnd" else "the event's end date"
            raise CirceUnsupported(_join(path, key), f"a window on {what} is not supported")
    for key in obj:
        if key not in ("Start", "End", "UseIndexEnd", "UseEventEnd"):
            raise CirceUnsupported(_join(path, str(key)[:60]), "is not supported")
    offsets: list[int | None] = []
    coefficients = []
    for key in ("Start", "End"):
        end_path = _join(path, key)
        endpoint = _object(obj.get(key), end_path)
        unit = endpoint.get("TimeUnit", "day")
        if unit != "day":
            raise CirceUnsupported(
                _join(end_path, "TimeUnit"), f"a window in {unit}s is not supported"
            )
        coeff = endpoint.get("Coeff")
        if isinstance(coeff, bool) or not isinstance(coeff, int) or coeff not in (-1, 1):
            raise DefinitionError(_join(end_path, "Coeff"), "must be -1 (before) or 1 (after)")
        days = endpoint.get("Days")
        if days is None and endpoint.get("TimeUnitValue") is not None:
            raise CirceUnsupported(
                _join(end_path, "TimeUnitValue"),
                "TimeUnitValue without Days is not supported (circe-be reads Days)",
            )
        if days is not None:
            days = _whole(days, _join(end_path, "Days"))
            if endpoint.get("TimeUnitValue") not in (None, days):
                raise CirceUnsupported(
                    _join(end_path, "TimeUnitValue"),
                    "a TimeUnitValue other than Days is not supported",
                )
        offsets.append(None if days is None else coeff * days)
        coefficients.append(coeff)
    start, end = offsets
    if start is None and end is None and coefficients == [-1, 1]:
        return _Window(None)
    if start is not None and end is not None:
        if start == -end and start <= 0:
            return _Window("within", end)
        if end == 0 and start < 0:
            return _Window("before", -start)
        if start == 0 and end > 0:
            return _Window("after", end)
    bounds = " to ".join(
        _window_end(offset, coeff) for offset, coeff in zip(offsets, coefficients, strict=True)
    )
    raise CirceUnsupported(
        path,
        f"a window from {bounds} is not supported (the builder's windows: N days before to N "
        "days after, N days before to the index day, the index day to N days after, or any time)",
    )


def _window_end(offset: int | None, coeff: int) -> str:
    if offset is None:
        return f"all days {'before' if coeff < 0 else 'after'} the index event"
    if offset == 0:
        return "the index day"
    return f"{abs(offset)} days {'before' if offset < 0 else 'after'} the index event"


# --- export --------------------------------------------------------------------------------


def circe_export(
    definition: CohortDefinition, concept_names: Mapping[int, str] | None = None
) -> dict[str, Any]:
    """Write a definition as Circe JSON (as ATLAS exports it); CirceUnsupported names anything
    outside the subset Circe expresses exactly (see the module docstring)."""
    return _Exporter(definition, concept_names or {}).run()


class _Exporter:
    def __init__(self, definition: CohortDefinition, names: Mapping[int, str]) -> None:
        self.definition = definition
        self.names = names
        self.codesets: dict[tuple[int, bool, tuple[ConceptRef, ...]], int] = {}
        self.concept_sets: list[dict[str, Any]] = []

    def run(self) -> dict[str, Any]:
        definition = self.definition
        if not definition.include:
            raise CirceUnsupported(
                "include",
                "Circe needs entry events: the first include group must be event criteria",
            )
        primary = definition.include[0]
        for index, item in enumerate(primary.items):
            path = f"include[0].items[{index}]"
            if not isinstance(item, EventCriterion):
                raise CirceUnsupported(
                    path,
                    "the first include group becomes Circe's entry events and must hold event "
                    f"criteria only, not {item.domain} criteria",
                )
            if item.temporal is not None:
                raise CirceUnsupported(
                    f"{path}.temporal", "an entry event (first include group) cannot be temporal"
                )
            if item.occurrences != 1:
                raise CirceUnsupported(
                    f"{path}.occurrences",
                    "a number of occurrences on an entry event (first include group) is not supported",
                )
        limit = self.check_anchors()
        criteria_list = [
            self.criterion(item, f"include[0].items[{i}]")
            for i, item in enumerate(primary.items)
            if isinstance(item, EventCriterion)  # checked above; narrows the type
        ]
        rules = []
        for index, group in enumerate(definition.include[1:], start=1):
            rules.append(self.include_rule(group, f"include[{index}]"))
        for index, group in enumerate(definition.exclude):
            rules.append(self.exclude_rule(group, f"exclude[{index}]"))
        limit_type = "First" if limit == "first" else "All"
        return {
            "cdmVersionRange": ">=5.0.0",
            "PrimaryCriteria": {
                "CriteriaList": criteria_list,
                "ObservationWindow": {"PriorDays": 0, "PostDays": 0},
                "PrimaryCriteriaLimit": {"Type": limit_type},
            },
            "ConceptSets": self.concept_sets,
            "QualifiedLimit": {"Type": "First"},
            "ExpressionLimit": {"Type": limit_type},
            "InclusionRules": rules,
            "CensoringCriteria": [],
            "CollapseSettings": {"CollapseType": "ERA", "EraPad": 0},
            "CensorWindow": {},
        }

    def check_anchors(self) -> str:
        """ "first" or "all": the primary limit the temporal anchors ask for."""
        definition = self.definition
        primary = definition.include[0].items
        occurrences = set()
        include_groups_with_temporal = 0
        for side, groups in (("include", definition.include), ("exclude", definition.exclude)):
            for group_index, group in enumerate(groups):
                group_has_temporal = False
                for item_index, item in enumerate(group.items):
                    if not isinstance(item, EventCriterion) or item.temporal is None:
                        continue
                    path = f"{side}[{group_index}].items[{item_index}].temporal"
                    group_has_temporal = True
                    if len(primary) != 1 or item.temporal.anchor != primary[0]:
                        raise CirceUnsupported(
                            f"{path}.anchor",
                            "in Circe a window is relative to the index event: the anchor must "
                            "be the first include group's one criterion",
                        )
                    occurrences.add(item.temporal.anchor_occurrence)
                    if len(occurrences) > 1:
                        raise CirceUnsupported(
                            f"{path}.anchor_occurrence",
                            "anchors on the first event and on any event together have no "
                            "Circe form (one primary criteria limit)",
                        )
                    if item.temporal.anchor_occurrence == "any":
                        if side == "exclude":
                            raise CirceUnsupported(
                                path,
                                "an exclusion relative to any anchor event has no Circe form "
                                "(use anchor_occurrence first)",
                            )
                        if item.occurrences != 1:
                            raise CirceUnsupported(
                                f"{side}[{group_index}].items[{item_index}].occurrences",
                                "several occurrences relative to any anchor event have no Circe "
                                "form (use anchor_occurrence first)",
                            )
                if side == "include" and group_has_temporal:
                    include_groups_with_temporal += 1
        if "any" in occurrences and include_groups_with_temporal > 1:
            raise CirceUnsupported(
                "include",
                "more than one group relative to any anchor event has no Circe form (Circe "
                "checks every rule against the same index event; use anchor_occurrence first)",
            )
        return "first" if "first" in occurrences else "all"

    # -- concept sets and criteria --

    def concept(self, concept_id: int, domain: str) -> dict[str, Any]:
        return {
            "CONCEPT_ID": concept_id,
            "CONCEPT_NAME": self.names.get(concept_id, ""),
            "DOMAIN_ID": OMOP_DOMAIN_ID[domain],
            "VOCABULARY_ID": "",
        }

    def codeset(self, item: EventCriterion) -> int:
        key = (item.concept_id, item.descendants, item.excluded)
        if key not in self.codesets:
            self.codesets[key] = len(self.concept_sets)
            items = [
                {
                    "concept": self.concept(item.concept_id, item.domain),
                    "isExcluded": False,
                    "includeDescendants": item.descendants,
                    "includeMapped": False,
                }
            ]
            items += [
                {
                    "concept": self.concept(ref.concept_id, item.domain),
                    "isExcluded": True,
                    "includeDescendants": ref.descendants,
                    "includeMapped": False,
                }
                for ref in item.excluded
            ]
            self.concept_sets.append(
                {
                    "id": self.codesets[key],
                    "name": self.names.get(item.concept_id) or f"Concept {item.concept_id}",
                    "expression": {"items": items},
                }
            )
        return self.codesets[key]

    def criterion(self, item: EventCriterion, path: str) -> dict[str, Any]:
        circe_type = CIRCE_TYPE_OF[item.domain]
        body: dict[str, Any] = {"CodesetId": self.codeset(item)}
        if item.age_at_event is not None and (
            item.age_at_event.min is not None or item.age_at_event.max is not None
        ):
            body["Age"] = _range_export(item.age_at_event, f"{path}.age_at_event")
        if item.event_date is not None and (
            item.event_date.start is not None or item.event_date.end is not None
        ):
            start, end = item.event_date.start, item.event_date.end
            if start is not None and end is not None:
                body["OccurrenceStartDate"] = {
                    "Value": start.isoformat(),
                    "Op": "bt",
                    "Extent": end.isoformat(),
                }
            elif start is not None:
                body["OccurrenceStartDate"] = {"Value": start.isoformat(), "Op": "gte"}
            else:
                assert end is not None
                body["OccurrenceStartDate"] = {"Value": end.isoformat(), "Op": "lte"}
        if item.value is not None and (item.value.min is not None or item.value.max is not None):
            body["ValueAsNumber"] = _range_export(item.value, f"{path}.value")
        body[TYPE_EXCLUDE_FLAG[circe_type]] = False
        return {circe_type: body}

    def correlated(self, item: EventCriterion, path: str, *, exclude: bool) -> dict[str, Any]:
        temporal = item.temporal
        if temporal is None:
            window: dict[str, Any] = {"Start": {"Coeff": -1}, "End": {"Coeff": 1}}
        else:
            days = temporal.days
            window = {
                "within": {"Start": {"Days": days, "Coeff": -1}, "End": {"Days": days, "Coeff": 1}},
                "before": {"Start": {"Days": days, "Coeff": -1}, "End": {"Days": 0, "Coeff": 1}},
                "after": {"Start": {"Days": 0, "Coeff": 1}, "End": {"Days": days, "Coeff": 1}},
            }[temporal.relation]
        window.update({"UseIndexEnd": False, "UseEventEnd": False})
        if exclude:
            occurrence = (
                {"Type": OCCURRENCE_EXACTLY, "Count": 0}
                if item.occurrences == 1
                else {"Type": OCCURRENCE_AT_MOST, "Count": item.occurrences - 1}
            )
        else:
            occurrence = {"Type": OCCURRENCE_AT_LEAST, "Count": item.occurrences}
        return {
            "Criteria": self.criterion(item, path),
            "StartWindow": window,
            "RestrictVisit": False,
            "IgnoreObservationPeriod": temporal is None,
            "Occurrence": {**occurrence, "IsDistinct": False},
        }

    def include_rule(self, group: Group, path: str) -> dict[str, Any]:
        criteria = []
        demographics = []
        names = []
        for index, item in enumerate(group.items):
            item_path = f"{path}.items[{index}]"
            if isinstance(item, SurveyCriterion):
                raise CirceUnsupported(item_path, "survey criteria have no Circe form")
            if isinstance(item, DemographicCriterion):
                demographics.append(_demographic_export(item, item_path))
                names.append(f"{item.field} {', '.join(item.values)}")
            else:
                criteria.append(self.correlated(item, item_path, exclude=False))
                names.append(self.describe(item))
        return {
            "name": " or ".join(names)[:255],
            "description": None,
            "expression": {
                "Type": "ALL" if len(group.items) == 1 else "ANY",
                "CriteriaList": criteria,
                "DemographicCriteriaList": demographics,
                "Groups": [],
            },
        }

    def exclude_rule(self, group: Group, path: str) -> dict[str, Any]:
        criteria = []
        for index, item in enumerate(group.items):
            item_path = f"{path}.items[{index}]"
            if not isinstance(item, EventCriterion):
                raise CirceUnsupported(
                    item_path,
                    f"an exclude group of {item.domain} criteria has no Circe form "
                    "(Circe excludes by events)",
                )
            criteria.append(self.correlated(item, item_path, exclude=True))
        return {
            "name": ("Not " + " nor ".join(self.describe(item) for item in group.items))[:255],  # type: ignore[arg-type]
            "description": None,
            "expression": {
                "Type": "ALL",
                "CriteriaList": criteria,
                "DemographicCriteriaList": [],
                "Groups": [],
            },
        }

    def describe(self, item: EventCriterion) -> str:
        name = self.names.get(item.concept_id) or f"{item.domain} {item.concept_id}"
        if item.temporal is None:
            return name
        days = item.temporal.days
        return {
            "within": f"{name} within {days} days of the index event",
            "before": f"{name} in the {days} days before the index event",
            "after": f"{name} in the {days} days after the index event",
        }[item.temporal.relation]


def _range_export(bounds: Range, path: str) -> dict[str, Any]:
    low, high = bounds.min, bounds.max
    if low is not None and high is not None:
        if bounds.min_exclusive or bounds.max_exclusive:
            raise CirceUnsupported(
                path, "a range with an exclusive bound and a second bound has no Circe form"
            )
        return {"Value": low, "Op": "bt", "Extent": high}
    if low is not None:
        return {"Value": low, "Op": "gt" if bounds.min_exclusive else "gte"}
    return {"Value": high, "Op": "lt" if bounds.max_exclusive else "lte"}


def _demographic_export(item: DemographicCriterion, path: str) -> dict[str, Any]:
    for key, (builder_field, table, vocabulary) in DEMOGRAPHIC_FIELDS.items():
        if builder_field != item.field:
            continue
        by_value = {value: (concept_id, name) for concept_id, (value, name) in table.items()}
        concepts = []
        for index, value in enumerate(item.values):
            if value not in by_value:
                raise CirceUnsupported(
                    f"{path}.values[{index}]",
                    f"{item.field} {value} has no OMOP concept Circe could use",
                )
            concept_id, name = by_value[value]
            concepts.append(
                {
                    "CONCEPT_ID": concept_id,
                    "CONCEPT_NAME": name,
                    "DOMAIN_ID": vocabulary,
                    "VOCABULARY_ID": vocabulary,
                }
            )
        return {key: concepts}
    if item.field == "age":
        raise CirceUnsupported(
            path,
            "age at consent has no Circe form (Circe's demographic age is at the index event; "
            "use age_at_event on the first include group)",
        )
    raise CirceUnsupported(path, f"{item.field} criteria have no Circe form")


__all__ = ["CirceUnsupported", "circe_export", "circe_import"]
