"""Survey answers: consent, race and ethnicity, sex at birth, gender identity, sexual
orientation, income, household, education, disability and access to care, each drawn from the
participant's group, age and socioeconomic score (data/survey_answers.toml for the shares).

Income is asked as a bracket (schema.INCOME_BRACKETS). Gender identity allows several answers:
a few people choose two (one row each). A share of people (SECOND_BASICS_SHARE) take The Basics
again months or years later, with some answers changed (a higher income bracket, a larger
household); the release must use the first survey.

Imports neither Django nor the ORM.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tapestry.research.warehouse import schema
from tapestry.research.warehouse.generate.common import (
    END_DAY,
    Chunk,
    Float,
    Int,
    People,
    choose,
    pick,
)
from tapestry.research.warehouse.generate.model import Model
from tapestry.research.warehouse.generate.sites import all_sites

SECOND_BASICS_SHARE = 0.12  # people who take The Basics a second time
SECOND_BASICS_DAYS = (120, 900)  # how long after the first
# A second gender identity answer, by first answer (man, woman, non-binary, transgender, other).
SECOND_GENDER_SHARE = (0.002, 0.002, 0.25, 0.6, 0.2)


@dataclass(frozen=True)
class Survey:
    """Survey answers as observation rows, and what the person table needs from them."""

    person: Int  # participant index of each row
    question: Int  # index into model.survey_codes
    answer: Int
    number: Float  # NaN where not numeric
    day: Int
    race_combination: Int  # per participant: index into model.race_combination_codes
    sex_answer: Int  # per participant: index into model.survey_codes


def draw(chunk: Chunk, model: Model, people: People) -> Survey:
    rng, p = chunk.rng, people
    answers_model = model.survey
    n = p.n
    code = model.code_index
    skip, prefer = code[schema.SKIP], code[schema.PREFER_NOT]
    persons: list[Int] = []
    questions: list[Int] = []
    answers: list[Int] = []
    numbers: list[Float] = []
    days: list[Int] = []

    def add(question: str, answer: Int, number: Float | None = None) -> None:
        skip_rate, prefer_rate = answers_model.nonresponse.get(question, (0.0, 0.0))
        if skip_rate or prefer_rate:
            u = rng.random(n)
            answer = np.where(u < skip_rate, skip, answer)
            answer = np.where((u >= skip_rate) & (u < skip_rate + prefer_rate), prefer, answer)
        value = np.full(n, np.nan) if number is None else number
        value = np.where((answer == skip) | (answer == prefer), np.nan, value)
        persons.append(np.arange(n))
        questions.append(np.full(n, code[question]))
        answers.append(answer)
        numbers.append(value)
        days.append(p.consent if question == "consent" else p.survey_day)

    def coded(values: tuple[str, ...], index: Int) -> Int:
        lookup = np.array([code[value] for value in values])
        return lookup[index]

    add("consent", np.full(n, code["consent_yes"]))

    # Race and ethnicity: one row per answer chosen.
    combination = pick(rng, model.race_combination_cumulative[p.group])
    combos = model.race_combination_codes
    lengths = np.array([len(c) for c in combos])[combination]
    person_rows = np.repeat(np.arange(n), lengths)
    first = np.cumsum(lengths) - lengths
    slot = np.arange(person_rows.shape[0]) - np.repeat(first, lengths)
    answer_table = np.array([[code[c[0]], code[c[-1]]] for c in combos])
    persons.append(person_rows)
    questions.append(np.full(person_rows.shape[0], code["race_ethnicity"]))
    answers.append(answer_table[combination[person_rows], np.minimum(slot, 1)])
    numbers.append(np.full(person_rows.shape[0], np.nan))
    days.append(p.survey_day[person_rows])

    sex_answer = np.where(p.sex >= 0, coded(answers_model.sex_answers, np.maximum(p.sex, 0)), skip)
    sex_answer = np.where((p.sex < 0) & (rng.random(n) < 0.5), prefer, sex_answer)
    persons.append(np.arange(n))
    questions.append(np.full(n, code["sex_at_birth"]))
    answers.append(sex_answer)
    numbers.append(np.full(n, np.nan))
    days.append(p.survey_day)

    gender_row = np.where(p.sex == 0, 0, np.where(p.sex == 1, 1, 2))
    gender_cumulative = np.cumsum(np.array(answers_model.gender_shares), axis=1)
    gender_cumulative[:, -1] = 1.0
    gender_codes = schema.SURVEY["gender_identity"]
    gender = pick(rng, gender_cumulative[gender_row])
    add("gender_identity", coded(gender_codes, gender))
    first_gender = answers[-1]
    second = (rng.random(n) < np.array(SECOND_GENDER_SHARE)[gender]) & (first_gender != skip)
    second &= first_gender != prefer
    # Transgender people add man or woman; others add non-binary or "another term".
    other = np.where(
        gender == gender_codes.index("gender_transgender"),
        np.where(p.sex == 0, gender_codes.index("gender_woman"), gender_codes.index("gender_man")),
        np.where(
            gender == gender_codes.index("gender_non_binary"),
            gender_codes.index("gender_additional"),
            gender_codes.index("gender_non_binary"),
        ),
    )
    extra = np.flatnonzero(second)
    persons.append(extra)
    questions.append(np.full(extra.shape[0], code["gender_identity"]))
    answers.append(coded(gender_codes, other[extra]))
    numbers.append(np.full(extra.shape[0], np.nan))
    days.append(p.survey_day[extra])

    young = p.age < 30
    bisexual = np.where(young, 0.08, 0.03) * np.where(p.sex == 1, 1.3, 0.8)
    gay = np.where(p.sex == 0, 0.03, 0.004)
    lesbian = np.where(p.sex == 1, 0.018, 0.002)
    none = np.full(n, 0.012)
    straight = 1 - bisexual - gay - lesbian - none
    orientation = np.cumsum(np.stack([straight, gay, lesbian, bisexual, none], axis=1), axis=1)
    orientation[:, -1] = 1.0
    add("sexual_orientation", coded(schema.SURVEY["sexual_orientation"], pick(rng, orientation)))

    group = model.group_index
    household = 1 + choose(rng, n, answers_model.household_shares)
    larger = np.isin(p.group, [group["hispanic"], group["aian"], group["nhpi"]]) & (
        rng.random(n) < 0.3
    )
    household = np.minimum(household + larger, 8)
    older = (p.age >= 70) & (household > 2) & (rng.random(n) < 0.85)
    household = np.where(older, 1 + (rng.random(n) < 0.55), household)
    median = np.array([s.income for s in all_sites()])[p.site]
    score = 0.8 * p.ses + 0.6 * rng.standard_normal(n)
    income = median * household**0.3 * np.exp(0.72 * score) * np.where(p.age >= 70, 0.75, 1)
    income = np.where(rng.random(n) < 0.01, 0.0, income)
    bracket_codes = schema.SURVEY["annual_income"]
    lower_bounds = [schema.INCOME_BRACKETS[c][0] for c in bracket_codes[1:]]
    add("annual_income", coded(bracket_codes, np.searchsorted(lower_bounds, income, side="right")))
    add("household_size", np.full(n, code["household_count"]), household.astype(np.float64))

    education_score = 0.9 * p.ses + 0.9 * rng.standard_normal(n)
    education = np.searchsorted(answers_model.education_cuts, education_score)
    education = np.where(p.age < 22, np.minimum(education, 5), education)
    add("education", coded(schema.SURVEY["education"], education))

    age_factor = 0.45 + np.clip(p.age, 18, 95) / 55
    yes, no = code["yes"], code["no"]
    for question, rate in answers_model.disability_rates.items():
        probability = rate * age_factor * np.exp(-0.35 * p.ses)
        if question == "disability_concentrating":
            probability = rate * (1.4 - 0.4 * age_factor / 2.2) * np.exp(-0.35 * p.ses)
        add(question, np.where(rng.random(n) < probability, yes, no))

    hispanic = p.group == group["hispanic"]
    uninsured = np.clip(0.07 * np.exp(-0.6 * p.ses) + 0.05 * hispanic, 0, 0.6)
    uninsured = np.where(p.age >= 65, uninsured * 0.15, uninsured)
    no_insurance = rng.random(n) < uninsured
    add("health_insurance", np.where(no_insurance, no, yes))
    no_usual = rng.random(n) < np.clip(0.08 * np.exp(-0.4 * p.ses) + 0.15 * no_insurance, 0, 0.7)
    add("usual_source_of_care", np.where(no_usual, no, yes))
    cost = np.clip(0.08 * np.exp(-0.5 * p.ses) + 0.2 * no_insurance, 0, 0.8)
    add("delayed_care_cost", np.where(rng.random(n) < cost, yes, no))
    transport = np.clip(0.05 * np.exp(-0.5 * p.ses) + 0.04 * p.rural, 0, 0.6)
    add("delayed_care_transport", np.where(rng.random(n) < transport, yes, no))
    working_age = (p.age >= 18) & (p.age < 65)
    time_off = np.clip(0.06 * np.exp(-0.4 * p.ses) * working_age, 0, 0.5)
    add("delayed_care_time_off_work", np.where(rng.random(n) < time_off, yes, no))
    childcare = np.clip(0.05 * np.exp(-0.4 * p.ses) * (p.age < 50) * (household > 2), 0, 0.5)
    add("delayed_care_childcare", np.where(rng.random(n) < childcare, yes, no))
    eldercare = np.clip(0.025 * np.exp(-0.3 * p.ses) * (p.age >= 40), 0, 0.3)
    add("delayed_care_eldercare", np.where(rng.random(n) < eldercare, yes, no))
    minority = p.group != group["white"]
    unfair = 0.04 * np.exp(-0.3 * p.ses) * np.where(minority, 2.0, 1.0)
    often = np.stack([0.1 * unfair, 0.25 * unfair, unfair, 1.5 * unfair], axis=1)
    often = np.clip(np.cumsum(often, axis=1), 0, 0.9)
    add(
        "discrimination_delayed_care",
        coded(
            schema.SURVEY["discrimination_delayed_care"],
            pick(rng, np.hstack([often, np.ones((n, 1))])),
        ),
    )

    rows = (
        np.concatenate(persons),
        np.concatenate(questions),
        np.concatenate(answers),
        np.concatenate(numbers),
        np.concatenate(days),
    )
    row_person, row_question, row_answer, row_number, row_day = _second_basics(
        rng, model, rows, p.survey_day
    )
    return Survey(
        person=row_person,
        question=row_question,
        answer=row_answer,
        number=row_number,
        day=row_day,
        race_combination=combination,
        sex_answer=sex_answer,
    )


def _second_basics(
    rng: np.random.Generator,
    model: Model,
    rows: tuple[Int, Int, Int, Float, Int],
    survey_day: Int,
) -> tuple[Int, Int, Int, Float, Int]:
    """The rows with a second Basics survey appended for a share of people: every answer of
    the first again, dated later, half of the income answers a bracket higher and a fifth of
    the household sizes one larger."""
    person, question, answer, number, day = rows
    code = model.code_index
    n = survey_day.shape[0]
    low, high = SECOND_BASICS_DAYS
    later = survey_day + rng.integers(low, high, n)
    again = (rng.random(n) < SECOND_BASICS_SHARE) & (later <= END_DAY)
    copy = np.flatnonzero(again[person] & (question != code["consent"]))
    if copy.size == 0:
        return rows
    new_answer = answer[copy].copy()
    new_number = number[copy].copy()
    brackets = np.array([code[c] for c in schema.SURVEY["annual_income"]])
    position = np.full(len(model.survey_codes), -1)
    position[brackets] = np.arange(brackets.shape[0])
    raise_income = (position[new_answer] >= 0) & (rng.random(copy.shape[0]) < 0.5)
    higher = brackets[np.minimum(position[new_answer] + 1, brackets.shape[0] - 1)]
    new_answer = np.where(raise_income, higher, new_answer)
    grow = (question[copy] == code["household_size"]) & (rng.random(copy.shape[0]) < 0.2)
    new_number = np.where(grow, new_number + 1, new_number)
    return (
        np.concatenate([person, person[copy]]),
        np.concatenate([question, question[copy]]),
        np.concatenate([answer, new_answer]),
        np.concatenate([number, new_number]),
        np.concatenate([day, later[person[copy]]]),
    )
