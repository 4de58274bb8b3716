"""Drug exposures: treatments of chronic conditions (refilled at later visits) and of acute
episodes (one exposure), and hormones not tied to a condition; the `drug_exposure` table.

Imports neither Django nor the ORM.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from tapestry.research.warehouse import schema
from tapestry.research.warehouse.generate.common import (
    Bool,
    Chunk,
    Int,
    People,
    Visits,
    choose,
    dates,
    uniform_position,
)
from tapestry.research.warehouse.generate.conditions import Records
from tapestry.research.warehouse.generate.model import Model

MAX_REFILLS = 7
MAX_HORMONE_REFILLS = 8
HORMONE_SUPPLIES = (28, 84)  # days: one pack, three packs


def draw(
    chunk: Chunk,
    model: Model,
    people: People,
    visits: Visits,
    has: Bool,
    onset: Int,
    episodes: Records,
) -> tuple[pa.Table, Int]:
    """The drug_exposure table, and per participant the visit position of their first statin
    (int64 max if none), which lowers cholesterol measurements from then on."""
    rng, p = chunk.rng, people
    count_of = visits.count
    persons: list[Int] = []
    positions: list[Int] = []
    drugs: list[Int] = []
    supplies: list[Int] = []
    for treatment in model.clinical.treatments:
        ids = np.array([choice.concept_id for choice in treatment.choices], dtype=np.int64)
        weights = np.array([choice.weight for choice in treatment.choices])
        supply_options = np.array(treatment.days_supply, dtype=np.int64)
        if isinstance(treatment.condition, str):
            column = model.chronic_index[treatment.condition]
            person = np.flatnonzero(has[:, column] & (count_of > 0))
            person = person[rng.random(person.shape[0]) < treatment.probability]
            start = onset[person, column]
            remaining = count_of[person] - start
            start = start + np.floor(rng.random(person.shape[0]) * remaining * 0.3).astype(np.int64)
            fills = 1 + np.minimum(rng.poisson(0.3 * (count_of[person] - start - 1)), MAX_REFILLS)
            fill_person = np.repeat(person, fills)
            fill_start = np.repeat(start, fills)
            fill_first = np.cumsum(fills) - fills
            is_first = np.arange(fill_person.shape[0]) == np.repeat(fill_first, fills)
            position = np.where(
                is_first, fill_start, uniform_position(rng, fill_start, count_of[fill_person])
            )
            drug = np.repeat(ids[choose(rng, person.shape[0], weights)], fills)
        else:
            episode = np.flatnonzero(episodes.concept == treatment.condition)
            episode = episode[rng.random(episode.shape[0]) < treatment.probability]
            fill_person = episodes.person[episode]
            position = episodes.position[episode]
            drug = ids[choose(rng, episode.shape[0], weights)]
        persons.append(fill_person)
        positions.append(position)
        drugs.append(drug)
        supplies.append(
            supply_options[rng.integers(0, supply_options.shape[0], fill_person.shape[0])]
        )

    female = (p.sex == 1) & (count_of > 0)
    for hormone in model.clinical.hormones:
        person = np.flatnonzero(female & (p.age >= hormone.min_age) & (p.age < hormone.max_age))
        person = person[rng.random(person.shape[0]) < hormone.share]
        fills = 1 + np.minimum(rng.poisson(0.4 * count_of[person]), MAX_HORMONE_REFILLS)
        fill_person = np.repeat(person, fills)
        persons.append(fill_person)
        positions.append(uniform_position(rng, np.zeros_like(fill_person), count_of[fill_person]))
        hormone_ids = np.array([choice.concept_id for choice in hormone.choices])
        hormone_weights = tuple(choice.weight for choice in hormone.choices)
        drugs.append(np.repeat(hormone_ids[choose(rng, person.shape[0], hormone_weights)], fills))
        supplies.append(np.where(rng.random(fill_person.shape[0]) < 0.5, *HORMONE_SUPPLIES))

    person = np.concatenate(persons)
    position = np.concatenate(positions)
    drug = np.concatenate(drugs)
    supply = np.concatenate(supplies)
    order = np.argsort(person, kind="stable")
    person, position, drug, supply = person[order], position[order], drug[order], supply[order]
    row, day = visits.of(person, position)
    end = np.minimum(day + supply - 1, p.obs_end[person])

    statin_from = np.full(p.n, np.iinfo(np.int64).max, dtype=np.int64)
    on_statin = np.isin(drug, np.array(sorted(model.statin_ids)))
    np.minimum.at(statin_from, person[on_statin], position[on_statin])
    count = person.shape[0]
    table = pa.Table.from_arrays(
        [
            pa.array(chunk.ids(count)),
            pa.array(p.person_id[person]),
            pa.array(drug.astype(np.int32)),
            dates(day),
            dates(end),
            pa.array(np.full(count, schema.EHR_RECORD, dtype=np.int32)),
            pa.array(supply.astype(np.int32)),
            pa.array(visits.visit_id[row]),
        ],
        schema=schema.SCHEMAS["drug_exposure"],
    )
    return table, statin_from
