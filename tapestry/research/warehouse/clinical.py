"""The clinical model the synthetic data generator draws from, read from `data/`.

Prevalences of chronic conditions (by age, sex, race and ethnicity, and other conditions),
rates of acute conditions, which drugs treat which conditions, the value distributions of
measurements and what shifts them (type 2 diabetes raises HbA1c, statins lower LDL, ...),
the measurement panels, and the procedures and health-record observations that follow
conditions. The numbers are plausible round figures in the range U.S. surveillance reports,
not estimates for any real population.

The tables are data files with named columns (`data/README.md` describes each); this module
holds their types and the loader, which checks every row: fields and their types, that each
concept id is a curated concept whose name is the one written beside it, and that every
condition a row refers to exists. A malformed row raises `datafiles.DataFileError` naming the
file and the row.

Imports neither Django nor the ORM.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from tapestry.research.warehouse import vocabulary
from tapestry.research.warehouse.datafiles import (
    DATA_DIR,
    DataFileError,
    Row,
    csv_rows,
    toml_document,
    toml_rows,
)

SEXES = ("male", "female")
ANYONE = "anyone"  # a procedure rule that applies to every participant in its limits
SMOKER = "smoker"  # a risk factor that is not a condition
# Measurement shift factors that are not conditions: "male", "age" (per year over 50),
# "smoker" (current smokers) and "statin" (from the first statin fill on).
SHIFT_FACTORS = ("male", "age", SMOKER, "statin")


@dataclass(frozen=True)
class ChronicCondition:
    """A lasting condition, present or not for each participant (data/chronic_conditions.toml).

    Probability = prevalence (at age 50) * per_decade^((age - 50) / 10) * the sex and race
    factors * the factor of every risk the participant has (other conditions listed before this
    one, "smoker"), capped at 0.9. `requires` limits it to people with all of those conditions.
    """

    key: str
    concept_id: int
    prevalence: float
    per_decade: float = 1.0
    male: float = 1.0
    female: float = 1.0
    race: dict[str, float] = field(default_factory=dict)
    risks: dict[str, float] = field(default_factory=dict)
    requires: tuple[str, ...] = ()
    min_age: int = 0
    max_age: int = 200
    follow_up: float = 0.3  # extra records per later visit


@dataclass(frozen=True)
class AcuteCondition:
    """An episode that can happen several times (data/acute_conditions.toml): records =
    Poisson(rate * years observed * per_decade^((age - 50) / 10) * sex factor * risk factors)."""

    concept_id: int
    rate: float  # episodes per person-year at age 50
    per_decade: float = 1.0
    male: float = 1.0
    female: float = 1.0
    risks: dict[str, float] = field(default_factory=dict)
    min_age: int = 0
    max_age: int = 200
    days: int = 10  # how long an episode lasts (condition_end_date)


@dataclass(frozen=True)
class WeightedConcept:
    """A concept picked by weight among others (a drug among a treatment's choices)."""

    concept_id: int
    weight: float


@dataclass(frozen=True)
class RaceGroup:
    """A race and ethnicity group the model distinguishes (data/race_groups.csv); the
    generator assigns each participant one. `ses` shifts the socioeconomic score (structural
    inequality)."""

    code: str
    ses: float


@dataclass(frozen=True)
class Treatment:
    """For people with `condition`: with `probability`, one drug picked from `choices` by
    weight (data/treatments.toml). Chronic treatments are refilled at later visits; acute ones
    are one exposure at the episode's visit."""

    condition: int | str  # a chronic condition key, or the concept_id of an acute condition
    probability: float
    choices: tuple[WeightedConcept, ...]
    days_supply: tuple[int, ...] = (30, 90)


@dataclass(frozen=True)
class HormoneTreatment:
    """Contraception or menopausal hormones: women aged min_age <= age < max_age, with
    `share`, refilled at visits; not tied to a condition."""

    choices: tuple[WeightedConcept, ...]
    min_age: int
    max_age: int
    share: float


@dataclass(frozen=True)
class Measurement:
    """A measurement's unit and its distribution in people without the conditions that shift it
    (data/measurements.csv).

    value = mean + shifts + sd * (rho * person effect + √(1 - rho²) * noise), clipped to
    [low, high] and rounded to `decimals`; rho is how much repeated values of one person agree.
    """

    concept_id: int
    unit_concept_id: int  # 0 where OMOP has no unit concept
    unit: str  # the UCUM code, as the source system writes it
    mean: float
    sd: float
    low: float
    high: float
    decimals: int = 1
    rho: float = 0.6


@dataclass(frozen=True)
class MeasurementShift:
    """`shift` added to a measurement for people with `factor` (data/measurement_shifts.csv):
    a chronic condition key (from the visit of diagnosis on) or one of SHIFT_FACTORS."""

    concept_id: int
    factor: str
    shift: float


@dataclass(frozen=True)
class Panel:
    """Measurements taken together at a visit: with probability `base`, plus `boosts` for
    people with the listed conditions (data/measurement_panels.toml)."""

    concept_ids: tuple[int, ...]
    base: float
    boosts: dict[str, float] = field(default_factory=dict)
    sex: str | None = None  # "male" / "female" limits the panel
    min_age: int = 0


@dataclass(frozen=True)
class ProcedureRule:
    """Procedures a participant gets (data/procedures.csv): with `probability` for people who
    have `condition` (a chronic key, an acute concept_id, or "anyone"), `repeats` times at
    most, within the age and sex limits."""

    procedure_id: int
    condition: int | str
    probability: float
    repeats: int = 1
    sex: str | None = None
    min_age: int = 0
    max_age: int = 200


@dataclass(frozen=True)
class ObservationRule:
    """A health-record observation that follows a chronic condition, for `share` of the people
    who have it (data/observation_rules.csv)."""

    concept_id: int
    condition: str
    share: float


@dataclass(frozen=True)
class Allergy:
    concept_id: int
    share: float  # of participants with health records


@dataclass(frozen=True)
class Lifestyle:
    """The observation concepts for smoking and severe obesity (data/lifestyle_observations.csv)."""

    current_smoker: tuple[WeightedConcept, ...]  # one picked per record
    former_smoker: int
    severe_obesity: int


@dataclass(frozen=True)
class ClinicalModel:
    race_groups: tuple[RaceGroup, ...]
    chronic: tuple[ChronicCondition, ...]
    causes_of_death: tuple[str, ...]  # chronic keys, in the order a cause of death is chosen
    acute: tuple[AcuteCondition, ...]
    treatments: tuple[Treatment, ...]
    hormones: tuple[HormoneTreatment, ...]
    measurements: tuple[Measurement, ...]
    shifts: tuple[MeasurementShift, ...]
    panels: tuple[Panel, ...]
    procedures: tuple[ProcedureRule, ...]
    observation_rules: tuple[ObservationRule, ...]
    allergies: tuple[Allergy, ...]
    lifestyle: Lifestyle

    @property
    def chronic_keys(self) -> tuple[str, ...]:
        return tuple(condition.key for condition in self.chronic)

    def referenced_concept_ids(self) -> set[int]:
        """Every concept id the model uses (each one is checked against the vocabulary)."""
        ids = {condition.concept_id for condition in self.chronic}
        ids |= {condition.concept_id for condition in self.acute}
        ids |= {allergy.concept_id for allergy in self.allergies}
        for treatment in self.treatments:
            ids |= {choice.concept_id for choice in treatment.choices}
            if isinstance(treatment.condition, int):
                ids.add(treatment.condition)
        for hormone in self.hormones:
            ids |= {choice.concept_id for choice in hormone.choices}
        for measurement in self.measurements:
            ids.add(measurement.concept_id)
            if measurement.unit_concept_id:
                ids.add(measurement.unit_concept_id)
        for panel in self.panels:
            ids |= set(panel.concept_ids)
        for rule in self.procedures:
            ids.add(rule.procedure_id)
            if isinstance(rule.condition, int):
                ids.add(rule.condition)
        ids |= {rule.concept_id for rule in self.observation_rules}
        ids |= {choice.concept_id for choice in self.lifestyle.current_smoker}
        ids |= {self.lifestyle.former_smoker, self.lifestyle.severe_obesity}
        ids |= {shift.concept_id for shift in self.shifts}
        return ids


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------


def _concept(row: Row, id_field: str, name_field: str, *, optional: bool = False) -> int:
    """A concept id, checked against the curated vocabulary and the name written beside it."""
    concept_id = row.integer(id_field, 0 if optional else None, minimum=0)
    name = row.text(name_field, "") if optional else row.text(name_field)
    if optional and concept_id == 0:
        if name:
            raise row.error(f"'{name_field}' is given but '{id_field}' is 0")
        return 0
    concept = vocabulary.concept_by_id().get(concept_id)
    if concept is None:
        raise row.error(f"'{id_field}' {concept_id} is not in the curated vocabulary")
    if concept.concept_name != name:
        raise row.error(
            f"'{name_field}' {name!r} does not match concept {concept_id}, {concept.concept_name!r}"
        )
    return concept_id


def _share(row: Row, name: str, default: float | None = None) -> float:
    return row.number(name, default, minimum=0.0, maximum=1.0)


def _factor(row: Row, name: str) -> float:
    return row.number(name, 1.0, minimum=0.0)


def _choices(rows: list[Row]) -> tuple[WeightedConcept, ...]:
    choices = []
    for row in rows:
        choices.append(
            WeightedConcept(
                concept_id=_concept(row, "concept_id", "concept_name"),
                weight=row.number("weight", minimum=0.0),
            )
        )
        row.finish()
    return tuple(choices)


def _check_keys(row: Row, field_name: str, keys: object, known: set[str]) -> None:
    unknown = sorted(set(keys) - known)  # type: ignore[call-overload]
    if unknown:
        raise row.error(f"'{field_name}' names unknown conditions: {', '.join(unknown)}")


def _race_groups(directory: Path) -> tuple[RaceGroup, ...]:
    groups: list[RaceGroup] = []
    for row in csv_rows("race_groups.csv", directory=directory):
        group = RaceGroup(code=row.text("group"), ses=row.number("ses"))
        row.finish()
        if group.code in {earlier.code for earlier in groups}:
            raise row.error(f"'group' {group.code!r} is used twice")
        groups.append(group)
    return tuple(groups)


def _chronic(
    directory: Path, race_groups: set[str]
) -> tuple[tuple[ChronicCondition, ...], tuple[str, ...]]:
    name = "chronic_conditions.toml"
    document = toml_document(name, directory=directory)
    conditions: list[ChronicCondition] = []
    earlier: set[str] = set()
    rows = toml_rows(name, "condition", directory=directory, document=document)
    for row in rows:
        key = row.text("key")
        if key in earlier:
            raise row.error(f"'key' {key!r} is used twice")
        condition = ChronicCondition(
            key=key,
            concept_id=_concept(row, "concept_id", "concept_name"),
            prevalence=_share(row, "prevalence"),
            per_decade=_factor(row, "per_decade"),
            male=_factor(row, "male"),
            female=_factor(row, "female"),
            race=row.factors("race"),
            risks=row.factors("risks"),
            requires=row.texts("requires"),
            min_age=row.integer("min_age", 0, minimum=0),
            max_age=row.integer("max_age", 200, minimum=0),
            follow_up=row.number("follow_up", 0.3, minimum=0.0),
        )
        row.finish()
        unknown_groups = sorted(set(condition.race) - race_groups)
        if unknown_groups:
            raise row.error(f"'race' names unknown groups: {', '.join(unknown_groups)}")
        # A requirement must come earlier: the generator decides conditions in order.
        _check_keys(row, "requires", condition.requires, earlier)
        conditions.append(condition)
        earlier.add(key)
    # A risk on a later condition is accepted but has no effect (nobody has it yet when this
    # one is decided); the file says so where it happens. Unknown keys are errors.
    for condition, row in zip(conditions, rows, strict=True):
        _check_keys(row, "risks", condition.risks, earlier | {SMOKER})
    causes = document.get("causes_of_death", [])
    if not isinstance(causes, list) or sorted(set(causes) - earlier):
        raise DataFileError(f"{name}: 'causes_of_death' must list condition keys, not {causes!r}")
    return tuple(conditions), tuple(causes)


def _acute(directory: Path, chronic_keys: set[str]) -> tuple[AcuteCondition, ...]:
    conditions = []
    for row in toml_rows("acute_conditions.toml", "condition", directory=directory):
        condition = AcuteCondition(
            concept_id=_concept(row, "concept_id", "concept_name"),
            rate=row.number("rate", minimum=0.0),
            per_decade=_factor(row, "per_decade"),
            male=_factor(row, "male"),
            female=_factor(row, "female"),
            risks=row.factors("risks"),
            min_age=row.integer("min_age", 0, minimum=0),
            max_age=row.integer("max_age", 200, minimum=0),
            days=row.integer("days", 10, minimum=0),
        )
        row.finish()
        _check_keys(row, "risks", condition.risks, chronic_keys | {SMOKER})
        conditions.append(condition)
    return tuple(conditions)


def _condition(
    row: Row, *, chronic_keys: set[str], key_field: str, allow_anyone: bool
) -> int | str:
    """A chronic key in `key_field`, or an acute condition's id in `key_field` (CSV) /
    `condition_concept_id` (TOML) with its name in `condition_name`."""
    if row.is_text:
        value = row.text(key_field)
        if value.isdigit():
            concept_id = _concept(row, key_field, "condition_name")
        else:
            if row.values.get("condition_name"):
                raise row.error(f"'condition_name' is only for concept ids, not {value!r}")
            row.optional_text("condition_name")
            key = value
            concept_id = 0
    else:
        if "condition_concept_id" in row.values:
            concept_id = _concept(row, "condition_concept_id", "condition_name")
        else:
            key = row.text(key_field)
            concept_id = 0
    if concept_id:
        # Not checked against the acute conditions: a rule on a concept that is never an
        # acute episode (procedures.csv's intubation after cardiac arrest, 321042, a chronic
        # condition here) never fires; kept so that a seed gives the same data as before.
        return concept_id
    if key not in chronic_keys and not (allow_anyone and key == ANYONE):
        raise row.error(f"'{key_field}' {key!r} is not a chronic condition key")
    return key


def _treatments(
    directory: Path, chronic_keys: set[str]
) -> tuple[tuple[Treatment, ...], tuple[HormoneTreatment, ...]]:
    name = "treatments.toml"
    document = toml_document(name, directory=directory)
    groups_document = document.get("drug_groups", {})
    if not isinstance(groups_document, dict):
        raise DataFileError(f"{name}: [drug_groups] must be a table of lists")
    groups_row = Row(
        path=directory / name, where="[drug_groups]", values=groups_document, is_text=False
    )
    groups = {group: _choices(groups_row.rows(group)) for group in groups_document}
    treatments = []
    for row in toml_rows(name, "treatment", directory=directory, document=document):
        choices: list[WeightedConcept] = []
        for group in row.texts("groups"):
            if group not in groups:
                raise row.error(f"'groups' names an unknown drug group {group!r}")
            choices += groups[group]
        choices += _choices(row.rows("choices"))
        if not choices:
            raise row.error("a treatment needs at least one drug (groups or choices)")
        treatments.append(
            Treatment(
                condition=_condition(
                    row,
                    chronic_keys=chronic_keys,
                    key_field="condition",
                    allow_anyone=False,
                ),
                probability=_share(row, "probability"),
                choices=tuple(choices),
                days_supply=row.integers("days_supply", (30, 90)),
            )
        )
        row.finish()
    hormones = []
    for row in toml_rows(name, "hormone", directory=directory, document=document):
        hormones.append(
            HormoneTreatment(
                choices=_choices(row.rows("choices")),
                min_age=row.integer("min_age", minimum=0),
                max_age=row.integer("max_age", minimum=0),
                share=_share(row, "share"),
            )
        )
        row.finish()
    return tuple(treatments), tuple(hormones)


def _measurements(directory: Path) -> tuple[Measurement, ...]:
    measurements = []
    for row in csv_rows("measurements.csv", directory=directory):
        measurement = Measurement(
            concept_id=_concept(row, "concept_id", "concept_name"),
            unit_concept_id=_concept(row, "unit_concept_id", "unit_concept_name", optional=True),
            unit=row.text("unit"),
            mean=row.number("mean"),
            sd=row.number("sd", minimum=0.0),
            low=row.number("low"),
            high=row.number("high"),
            decimals=row.integer("decimals", 1, minimum=0),
            rho=_share(row, "rho", 0.6),
        )
        row.finish()
        if measurement.low > measurement.high:
            raise row.error("'low' is above 'high'")
        measurements.append(measurement)
    return tuple(measurements)


def _shifts(
    directory: Path, chronic_keys: set[str], measured: set[int]
) -> tuple[MeasurementShift, ...]:
    shifts = []
    for row in csv_rows("measurement_shifts.csv", directory=directory):
        shift = MeasurementShift(
            concept_id=_concept(row, "concept_id", "concept_name"),
            factor=row.text("factor"),
            shift=row.number("shift"),
        )
        row.finish()
        if shift.concept_id not in measured:
            raise row.error(f"concept {shift.concept_id} is not in measurements.csv")
        if shift.factor not in chronic_keys and shift.factor not in SHIFT_FACTORS:
            raise row.error(f"'factor' {shift.factor!r} is not a condition key or a known factor")
        shifts.append(shift)
    return tuple(shifts)


def _panels(directory: Path, chronic_keys: set[str], measured: set[int]) -> tuple[Panel, ...]:
    panels = []
    for row in toml_rows("measurement_panels.toml", "panel", directory=directory):
        members = []
        for member in row.rows("members"):
            concept_id = _concept(member, "concept_id", "concept_name")
            member.finish()
            if concept_id not in measured:
                raise member.error(f"concept {concept_id} is not in measurements.csv")
            members.append(concept_id)
        if not members:
            raise row.error("a panel needs at least one member")
        panel = Panel(
            concept_ids=tuple(members),
            base=_share(row, "base"),
            boosts=row.factors("boosts"),
            sex=row.optional_text("sex", choices=SEXES),
            min_age=row.integer("min_age", 0, minimum=0),
        )
        row.finish()
        _check_keys(row, "boosts", panel.boosts, chronic_keys)
        panels.append(panel)
    return tuple(panels)


def _procedures(directory: Path, chronic_keys: set[str]) -> tuple[ProcedureRule, ...]:
    rules = []
    for row in csv_rows("procedures.csv", directory=directory):
        rules.append(
            ProcedureRule(
                procedure_id=_concept(row, "procedure_concept_id", "procedure_name"),
                condition=_condition(
                    row,
                    chronic_keys=chronic_keys,
                    key_field="condition",
                    allow_anyone=True,
                ),
                probability=_share(row, "probability"),
                repeats=row.integer("repeats", 1, minimum=1),
                sex=row.optional_text("sex", choices=SEXES),
                min_age=row.integer("min_age", 0, minimum=0),
                max_age=row.integer("max_age", 200, minimum=0),
            )
        )
        row.finish()
    return tuple(rules)


def _observation_rules(directory: Path, chronic_keys: set[str]) -> tuple[ObservationRule, ...]:
    rules = []
    for row in csv_rows("observation_rules.csv", directory=directory):
        rule = ObservationRule(
            concept_id=_concept(row, "concept_id", "concept_name"),
            condition=row.text("condition"),
            share=_share(row, "share"),
        )
        row.finish()
        _check_keys(row, "condition", (rule.condition,), chronic_keys)
        rules.append(rule)
    return tuple(rules)


def _allergies(directory: Path) -> tuple[Allergy, ...]:
    allergies = []
    for row in csv_rows("allergies.csv", directory=directory):
        allergies.append(
            Allergy(
                concept_id=_concept(row, "concept_id", "concept_name"), share=_share(row, "share")
            )
        )
        row.finish()
    return tuple(allergies)


def _lifestyle(directory: Path) -> Lifestyle:
    roles: dict[str, list[WeightedConcept]] = {
        "current_smoker": [],
        "former_smoker": [],
        "severe_obesity": [],
    }
    name = "lifestyle_observations.csv"
    for row in csv_rows(name, directory=directory):
        concept_id = _concept(row, "concept_id", "concept_name")
        role = row.text("role", choices=tuple(roles))
        roles[role].append(WeightedConcept(concept_id, row.number("weight", 1.0, minimum=0.0)))
        row.finish()
    for role in ("former_smoker", "severe_obesity"):
        if len(roles[role]) != 1:
            raise DataFileError(f"{name}: exactly one row must have the role {role!r}")
    if not roles["current_smoker"]:
        raise DataFileError(f"{name}: at least one row must have the role 'current_smoker'")
    return Lifestyle(
        current_smoker=tuple(roles["current_smoker"]),
        former_smoker=roles["former_smoker"][0].concept_id,
        severe_obesity=roles["severe_obesity"][0].concept_id,
    )


def load(directory: Path = DATA_DIR) -> ClinicalModel:
    """Read and check the clinical model's data files in `directory`.

    Raises DataFileError (naming the file and the row) for any malformed row.
    """
    race_groups = _race_groups(directory)
    chronic, causes = _chronic(directory, {group.code for group in race_groups})
    keys = {condition.key for condition in chronic}
    acute = _acute(directory, keys)
    treatments, hormones = _treatments(directory, keys)
    measurements = _measurements(directory)
    measured = {measurement.concept_id for measurement in measurements}
    return ClinicalModel(
        race_groups=race_groups,
        chronic=chronic,
        causes_of_death=causes,
        acute=acute,
        treatments=treatments,
        hormones=hormones,
        measurements=measurements,
        shifts=_shifts(directory, keys, measured),
        panels=_panels(directory, keys, measured),
        procedures=_procedures(directory, keys),
        observation_rules=_observation_rules(directory, keys),
        allergies=_allergies(directory),
        lifestyle=_lifestyle(directory),
    )


@cache
def model() -> ClinicalModel:
    """The clinical model of `data/`, read once per process."""
    return load()
