"""The clinical model and the survey answer model as numpy arrays, for vectorized draws.

Built once per process from the data files: `clinical.model()` (data/*.toml, *.csv),
data/race_answers.csv (which answers each race and ethnicity group gives) and
data/survey_answers.toml (shares of the other survey answers and of nonresponse).

Imports neither Django nor the ORM.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from tapestry.research.warehouse import clinical, schema
from tapestry.research.warehouse.clinical import ClinicalModel
from tapestry.research.warehouse.datafiles import (
    DATA_DIR,
    DataFileError,
    Row,
    csv_rows,
    toml_document,
)
from tapestry.research.warehouse.generate.common import Float, Int

SURVEY_ANSWERS_FILE = "survey_answers.toml"


@dataclass(frozen=True)
class SurveyAnswers:
    """data/survey_answers.toml, checked."""

    sex_answers: tuple[str, ...]
    sex_shares: tuple[float, ...]  # the rest skip or decline
    gender_shares: tuple[tuple[float, ...], ...]  # by sex at birth: male, female, other
    education_cuts: Float
    household_shares: tuple[float, ...]
    disability_rates: dict[str, float]
    nonresponse: dict[str, tuple[float, float]]  # question: (skip rate, prefer-not rate)


@dataclass(frozen=True)
class Model:
    """The clinical model and survey answer model, as arrays."""

    clinical: ClinicalModel
    survey: SurveyAnswers
    group_index: dict[str, int]
    group_ses: Float
    chronic_index: dict[str, int]
    race_factor: Float  # conditions * groups
    measurement_index: dict[int, int]
    measurement_arrays: dict[str, Any]
    shifts_by_concept: dict[int, list[tuple[str, float]]]
    survey_codes: list[str]
    survey_ids: Int
    code_index: dict[str, int]
    race_combination_codes: list[tuple[str, ...]]
    race_combination_cumulative: Float  # groups * combinations
    statin_ids: frozenset[int]


def load_survey_answers(directory: Path = DATA_DIR) -> SurveyAnswers:
    """Read and check data/survey_answers.toml."""
    document = toml_document(SURVEY_ANSWERS_FILE, directory=directory)
    path = directory / SURVEY_ANSWERS_FILE

    def section(name: str) -> Row:
        values = document.get(name)
        if not isinstance(values, dict):
            raise DataFileError(f"{SURVEY_ANSWERS_FILE}: the [{name}] table is missing")
        return Row(path=path, where=f"[{name}]", values=values, is_text=False)

    sex = section("sex_at_birth")
    sex_answers = sex.texts("answers")
    if sex_answers != schema.SURVEY["sex_at_birth"]:
        raise sex.error(f"'answers' must be {list(schema.SURVEY['sex_at_birth'])}")
    sex_shares = sex.numbers("shares", count=len(sex_answers), minimum=0.0)
    sex.finish()
    if sum(sex_shares) > 1:
        raise sex.error("'shares' add up to more than 1")

    gender = section("gender_identity")
    answers = len(schema.SURVEY["gender_identity"])
    gender_shares = tuple(
        gender.numbers(key, count=answers, minimum=0.0)
        for key in ("male", "female", "other_or_unknown")
    )
    gender.finish()

    education = section("education")
    cuts = education.numbers("cuts", count=len(schema.SURVEY["education"]) - 1)
    spread = education.number("spread", minimum=0.0)
    education.finish()

    household = section("household_size")
    household_shares = household.numbers("shares", count=8, minimum=0.0)
    household.finish()

    disability = section("disability")
    rates = {
        question: disability.number(question, minimum=0.0, maximum=1.0)
        for question in schema.DISABILITY_QUESTIONS
    }
    disability.finish()

    nonresponse_row = section("nonresponse")
    nonresponse: dict[str, tuple[float, float]] = {}
    for question in list(nonresponse_row.values):
        if question not in schema.SURVEY:
            raise nonresponse_row.error(f"{question!r} is not a survey question")
        skip, prefer = nonresponse_row.numbers(question, count=2, minimum=0.0)
        nonresponse[question] = (skip, prefer)
    nonresponse_row.finish()

    return SurveyAnswers(
        sex_answers=sex_answers,
        sex_shares=sex_shares,
        gender_shares=gender_shares,
        education_cuts=np.array(cuts) * spread,
        household_shares=household_shares,
        disability_rates=rates,
        nonresponse=nonresponse,
    )


def load_race_answers(
    groups: tuple[str, ...], directory: Path = DATA_DIR
) -> dict[str, tuple[tuple[tuple[str, ...], float], ...]]:
    """data/race_answers.csv: for each group, the answer combinations it gives and their
    shares (a combination is the answer codes chosen, space-separated in the file)."""
    allowed = {*schema.SURVEY["race_ethnicity"], schema.SKIP, schema.PREFER_NOT}
    combinations: dict[str, list[tuple[tuple[str, ...], float]]] = {group: [] for group in groups}
    for row in csv_rows("race_answers.csv", directory=directory):
        group = row.text("group", choices=groups)
        answers = row.texts("answers")
        share = row.number("share", minimum=0.0, maximum=1.0)
        row.finish()
        if not answers or set(answers) - allowed:
            raise row.error(f"'answers' must be race_ethnicity answer codes, not {answers!r}")
        combinations[group].append((answers, share))
    empty = [group for group, rows in combinations.items() if not rows]
    if empty:
        raise DataFileError(f"race_answers.csv: no answers for {', '.join(empty)}")
    return {group: tuple(rows) for group, rows in combinations.items()}


@cache
def arrays() -> Model:
    """The model as arrays, built once per process."""
    clinical_model = clinical.model()
    groups = tuple(group.code for group in clinical_model.race_groups)
    group_index = {group: index for index, group in enumerate(groups)}
    chronic = clinical_model.chronic
    chronic_index = {condition.key: i for i, condition in enumerate(chronic)}
    race_factor = np.ones((len(chronic), len(groups)))
    for i, condition in enumerate(chronic):
        for group, factor in condition.race.items():
            race_factor[i, group_index[group]] = factor
    measurements = clinical_model.measurements
    arrays = {
        "concept_id": np.array([m.concept_id for m in measurements], dtype=np.int32),
        "unit_concept_id": np.array([m.unit_concept_id for m in measurements], dtype=np.int32),
        "unit": pa.array([m.unit for m in measurements], pa.string()),
        "mean": np.array([m.mean for m in measurements]),
        "sd": np.array([m.sd for m in measurements]),
        "low": np.array([m.low for m in measurements]),
        "high": np.array([m.high for m in measurements]),
        "scale": np.array([10.0**m.decimals for m in measurements]),
        "rho": np.array([m.rho for m in measurements]),
    }
    shifts: dict[int, list[tuple[str, float]]] = {}
    for shift in clinical_model.shifts:
        shifts.setdefault(shift.concept_id, []).append((shift.factor, shift.shift))
    survey_codes = list(schema.SURVEY_CONCEPT_IDS)
    race_answers = load_race_answers(groups)
    combinations: list[tuple[str, ...]] = []
    for group in groups:
        for codes, _share in race_answers[group]:
            if codes not in combinations:
                combinations.append(codes)
    cumulative = np.zeros((len(groups), len(combinations)))
    for g, group in enumerate(groups):
        for codes, share in race_answers[group]:
            cumulative[g, combinations.index(codes)] += share
    cumulative = np.cumsum(cumulative, axis=1)
    cumulative[:, -1] = 1.0
    statins = {
        choice.concept_id
        for treatment in clinical_model.treatments
        if treatment.condition == "hyperlipidemia"
        for choice in treatment.choices
    }
    return Model(
        clinical=clinical_model,
        survey=load_survey_answers(),
        group_index=group_index,
        group_ses=np.array([group.ses for group in clinical_model.race_groups]),
        chronic_index=chronic_index,
        race_factor=race_factor,
        measurement_index={m.concept_id: i for i, m in enumerate(measurements)},
        measurement_arrays=arrays,
        shifts_by_concept=shifts,
        survey_codes=survey_codes,
        survey_ids=np.array([schema.SURVEY_CONCEPT_IDS[c] for c in survey_codes], dtype=np.int64),
        code_index={code: i for i, code in enumerate(survey_codes)},
        race_combination_codes=combinations,
        race_combination_cumulative=cumulative,
        statin_ids=frozenset(statins),
    )
