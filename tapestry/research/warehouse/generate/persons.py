"""Participants: who they are (site, race and ethnicity group, sex, age, where they live,
socioeconomic score, smoking), when they consent, and when they die; the `person`,
`observation_period` and `death` tables.

Imports neither Django nor the ORM.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from tapestry.research.warehouse import schema
from tapestry.research.warehouse.generate.common import (
    EHR_SHARE,
    END_DAY,
    Bool,
    Chunk,
    Int,
    People,
    choose,
    dates,
    day_number,
    pick,
    segment_pick,
)
from tapestry.research.warehouse.generate.model import Model
from tapestry.research.warehouse.generate.sites import Zips, all_sites
from tapestry.research.warehouse.generate.surveys import Survey


def draw(chunk: Chunk, model: Model, first_person: int, n: int, zip_table: Zips) -> People:
    """The chunk's participants, person ids first_person + 1 .. first_person + n, living in
    `zip_table`'s ZIP codes (nobody rurally when it was built without a rural list)."""
    rng = chunk.rng
    sites = all_sites()
    weights = np.array([site.weight for site in sites])
    site = choose(rng, n, weights / weights.sum())
    mix = np.array([site_.mix for site_ in sites])
    mix_cumulative = np.cumsum(mix / mix.sum(axis=1, keepdims=True), axis=1)
    mix_cumulative[:, -1] = 1.0
    group = pick(rng, mix_cumulative[site])
    sex_shares = model.survey.sex_shares
    sex = choose(rng, n, (*sex_shares, 1 - sum(sex_shares)))
    sex = np.where(sex == len(sex_shares), -1, sex)

    under_18 = rng.random(n) < 0.003
    age = np.where(under_18, 16 + 2 * rng.random(n), 18 + 72 * rng.beta(1.45, 1.55, n))

    # Enrollment grows over time: density ∝ (a + x) over each site's window.
    start = np.array([day_number(s.start) for s in sites])[site].astype(np.float64)
    length = END_DAY - start
    a = 0.3 * length
    x = -a + np.sqrt(a * a + rng.random(n) * (2 * a * length + length * length))
    consent = (start + np.minimum(np.floor(x), length)).astype(np.int64)
    birth = consent - np.floor(age * 365.2425).astype(np.int64) - rng.integers(0, 365, n)
    age = (consent - birth) / 365.2425
    survey_day = np.minimum(consent + rng.integers(0, 8, n), END_DAY)

    rural_share = np.array([s.rural for s in sites])[site]
    # White participants live in rural ZIP codes more often than others at the same site.
    rural_share = rural_share * np.where(group == model.group_index["white"], 1.4, 0.8)
    rural = (rng.random(n) < rural_share) & zip_table.places_rurally
    location = np.where(
        rural,
        zip_table.rural_index[segment_pick(rng, site, zip_table.rural_cumulative)],
        zip_table.near_index[segment_pick(rng, site, zip_table.near_cumulative)],
    )
    site_ses = np.array([s.ses for s in sites])
    ses = site_ses[site] + model.group_ses[group] + rng.standard_normal(n) - 0.2 * rural

    current = rng.random(n) < 0.115 * np.exp(-0.35 * ses) * np.where(sex == 0, 1.2, 0.9)
    former = ~current & (rng.random(n) < 0.1 + 0.15 * np.clip((age - 30) / 40, 0, 1))
    smoker = np.where(current, 2, np.where(former, 1, 0))
    smoker[age < 18] = 0

    ehr = rng.random(n) < EHR_SHARE
    return People(
        n=n,
        person_id=first_person + np.arange(n, dtype=np.int64) + 1,
        site=site,
        group=group,
        sex=sex,
        age=age,
        birth=birth,
        consent=consent,
        survey_day=survey_day,
        location=location,
        rural=rural,
        ses=ses,
        smoker=smoker,
        ehr=ehr,
        death=np.full(n, -1, dtype=np.int64),
        obs_start=consent.copy(),
        obs_end=np.full(n, END_DAY, dtype=np.int64),
    )


def deaths(chunk: Chunk, model: Model, people: People, has: Bool) -> Int:
    """Draw deaths (more with age and serious conditions) and the observation periods, setting
    people.death, obs_start and obs_end; return each participant's cause (concept id, or 0)."""
    rng, p = chunk.rng, people
    causes = model.clinical.causes_of_death
    index = model.chronic_index
    serious = has[:, [index[key] for key in causes]].sum(axis=1)
    hazard = 0.0004 * np.exp(0.085 * (p.age - 40)) * (1 + 1.5 * serious)
    years = (END_DAY - p.survey_day) / 365.25
    dead = (rng.random(p.n) < 1 - np.exp(-hazard * years)) & (p.survey_day < END_DAY)
    span = END_DAY - p.survey_day
    day = p.survey_day + 1 + np.floor(rng.random(p.n) * np.maximum(span, 1)).astype(np.int64)
    p.death = np.where(dead, np.minimum(day, END_DAY), -1)
    cause = np.zeros(p.n, dtype=np.int64)
    for key in reversed(causes):  # the first cause listed wins
        condition = model.clinical.chronic[index[key]]
        cause = np.where(has[:, index[key]], condition.concept_id, cause)
    history = np.floor(365.25 * (0.5 + 11.5 * rng.random(p.n))).astype(np.int64)
    p.obs_start = np.where(p.ehr, np.maximum(p.consent - history, p.birth), p.consent)
    p.obs_end = np.where(p.death >= 0, p.death, END_DAY)
    return cause


def _race_and_ethnicity(
    combinations: list[tuple[str, ...]],
) -> tuple[list[int], list[int], list[str]]:
    """OMOP race and ethnicity concepts and the ethnicity source value of each answer
    combination."""
    race_concept = {
        "race_white": schema.RACE_WHITE,
        "race_black": schema.RACE_BLACK,
        "race_asian": schema.RACE_ASIAN,
        "race_aian": schema.RACE_AIAN,
        "race_nhpi": schema.RACE_NHPI,
    }
    race_ids = []
    ethnicity_ids = []
    ethnicity_values = []
    for codes in combinations:
        races = [code for code in codes if code in race_concept]
        if len(races) == 1:
            race_ids.append(race_concept[races[0]])
        elif len(races) > 1 or "race_mena" in codes or "race_none_of_these" in codes:
            race_ids.append(schema.RACE_OTHER_OR_MULTIPLE)
        else:
            race_ids.append(schema.RACE_UNKNOWN)
        declined = codes[0] in (schema.SKIP, schema.PREFER_NOT)
        hispanic = "race_hispanic" in codes
        ethnicity_ids.append(
            schema.ETHNICITY_UNKNOWN
            if declined
            else (schema.HISPANIC if hispanic else schema.NOT_HISPANIC)
        )
        ethnicity_values.append(
            codes[0] if declined else ("race_hispanic" if hispanic else "not_hispanic")
        )
    return race_ids, ethnicity_ids, ethnicity_values


def person_table(model: Model, people: People, survey: Survey) -> pa.Table:
    p = people
    combos = model.race_combination_codes
    race_ids, ethnicity_ids, ethnicity_values = _race_and_ethnicity(combos)
    combination = survey.race_combination
    birth = p.birth.astype("datetime64[D]")
    year = birth.astype("datetime64[Y]").astype(np.int64) + 1970
    month_start = birth.astype("datetime64[M]")
    month = month_start.astype(np.int64) % 12 + 1
    day = (birth - month_start.astype("datetime64[D]")).astype(np.int64) + 1
    gender = np.array(
        [schema.MALE, schema.FEMALE, schema.UNKNOWN_SEX, schema.UNKNOWN_SEX], dtype=np.int32
    )
    codes = pa.array(model.survey_codes, pa.string())
    person_source = pa.array([f"TAP{pid:09d}" for pid in p.person_id.tolist()], pa.string())
    return pa.Table.from_arrays(
        [
            pa.array(p.person_id),
            pa.array(
                np.where(p.sex >= 0, gender[np.maximum(p.sex, 0)], schema.UNKNOWN_SEX).astype(
                    np.int32
                )
            ),
            pa.array(year.astype(np.int32)),
            pa.array(month.astype(np.int32)),
            pa.array(day.astype(np.int32)),
            pa.array(np.array(race_ids, dtype=np.int32)[combination]),
            pa.array(np.array(ethnicity_ids, dtype=np.int32)[combination]),
            pa.array(p.location + 1),
            pa.array(p.site + 1),
            person_source,
            codes.take(pa.array(survey.sex_answer)),
            pa.array(["|".join(codes) for codes in combos], pa.string()).take(
                pa.array(combination)
            ),
            pa.array(ethnicity_values, pa.string()).take(pa.array(combination)),
        ],
        schema=schema.SCHEMAS["person"],
    )


def observation_period_table(people: People) -> pa.Table:
    p = people
    return pa.Table.from_arrays(
        [
            pa.array(p.person_id),
            pa.array(p.person_id),
            dates(p.obs_start),
            dates(p.obs_end),
            pa.array(np.full(p.n, schema.EHR_RECORD, dtype=np.int32)),
        ],
        schema=schema.SCHEMAS["observation_period"],
    )


def death_table(people: People, cause: Int) -> pa.Table:
    p = people
    dead = np.flatnonzero(p.death >= 0)
    return pa.Table.from_arrays(
        [
            pa.array(p.person_id[dead]),
            dates(p.death[dead]),
            pa.array(np.full(dead.shape[0], schema.EHR_RECORD, dtype=np.int32)),
            pa.array(cause[dead].astype(np.int32)),
        ],
        schema=schema.SCHEMAS["death"],
    )
