"""Conditions: which chronic conditions each participant has (prevalence by age, sex, group
and other conditions), when they are diagnosed and followed up, the acute episodes; the
`condition_occurrence` table.

Imports neither Django nor the ORM.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from tapestry.research.warehouse import schema
from tapestry.research.warehouse.clinical import SMOKER
from tapestry.research.warehouse.generate.common import (
    ACUTE_CAPTURE,
    Bool,
    Chunk,
    Float,
    Int,
    People,
    Visits,
    dates,
    sex_factor,
    uniform_position,
)
from tapestry.research.warehouse.generate.model import Model

MAX_FOLLOW_UPS = 8
MAX_EPISODES = 6  # of one acute condition per participant


@dataclass(frozen=True)
class Records:
    """Condition records anchored at visits (participant index, visit position)."""

    person: Int
    position: Int
    concept: Int
    days: Int  # how long it lasts; -1 for chronic conditions (no end date)


def chronic(chunk: Chunk, model: Model, people: People) -> Bool:
    """Which chronic conditions each participant has (people * conditions)."""
    rng, p = chunk.rng, people
    conditions = model.clinical.chronic
    has = np.zeros((p.n, len(conditions)), dtype=bool)
    decades = (p.age - 50) / 10
    smoker = p.smoker == 2
    former = p.smoker == 1
    index = model.chronic_index
    for i, condition in enumerate(conditions):
        probability = condition.prevalence * condition.per_decade**decades
        probability = (
            probability
            * sex_factor(p.sex, condition.male, condition.female)
            * model.race_factor[i, p.group]
        )
        for risk, factor in condition.risks.items():
            if risk == SMOKER:
                probability = probability * np.where(
                    smoker, factor, np.where(former, np.sqrt(factor), 1.0)
                )
            else:
                probability = probability * np.where(has[:, index[risk]], factor, 1.0)
        for required in condition.requires:
            probability = probability * has[:, index[required]]
        probability = probability * ((p.age >= condition.min_age) & (p.age <= condition.max_age))
        has[:, i] = rng.random(p.n) < np.minimum(probability, 0.9)
        if condition.key == "t1dm":  # type 1 and type 2 exclude each other
            has[:, index["t2dm"]] &= ~has[:, i]
    return has


def chronic_records(chunk: Chunk, model: Model, has: Bool, visits: Visits) -> tuple[Int, Records]:
    """Diagnose each chronic condition at a visit (early ones more often), then follow it up.
    Returns the onset (visit position of diagnosis, -1 if never; people * conditions) and the
    records."""
    rng = chunk.rng
    count = visits.count
    onset = np.full(has.shape, -1, dtype=np.int64)
    pair_person, pair_condition = np.nonzero(has & (count > 0)[:, None])
    pair_visits = count[pair_person]
    first_position = np.floor(pair_visits * rng.random(pair_person.shape[0]) ** 2).astype(np.int64)
    onset[pair_person, pair_condition] = first_position
    conditions = model.clinical.chronic
    follow_up = np.array([c.follow_up for c in conditions])[pair_condition]
    extra = np.minimum(rng.poisson(follow_up * (pair_visits - first_position - 1)), MAX_FOLLOW_UPS)
    record_pair = np.repeat(np.arange(pair_person.shape[0]), 1 + extra)
    record_first = np.cumsum(1 + extra) - (1 + extra)
    is_first = np.arange(record_pair.shape[0]) == record_first[record_pair]
    record_position = np.where(
        is_first,
        first_position[record_pair],
        uniform_position(rng, first_position[record_pair], pair_visits[record_pair]),
    )
    chronic_ids = np.array([c.concept_id for c in conditions], dtype=np.int64)
    return onset, Records(
        person=pair_person[record_pair],
        position=record_position,
        concept=chronic_ids[pair_condition[record_pair]],
        days=np.full(record_pair.shape[0], -1, dtype=np.int64),
    )


def acute_episodes(
    chunk: Chunk, model: Model, people: People, has: Bool, visits: Visits, years: Float
) -> Records:
    """Acute episodes, each at one of the participant's visits."""
    rng, p = chunk.rng, people
    index = model.chronic_index
    decades = (p.age - 50) / 10
    episode_person: list[Int] = []
    episode_concept: list[Int] = []
    episode_days: list[Int] = []
    for condition in model.clinical.acute:
        expected = ACUTE_CAPTURE * condition.rate * condition.per_decade**decades * years
        expected = expected * sex_factor(p.sex, condition.male, condition.female)
        for risk, factor in condition.risks.items():
            flag = p.smoker == 2 if risk == SMOKER else has[:, index[risk]]
            expected = expected * np.where(flag, factor, 1.0)
        expected = expected * ((p.age >= condition.min_age) & (p.age <= condition.max_age))
        count = np.where(visits.count > 0, np.minimum(rng.poisson(expected), MAX_EPISODES), 0)
        person = np.repeat(np.arange(p.n), count)
        episode_person.append(person)
        episode_concept.append(np.full(person.shape[0], condition.concept_id, dtype=np.int64))
        episode_days.append(np.full(person.shape[0], condition.days, dtype=np.int64))
    acute_person = np.concatenate(episode_person)
    position = uniform_position(rng, np.zeros_like(acute_person), visits.count[acute_person])
    return Records(
        person=acute_person,
        position=position,
        concept=np.concatenate(episode_concept),
        days=np.concatenate(episode_days),
    )


def table(chunk: Chunk, people: People, visits: Visits, parts: list[Records]) -> pa.Table:
    person = np.concatenate([part.person for part in parts])
    position = np.concatenate([part.position for part in parts])
    concept = np.concatenate([part.concept for part in parts])
    duration = np.concatenate([part.days for part in parts])
    order = np.argsort(person, kind="stable")
    person, position, concept, duration = (
        person[order],
        position[order],
        concept[order],
        duration[order],
    )
    row, day = visits.of(person, position)
    end = np.minimum(day + duration, people.obs_end[person])
    count = person.shape[0]
    return pa.Table.from_arrays(
        [
            pa.array(chunk.ids(count)),
            pa.array(people.person_id[person]),
            pa.array(concept.astype(np.int32)),
            dates(day),
            dates(end, mask=duration < 0),
            pa.array(np.full(count, schema.EHR_RECORD, dtype=np.int32)),
            pa.array(visits.visit_id[row]),
        ],
        schema=schema.SCHEMAS["condition_occurrence"],
    )
