"""Procedures: screening and care for anyone within the rule's age and sex limits, and the
procedures that follow chronic conditions and acute episodes; the `procedure_occurrence` table.

Imports neither Django nor the ORM.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from tapestry.research.warehouse import schema
from tapestry.research.warehouse.clinical import ANYONE
from tapestry.research.warehouse.generate.common import (
    Bool,
    Chunk,
    Int,
    People,
    Visits,
    dates,
    uniform_position,
)
from tapestry.research.warehouse.generate.conditions import Records
from tapestry.research.warehouse.generate.model import Model


def draw(
    chunk: Chunk,
    model: Model,
    people: People,
    visits: Visits,
    has: Bool,
    onset: Int,
    episodes: Records,
) -> pa.Table:
    rng, p = chunk.rng, people
    count_of = visits.count
    persons: list[Int] = []
    positions: list[Int] = []
    procedures: list[Int] = []
    for rule in model.clinical.procedures:
        eligible = (count_of > 0) & (p.age >= rule.min_age) & (p.age <= rule.max_age)
        if rule.sex == "male":
            eligible &= p.sex == 0
        elif rule.sex == "female":
            eligible &= p.sex == 1
        if isinstance(rule.condition, int):
            episode = np.flatnonzero(episodes.concept == rule.condition)
            episode = episode[eligible[episodes.person[episode]]]
            episode = episode[rng.random(episode.shape[0]) < rule.probability]
            person, position = episodes.person[episode], episodes.position[episode]
        else:
            if rule.condition == ANYONE:
                low = np.zeros(p.n, dtype=np.int64)
            else:
                column = model.chronic_index[rule.condition]
                eligible &= has[:, column]
                low = onset[:, column]
            person = np.flatnonzero(eligible & (rng.random(p.n) < rule.probability))
            times = rng.integers(1, rule.repeats + 1, person.shape[0])
            person = np.repeat(person, times)
            position = uniform_position(rng, low[person], count_of[person])
        persons.append(person)
        positions.append(position)
        procedures.append(np.full(person.shape[0], rule.procedure_id, dtype=np.int32))
    person = np.concatenate(persons)
    position = np.concatenate(positions)
    procedure = np.concatenate(procedures)
    order = np.argsort(person, kind="stable")
    person, position, procedure = person[order], position[order], procedure[order]
    row, day = visits.of(person, position)
    count = person.shape[0]
    return pa.Table.from_arrays(
        [
            pa.array(chunk.ids(count)),
            pa.array(p.person_id[person]),
            pa.array(procedure),
            dates(day),
            pa.array(np.full(count, schema.EHR_RECORD, dtype=np.int32)),
            pa.array(visits.visit_id[row]),
        ],
        schema=schema.SCHEMAS["procedure_occurrence"],
    )
