"""Visits: how many each participant has (more for older and sicker people, none without
shared health records), when, and of which kind; the `visit_occurrence` table.

Imports neither Django nor the ORM.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from tapestry.research.warehouse import schema
from tapestry.research.warehouse.generate.common import (
    Bool,
    Chunk,
    Float,
    Int,
    People,
    Visits,
    dates,
)

INPATIENT_VISIT, OUTPATIENT_VISIT, EMERGENCY_VISIT = 9201, 9202, 9203
MAX_VISITS = 80


@dataclass(frozen=True)
class VisitDraw:
    visits: Visits
    kind: Int  # 0 inpatient, 1 outpatient, 2 emergency room
    end: Int
    years: Float  # per participant: years observed


def draw(chunk: Chunk, people: People, has: Bool) -> VisitDraw:
    rng, p = chunk.rng, people
    chronic_count = has.sum(axis=1)
    years = (p.obs_end - p.obs_start + 1) / 365.25
    rate = np.minimum(0.3 + 0.09 * chronic_count + 0.005 * np.maximum(p.age - 40, 0), 3.0)
    visits = np.where(p.ehr, rng.poisson(rate * years), 0)
    visits = np.minimum(visits, MAX_VISITS)
    visit_person = np.repeat(np.arange(p.n), visits)
    visit_first = np.cumsum(visits) - visits
    span = (p.obs_end - p.obs_start + 1)[visit_person]
    visit_day = p.obs_start[visit_person] + np.floor(
        rng.random(visit_person.shape[0]) * span
    ).astype(np.int64)
    visit_day = visit_day[np.lexsort((visit_day, visit_person))]
    visit_count = visit_person.shape[0]
    u = rng.random(visit_count)
    inpatient_share = 0.025 + 0.007 * chronic_count[visit_person]
    visit_kind = np.where(u < inpatient_share, 0, np.where(u < inpatient_share + 0.075, 2, 1))
    stay = np.where(visit_kind == 0, 1 + rng.geometric(0.3, visit_count), 0)
    visit_end = np.minimum(visit_day + stay, p.obs_end[visit_person])
    return VisitDraw(
        visits=Visits(
            person=visit_person,
            first=visit_first,
            count=visits,
            day=visit_day,
            visit_id=chunk.ids(visit_count),
        ),
        kind=visit_kind,
        end=visit_end,
        years=years,
    )


def table(people: People, visit_draw: VisitDraw) -> pa.Table:
    visits = visit_draw.visits
    count = visits.person.shape[0]
    concepts = np.array([INPATIENT_VISIT, OUTPATIENT_VISIT, EMERGENCY_VISIT], dtype=np.int32)
    return pa.Table.from_arrays(
        [
            pa.array(visits.visit_id),
            pa.array(people.person_id[visits.person]),
            pa.array(concepts[visit_draw.kind]),
            dates(visits.day),
            dates(visit_draw.end),
            pa.array(np.full(count, schema.EHR_RECORD, dtype=np.int32)),
            pa.array(people.site[visits.person] + 1),
        ],
        schema=schema.SCHEMAS["visit_occurrence"],
    )
