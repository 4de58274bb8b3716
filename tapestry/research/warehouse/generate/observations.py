"""Observations: the survey answers, and the health-record observations (smoking status,
allergies, history that follows conditions, severe obesity); the `observation` table.

Imports neither Django nor the ORM.
"""

from __future__ import annotations

import dataclasses

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
    choose,
    dates,
    uniform_position,
)
from tapestry.research.warehouse.generate.model import Model
from tapestry.research.warehouse.generate.surveys import Survey

SEVERE_OBESITY_BMI = 40
FORMER_SMOKER_RECORDED_SHARE = 0.7
SEVERE_OBESITY_RECORDED_SHARE = 0.5


def draw(
    chunk: Chunk,
    model: Model,
    people: People,
    visits: Visits,
    survey: Survey,
    has: Bool,
    onset: Int,
    bmi: Float,
) -> pa.Table:
    rng, p = chunk.rng, people
    lifestyle = model.clinical.lifestyle
    count_of = visits.count
    with_visits = count_of > 0
    persons: list[Int] = []
    positions: list[Int] = []
    concepts: list[Int] = []

    def add(person: Int, low: Int, concept: Int) -> None:
        persons.append(person)
        positions.append(uniform_position(rng, low, count_of[person]))
        concepts.append(concept)

    current = np.flatnonzero(with_visits & (p.smoker == 2))
    times = 1 + np.minimum(rng.poisson(0.25 * count_of[current]), 3)
    person = np.repeat(current, times)
    smoking = np.array([choice.concept_id for choice in lifestyle.current_smoker])
    smoking_weights = tuple(choice.weight for choice in lifestyle.current_smoker)
    add(person, np.zeros_like(person), smoking[choose(rng, person.shape[0], smoking_weights)])
    former = np.flatnonzero(
        with_visits & (p.smoker == 1) & (rng.random(p.n) < FORMER_SMOKER_RECORDED_SHARE)
    )
    times = 1 + np.minimum(rng.poisson(0.15 * count_of[former]), 2)
    person = np.repeat(former, times)
    add(person, np.zeros_like(person), np.full(person.shape[0], lifestyle.former_smoker))
    for allergy in model.clinical.allergies:
        person = np.flatnonzero(with_visits & (rng.random(p.n) < allergy.share))
        add(person, np.zeros_like(person), np.full(person.shape[0], allergy.concept_id))
    for rule in model.clinical.observation_rules:
        column = model.chronic_index[rule.condition]
        person = np.flatnonzero(with_visits & has[:, column] & (rng.random(p.n) < rule.share))
        add(person, onset[person, column], np.full(person.shape[0], rule.concept_id))
    person = np.flatnonzero(
        with_visits
        & (bmi >= SEVERE_OBESITY_BMI)
        & (rng.random(p.n) < SEVERE_OBESITY_RECORDED_SHARE)
    )
    add(person, np.zeros_like(person), np.full(person.shape[0], lifestyle.severe_obesity))

    ehr_person = np.concatenate(persons)
    ehr_position = np.concatenate(positions)
    ehr_concept = np.concatenate(concepts).astype(np.int64)
    order = np.argsort(ehr_person, kind="stable")
    ehr_person, ehr_position, ehr_concept = (
        ehr_person[order],
        ehr_position[order],
        ehr_concept[order],
    )
    _ehr_row, ehr_day = visits.of(ehr_person, ehr_position)

    # A second Basics survey is drawn before deaths are: one dated after death is dropped.
    alive = survey.day <= p.obs_end[survey.person]
    survey = dataclasses.replace(
        survey,
        person=survey.person[alive],
        question=survey.question[alive],
        answer=survey.answer[alive],
        number=survey.number[alive],
        day=survey.day[alive],
    )
    survey_count = survey.person.shape[0]
    ehr_count = ehr_person.shape[0]
    count = survey_count + ehr_count
    codes = pa.array(model.survey_codes, pa.string())
    question = pa.array(survey.question)
    answer = pa.array(survey.answer)
    null_strings = pa.nulls(ehr_count, pa.string())
    number = np.concatenate([survey.number, np.full(ehr_count, np.nan)])
    return pa.Table.from_arrays(
        [
            pa.array(chunk.ids(count)),
            pa.array(p.person_id[np.concatenate([survey.person, ehr_person])]),
            pa.array(
                np.concatenate([model.survey_ids[survey.question], ehr_concept]).astype(np.int32)
            ),
            dates(np.concatenate([survey.day, ehr_day])),
            pa.array(
                np.concatenate(
                    [
                        np.full(survey_count, schema.SURVEY_RECORD),
                        np.full(ehr_count, schema.EHR_RECORD),
                    ]
                ).astype(np.int32)
            ),
            pa.array(number, mask=np.isnan(number)),
            pa.array(
                np.concatenate(
                    [model.survey_ids[survey.answer], np.zeros(ehr_count, dtype=np.int64)]
                ).astype(np.int32)
            ),
            pa.concat_arrays([codes.take(question), null_strings]),
            pa.concat_arrays([codes.take(answer), null_strings]),
        ],
        schema=schema.SCHEMAS["observation"],
    )
