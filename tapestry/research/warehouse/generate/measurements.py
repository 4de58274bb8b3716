"""Measurements: panels taken at visits, height once, values drawn per participant (repeated
results of one person agree) and shifted by their conditions, sex, age, smoking and statins;
the `measurement` table.

Imports neither Django nor the ORM.
"""

from __future__ import annotations

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
    uniform_position,
)
from tapestry.research.warehouse.generate.model import Model

BODY_WEIGHT = 3025315  # Body weight
BODY_HEIGHT = 3036277  # Body height
BODY_MASS_INDEX = 3038553  # Body mass index (from the person-level BMI)
HEIGHT_MEASURED_SHARE = 0.8


def draw(
    chunk: Chunk,
    model: Model,
    people: People,
    visits: Visits,
    has: Bool,
    onset: Int,
    statin_from: Int,
) -> tuple[pa.Table, Float]:
    """The measurement table, and each participant's body mass index (a person-level trait
    the observations use)."""
    rng, p = chunk.rng, people
    arrays = model.measurement_arrays
    mindex = model.measurement_index
    cindex = model.chronic_index
    visit_count = visits.person.shape[0]
    rows_visit: list[Int] = []
    rows_measurement: list[Int] = []
    for panel in model.clinical.panels:
        probability = np.full(p.n, panel.base)
        for condition, boost in panel.boosts.items():
            probability = probability + boost * has[:, cindex[condition]]
        if panel.sex == "male":
            probability = probability * (p.sex == 0)
        elif panel.sex == "female":
            probability = probability * (p.sex == 1)
        probability = probability * (p.age >= panel.min_age)
        chosen = np.flatnonzero(rng.random(visit_count) < probability[visits.person])
        members = np.array([mindex[concept] for concept in panel.concept_ids])
        rows_visit.append(np.repeat(chosen, members.shape[0]))
        rows_measurement.append(np.tile(members, chosen.shape[0]))
    # Height, once per participant with visits.
    person = np.flatnonzero((visits.count > 0) & (rng.random(p.n) < HEIGHT_MEASURED_SHARE))
    rows_visit.append(
        visits.first[person] + uniform_position(rng, np.zeros_like(person), visits.count[person])
    )
    rows_measurement.append(np.full(person.shape[0], mindex[BODY_HEIGHT]))

    visit_row = np.concatenate(rows_visit)
    measurement = np.concatenate(rows_measurement)
    order = np.argsort(visit_row, kind="stable")  # by person, then date
    visit_row, measurement = visit_row[order], measurement[order]
    person = visits.person[visit_row]
    position = visit_row - visits.first[person]
    count = visit_row.shape[0]

    # Person-level latent values, so a participant's repeated results agree.
    latent = rng.standard_normal((p.n, len(model.clinical.measurements))).astype(np.float32)
    rho = arrays["rho"][measurement]
    value = arrays["mean"][measurement] + arrays["sd"][measurement] * (
        rho * latent[person, measurement] + np.sqrt(1 - rho * rho) * rng.standard_normal(count)
    )
    for concept, shifts in model.shifts_by_concept.items():
        rows = np.flatnonzero(measurement == mindex[concept])
        who, when = person[rows], position[rows]
        for factor, shift in shifts:
            if factor == "male":
                value[rows] += shift * (p.sex[who] == 0)
            elif factor == "age":
                value[rows] += shift * (p.age[who] - 50)
            elif factor == "smoker":
                value[rows] += shift * (p.smoker[who] == 2)
            elif factor == "statin":
                value[rows] += shift * (statin_from[who] <= when)
            else:
                since = onset[who, cindex[factor]]
                value[rows] += shift * ((since >= 0) & (since <= when))

    # Body size: BMI is a person-level trait (obesity ⇔ BMI ≥ 30); weight follows height.
    obese = has[:, cindex["obesity"]]
    bmi = np.where(
        obese,
        30 + rng.gamma(1.6, 3.2, p.n),
        np.clip(24.8 + 2.6 * rng.standard_normal(p.n), 16.5, 29.9),
    )
    height = 162.5 + 13.5 * (p.sex == 0) + 7.0 * rng.standard_normal(p.n)
    is_bmi = measurement == mindex[BODY_MASS_INDEX]
    is_weight = measurement == mindex[BODY_WEIGHT]
    visit_bmi = bmi[person] + 0.6 * rng.standard_normal(count)
    value = np.where(is_bmi, visit_bmi, value)
    value = np.where(is_weight, visit_bmi * (height[person] / 100) ** 2, value)
    value = np.where(
        measurement == mindex[BODY_HEIGHT], height[person] + 0.4 * rng.standard_normal(count), value
    )

    value = np.clip(value, arrays["low"][measurement], arrays["high"][measurement])
    scale = arrays["scale"][measurement]
    value = np.round(value * scale) / scale
    day = visits.day[visit_row]
    table = pa.Table.from_arrays(
        [
            pa.array(chunk.ids(count)),
            pa.array(p.person_id[person]),
            pa.array(arrays["concept_id"][measurement]),
            dates(day),
            pa.array(np.full(count, schema.EHR_RECORD, dtype=np.int32)),
            pa.array(value),
            pa.array(arrays["unit_concept_id"][measurement]),
            arrays["unit"].take(pa.array(measurement)),
            pa.array(visits.visit_id[visit_row]),
        ],
        schema=schema.SCHEMAS["measurement"],
    )
    return table, bmi
