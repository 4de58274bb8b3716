"""Deterministic synthetic OMOP CDM data for the research warehouse.

`generate(out_dir, participants, seed)` writes every table of `schema.SCHEMAS` as Parquet under
`out_dir/<table>/part-NNNNN.parquet`, plus `out_dir/manifest.json`. No real participant data is
used: people, survey answers and health records are drawn from the clinical model in
`vocabulary.py`.

How it works:

- Participants are processed in chunks of `chunk_size` (person ids `first + 1 .. first + size`).
  Each chunk draws from its own `numpy.random.Generator`, seeded from `(seed, chunk index)`,
  and writes its own part file of every per-participant table. The same seed and chunk size
  give identical files; another chunk size gives another (equally valid) data set. Chunks are
  independent, so they run in a pool of worker processes (two by default) and memory stays
  bounded by one chunk per worker.
- Everything is vectorized over the chunk with numpy; there is no Python loop per participant
  or per row, only loops over the model's conditions, drugs, panels and rules.
- Ids: `person_id` runs 1..N and `observation_period_id` equals it. Every other `*_id` is
  `chunk index * 1,000,000,000 + row number within the chunk + 1`: unique within its table,
  stable for a seed and chunk size, but not dense.
- Dates: consent dates fall between CONSENT_START and END_DATE, enrollment growing over time at
  each site from its start date (the six launch sites start on CONSENT_START). Health records
  start up to twelve years before consent and run to END_DATE or death. Survey answers are
  dated at consent (the consent row) or within a week after it.
- Sites: the six launch sites of `schema.LAUNCH_SITES` and ten others (`SITES`); each
  participant is enrolled by one (person.care_site_id) and lives in a real ZIP code near it
  (person.location_id → location), a share of them in rural ZIP codes further out
  (`rural.rural_zips()`). `location` holds one row per ZIP code any site draws from.

Imports neither Django nor the ORM.
"""

from __future__ import annotations

import datetime
import json
import multiprocessing
import os
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.parquet as pq

from tapestry.core.geography import ZipPlace, distance_miles, ordinary_zip_places, zip_lookup
from tapestry.research.warehouse import schema, vocabulary
from tapestry.research.warehouse.rural import rural_zips

GENERATOR_VERSION = "1"
CONSENT_START = datetime.date(2018, 5, 6)
END_DATE = datetime.date(2026, 9, 30)
DEFAULT_CHUNK_SIZE = 50_000
ID_STRIDE = 1_000_000_000
EHR_SHARE = 0.85  # participants whose health records are shared with the program
# Share of acute episodes that reach the shared records (care elsewhere, no visit, ...).
ACUTE_CAPTURE = 0.5
PARQUET_OPTIONS: dict[str, Any] = {"compression": "zstd", "compression_level": 1}

Int = npt.NDArray[np.int64]
Float = npt.NDArray[np.float64]
Bool = npt.NDArray[np.bool_]

_EPOCH = datetime.date(1970, 1, 1)


def _day(value: datetime.date) -> int:
    return (value - _EPOCH).days


# ---------------------------------------------------------------------------------------------
# Sites
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Site:
    code: str
    name: str
    state: str
    zip_code: str
    weight: float  # share of all participants
    start: datetime.date  # first consent
    mix: tuple[float, ...]  # share of each race and ethnicity group, in GROUPS order
    income: float  # median household income, dollars
    rural: float  # share of participants living in rural ZIP codes
    ses: float  # shift of the site's socioeconomic score


GROUPS = vocabulary.RACE_GROUPS
_LAUNCH = {code: (name, state, zip_code) for code, name, state, zip_code in schema.LAUNCH_SITES}
_OTHER = {
    "atlanta": ("Atlanta, GA", "GA", "30303"),
    "houston": ("Houston, TX", "TX", "77030"),
    "los_angeles": ("Los Angeles, CA", "CA", "90033"),
    "phoenix": ("Phoenix, AZ", "AZ", "85006"),
    "miami": ("Miami, FL", "FL", "33136"),
    "albuquerque": ("Albuquerque, NM", "NM", "87131"),
    "seattle": ("Seattle, WA", "WA", "98104"),
    "boston": ("Boston, MA", "MA", "02118"),
    "memphis": ("Memphis, TN", "TN", "38103"),
    "honolulu": ("Honolulu, HI", "HI", "96813"),
}

# The six launch sites first (schema.LAUNCH_SITES), then ten that joined later. Race and
# ethnicity mixes follow each area's population, leaning toward the communities the program
# recruits in: Birmingham, Detroit, Atlanta and Memphis majority Black; Pasco and Miami
# majority Hispanic; New York, Chicago, Houston and Los Angeles mixed; Honolulu Asian and
# Native Hawaiian or Pacific Islander; Albuquerque and Phoenix with American Indian communities.
# fmt: off
_SITE_TABLE: tuple[tuple[str, float, str, tuple[float, ...], int, float, float], ...] = (
    # code          weight  start        white  black  hisp   asian  aian   nhpi   mena   multi  none   declined   income  rural  ses
    ("birmingham",  0.07, "2018-05-06", (0.42,  0.5,   0.03,  0.015, 0.005, 0.0,   0.004, 0.016, 0.005, 0.015), 47_000, 0.16,  -0.2),
    ("chicago",     0.11, "2018-05-06", (0.45,  0.24,  0.2,   0.055, 0.003, 0.001, 0.01,  0.022, 0.009, 0.015), 60_000, 0.03,  0.0),
    ("detroit",     0.07, "2018-05-06", (0.3,   0.57,  0.05,  0.01,  0.003, 0.0,   0.035, 0.017, 0.005, 0.01),  38_000, 0.04,  -0.35),
    ("kansas_city", 0.06, "2018-05-06", (0.68,  0.18,  0.07,  0.02,  0.006, 0.002, 0.004, 0.028, 0.005, 0.015), 57_000, 0.12,  -0.05),
    ("new_york",    0.14, "2018-05-06", (0.4,   0.19,  0.26,  0.1,   0.003, 0.001, 0.012, 0.025, 0.007, 0.012), 62_000, 0.015, 0.0),
    ("pasco",       0.04, "2018-05-06", (0.43,  0.015, 0.51,  0.02,  0.012, 0.003, 0.0,   0.015, 0.005, 0.01),  55_000, 0.32,  -0.2),
    ("atlanta",     0.06, "2019-03-04", (0.44,  0.45,  0.04,  0.03,  0.0,   0.0,   0.005, 0.02,  0.005, 0.01),  58_000, 0.07,  -0.05),
    ("houston",     0.07, "2019-06-03", (0.4,   0.19,  0.33,  0.06,  0.003, 0.0,   0.007, 0.01,  0.005, 0.005), 55_000, 0.05,  -0.1),
    ("los_angeles", 0.08, "2019-09-03", (0.4,   0.07,  0.37,  0.12,  0.004, 0.003, 0.02,  0.018, 0.005, 0.01),  68_000, 0.02,  0.0),
    ("phoenix",     0.05, "2020-01-13", (0.57,  0.05,  0.3,   0.025, 0.03,  0.002, 0.003, 0.01,  0.005, 0.005), 63_000, 0.05,  -0.05),
    ("miami",       0.05, "2020-06-01", (0.2,   0.14,  0.62,  0.015, 0.0,   0.0,   0.0,   0.01,  0.005, 0.01),  48_000, 0.02,  -0.2),
    ("albuquerque", 0.03, "2020-10-05", (0.45,  0.025, 0.41,  0.015, 0.09,  0.0,   0.0,   0.01,  0.005, 0.005), 53_000, 0.22,  -0.15),
    ("seattle",     0.05, "2021-03-01", (0.68,  0.05,  0.06,  0.13,  0.01,  0.01,  0.01,  0.04,  0.01,  0.01),  90_000, 0.05,  0.35),
    ("boston",      0.05, "2021-06-01", (0.58,  0.16,  0.14,  0.08,  0.0,   0.0,   0.01,  0.02,  0.005, 0.005), 75_000, 0.03,  0.2),
    ("memphis",     0.04, "2022-01-10", (0.38,  0.54,  0.04,  0.015, 0.0,   0.0,   0.0,   0.01,  0.005, 0.01),  42_000, 0.14,  -0.3),
    ("honolulu",    0.03, "2022-06-06", (0.25,  0.02,  0.05,  0.36,  0.0,   0.18,  0.0,   0.13,  0.01,  0.01),  80_000, 0.06,  0.1),
)
# fmt: on


def _site(row: tuple[str, float, str, tuple[float, ...], int, float, float]) -> Site:
    code, weight, start, mix, income, rural, ses = row
    name, state, zip_code = _LAUNCH.get(code) or _OTHER[code]
    return Site(
        code,
        name,
        state,
        zip_code,
        weight,
        datetime.date.fromisoformat(start),
        mix,
        income,
        rural,
        ses,
    )


SITES: tuple[Site, ...] = tuple(_site(row) for row in _SITE_TABLE)

NEAR_MILES = 25.0  # urban and suburban ZIP codes a site draws most participants from
RURAL_CANDIDATES = 40  # the nearest rural ZIP codes a site draws its rural participants from
RURAL_MAX_MILES = 250.0

# ---------------------------------------------------------------------------------------------
# Survey answer model
# ---------------------------------------------------------------------------------------------

_G = {group: index for index, group in enumerate(GROUPS)}
# Shift of the socioeconomic score by race and ethnicity group (structural inequality).
GROUP_SES = {
    "white": 0.25,
    "black": -0.4,
    "hispanic": -0.4,
    "asian": 0.3,
    "aian": -0.55,
    "nhpi": -0.35,
    "mena": 0.0,
    "multi": -0.1,
    "none": -0.1,
    "declined": 0.0,
}
# Answer combinations per group: (answer codes, probability). "declined" skips or declines.
RACE_COMBINATIONS: dict[str, tuple[tuple[tuple[str, ...], float], ...]] = {
    "white": ((("race_white",), 1.0),),
    "black": ((("race_black",), 0.97), (("race_black", "race_hispanic"), 0.03)),
    "hispanic": (
        (("race_hispanic",), 0.58),
        (("race_hispanic", "race_white"), 0.34),
        (("race_hispanic", "race_black"), 0.04),
        (("race_hispanic", "race_aian"), 0.03),
        (("race_hispanic", "race_none_of_these"), 0.01),
    ),
    "asian": ((("race_asian",), 1.0),),
    "aian": (
        (("race_aian",), 0.7),
        (("race_aian", "race_white"), 0.22),
        (("race_aian", "race_black"), 0.08),
    ),
    "nhpi": (
        (("race_nhpi",), 0.65),
        (("race_nhpi", "race_asian"), 0.25),
        (("race_nhpi", "race_white"), 0.1),
    ),
    "mena": ((("race_mena",), 0.75), (("race_mena", "race_white"), 0.25)),
    "multi": (
        (("race_black", "race_white"), 0.35),
        (("race_asian", "race_white"), 0.25),
        (("race_aian", "race_white"), 0.2),
        (("race_aian", "race_black"), 0.1),
        (("race_asian", "race_black"), 0.1),
    ),
    "none": ((("race_none_of_these",), 1.0),),
    "declined": (((schema.SKIP,), 0.5), ((schema.PREFER_NOT,), 0.5)),
}
_RACE_CONCEPT = {
    "race_white": schema.RACE_WHITE,
    "race_black": schema.RACE_BLACK,
    "race_asian": schema.RACE_ASIAN,
    "race_aian": schema.RACE_AIAN,
    "race_nhpi": schema.RACE_NHPI,
}

SEX_ANSWERS = ("sex_male", "sex_female", "sex_intersex", "sex_none_of_these")
SEX_SHARES = (0.405, 0.575, 0.002, 0.004)  # the rest (1.4%) skip or decline
GENDER_ANSWERS = schema.SURVEY["gender_identity"]
# Gender identity by sex at birth (male, female, other or unknown).
GENDER_SHARES = (
    (0.976, 0.004, 0.008, 0.007, 0.005),
    (0.004, 0.975, 0.01, 0.006, 0.005),
    (0.3, 0.4, 0.2, 0.05, 0.05),
)
ORIENTATION_ANSWERS = schema.SURVEY["sexual_orientation"]
EDUCATION_ANSWERS = schema.SURVEY["education"]
# Standard-normal quantiles of the cumulative education shares .4%, .8%, 2.3%, 6.8%, 30.8%,
# 59.8%, 82.8% (never attended ... college graduate), scaled by the score's spread.
EDUCATION_CUTS = np.array([-2.652, -2.409, -1.995, -1.491, -0.502, 0.248, 0.946]) * 1.3
HOUSEHOLD_SHARES = (0.27, 0.33, 0.16, 0.13, 0.07, 0.025, 0.01, 0.005)
# (question, skip rate, prefer-not-to-answer rate)
NONRESPONSE: dict[str, tuple[float, float]] = {
    "gender_identity": (0.008, 0.012),
    "sexual_orientation": (0.012, 0.025),
    "annual_income": (0.05, 0.06),
    "household_size": (0.025, 0.005),
    "education": (0.012, 0.008),
    "disability_blind": (0.012, 0.0),
    "disability_deaf": (0.012, 0.0),
    "disability_walking": (0.012, 0.0),
    "disability_dressing": (0.014, 0.0),
    "disability_errands": (0.015, 0.0),
    "disability_concentrating": (0.018, 0.004),
    "health_insurance": (0.01, 0.003),
    "usual_source_of_care": (0.012, 0.0),
    "delayed_care_cost": (0.015, 0.002),
    "delayed_care_transport": (0.015, 0.002),
}
# Yes rates at age 50 and average socioeconomic score (rise with age, fall with the score).
DISABILITY_RATES = {
    "disability_blind": 0.015,
    "disability_deaf": 0.025,
    "disability_walking": 0.05,
    "disability_dressing": 0.015,
    "disability_errands": 0.03,
    "disability_concentrating": 0.05,
}

# ---------------------------------------------------------------------------------------------
# Static data: built once per process
# ---------------------------------------------------------------------------------------------


@dataclass
class _Zips:
    codes: list[str]  # location rows, location_id = index + 1
    cities: list[str]
    states: list[str]
    counties: list[str]
    site_location: Int  # location index of each site's own ZIP code
    near_index: Int  # concatenated candidate location indexes, site by site
    near_cumulative: Float  # site index + cumulative weight in [0, 1)
    rural_index: Int
    rural_cumulative: Float


@cache
def _zips() -> _Zips:
    records = ordinary_zip_places()
    lats = np.array([record.latitude for record in records])
    lons = np.array([record.longitude for record in records])
    is_rural = np.array([record.zip_code in rural_zips() for record in records])
    chosen: dict[str, int] = {}
    near_parts: list[tuple[list[str], Float]] = []
    rural_parts: list[tuple[list[str], Float]] = []
    site_zips: list[ZipPlace] = []
    for site in SITES:
        match = zip_lookup(site.zip_code)
        if match is None:
            raise ValueError(f"site {site.code}: ZIP code {site.zip_code} is unknown")
        site_zips.append(match)
        miles = distance_miles(match.latitude, match.longitude, lats, lons)
        near = np.flatnonzero((miles <= NEAR_MILES) & ~is_rural)
        # Closer ZIP codes send more participants.
        near_parts.append(([records[i].zip_code for i in near], 1.0 / (1.0 + miles[near] / 4.0)))
        rural = np.flatnonzero(is_rural & (miles <= RURAL_MAX_MILES))
        rural = rural[np.argsort(miles[rural], kind="stable")[:RURAL_CANDIDATES]]
        rural_parts.append(([records[i].zip_code for i in rural], np.ones(len(rural))))
        for i in np.concatenate([near, rural]):
            chosen[records[i].zip_code] = int(i)
    by_code = {record.zip_code: record for record in records}
    for record in site_zips:
        by_code.setdefault(record.zip_code, record)
        chosen.setdefault(record.zip_code, -1)
    codes = sorted(chosen)
    position = {code: index for index, code in enumerate(codes)}

    def segments(parts: list[tuple[list[str], Float]]) -> tuple[Int, Float]:
        indexes: list[Int] = []
        cumulative: list[Float] = []
        for site_index, (site_codes, weights) in enumerate(parts):
            if not site_codes:  # no candidates: fall back to the site's own ZIP code
                site_codes, weights = [SITES[site_index].zip_code], np.ones(1)
            indexes.append(np.array([position[code] for code in site_codes], dtype=np.int64))
            shares = np.cumsum(weights) / weights.sum()
            shares[-1] = 1.0
            cumulative.append(site_index + shares)
        return np.concatenate(indexes), np.concatenate(cumulative)

    near_index, near_cumulative = segments(near_parts)
    rural_index, rural_cumulative = segments(rural_parts)
    return _Zips(
        codes=codes,
        cities=[by_code[code].city.title() for code in codes],
        states=[by_code[code].state for code in codes],
        counties=[by_code[code].county for code in codes],
        site_location=np.array([position[record.zip_code] for record in site_zips]),
        near_index=near_index,
        near_cumulative=near_cumulative,
        rural_index=rural_index,
        rural_cumulative=rural_cumulative,
    )


@dataclass
class _Model:
    """The vocabulary's clinical model as arrays, for vectorized draws."""

    chronic_index: dict[str, int]
    race_factor: Float  # conditions * groups
    measurement_index: dict[int, int]
    measurement_arrays: dict[str, Any]
    survey_codes: list[str]
    survey_ids: Int
    code_index: dict[str, int]
    race_combination_codes: list[tuple[str, ...]]
    race_combination_cumulative: Float  # groups * combinations
    statin_ids: frozenset[int]


@cache
def _model() -> _Model:
    chronic_index = {condition.key: i for i, condition in enumerate(vocabulary.CHRONIC)}
    race_factor = np.ones((len(vocabulary.CHRONIC), len(GROUPS)))
    for i, condition in enumerate(vocabulary.CHRONIC):
        for group, factor in condition.race.items():
            race_factor[i, _G[group]] = factor
    measurements = vocabulary.MEASUREMENTS
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
    survey_codes = list(schema.SURVEY_CONCEPT_IDS)
    combinations: list[tuple[str, ...]] = []
    for group in GROUPS:
        for codes, _share in RACE_COMBINATIONS[group]:
            if codes not in combinations:
                combinations.append(codes)
    cumulative = np.zeros((len(GROUPS), len(combinations)))
    for g, group in enumerate(GROUPS):
        for codes, share in RACE_COMBINATIONS[group]:
            cumulative[g, combinations.index(codes)] += share
    cumulative = np.cumsum(cumulative, axis=1)
    cumulative[:, -1] = 1.0
    statins = {
        drug
        for treatment in vocabulary.TREATMENTS
        if treatment.condition == "hyperlipidemia"
        for drug, _weight in treatment.choices
    }
    return _Model(
        chronic_index=chronic_index,
        race_factor=race_factor,
        measurement_index={m.concept_id: i for i, m in enumerate(measurements)},
        measurement_arrays=arrays,
        survey_codes=survey_codes,
        survey_ids=np.array([schema.SURVEY_CONCEPT_IDS[c] for c in survey_codes], dtype=np.int64),
        code_index={code: i for i, code in enumerate(survey_codes)},
        race_combination_codes=combinations,
        race_combination_cumulative=cumulative,
        statin_ids=frozenset(statins),
    )


# ---------------------------------------------------------------------------------------------
# Random helpers
# ---------------------------------------------------------------------------------------------


def _pick(rng: np.random.Generator, cumulative: Float) -> Int:
    """One category per row of a (rows * categories) cumulative probability table."""
    u = rng.random(int(cumulative.shape[0]))
    return (u[:, None] > cumulative).sum(axis=1).astype(np.int64)


def _choose(rng: np.random.Generator, count: int, shares: tuple[float, ...] | Float) -> Int:
    cumulative = np.cumsum(np.asarray(shares, dtype=np.float64))
    cumulative /= cumulative[-1]
    cumulative[-1] = 1.0
    return np.searchsorted(cumulative, rng.random(count), side="right").astype(np.int64)


def _segment_pick(rng: np.random.Generator, segment: Int, cumulative: Float) -> Int:
    """Pick within each row's segment of a concatenated cumulative table."""
    return np.searchsorted(cumulative, segment + rng.random(segment.shape[0]), side="right")


def _uniform_position(rng: np.random.Generator, low: Int, high: Int) -> Int:
    """A whole number in [low, high) for each row (high > low)."""
    return low + np.floor(rng.random(low.shape[0]) * (high - low)).astype(np.int64)


# ---------------------------------------------------------------------------------------------
# One chunk
# ---------------------------------------------------------------------------------------------


class GenerationError(ValueError):
    """The arguments cannot produce a data set (the message says why)."""


@dataclass
class _People:
    n: int
    person_id: Int
    site: Int
    group: Int
    sex: Int  # 0 male, 1 female, 2 intersex, 3 none of these, -1 skipped/declined
    age: Float
    birth: Int  # days since 1970-01-01
    consent: Int
    survey_day: Int
    location: Int
    ses: Float
    smoker: Int  # 0 never, 1 former, 2 current
    ehr: Bool
    death: Int  # day of death, -1 alive
    obs_start: Int
    obs_end: Int


class _Chunk:
    """Draws one chunk's participants and their records; `tables()` returns Arrow tables."""

    def __init__(self, seed: int, chunk_index: int, first_person: int, count: int):
        self.rng = np.random.default_rng(np.random.SeedSequence([seed, chunk_index]))
        self.chunk_index = chunk_index
        self.model = _model()
        self.zips = _zips()
        self.people = self._people(first_person, count)

    # -- participants -----------------------------------------------------------------------

    def _people(self, first_person: int, n: int) -> _People:
        rng = self.rng
        weights = np.array([site.weight for site in SITES])
        site = _choose(rng, n, weights / weights.sum())
        mix = np.array([site_.mix for site_ in SITES])
        mix_cumulative = np.cumsum(mix / mix.sum(axis=1, keepdims=True), axis=1)
        mix_cumulative[:, -1] = 1.0
        group = _pick(rng, mix_cumulative[site])
        sex = _choose(rng, n, (*SEX_SHARES, 1 - sum(SEX_SHARES)))
        sex = np.where(sex == len(SEX_SHARES), -1, sex)

        under_18 = rng.random(n) < 0.003
        age = np.where(under_18, 16 + 2 * rng.random(n), 18 + 72 * rng.beta(1.45, 1.55, n))

        # Enrollment grows over time: density ∝ (a + x) over each site's window.
        start = np.array([_day(s.start) for s in SITES])[site].astype(np.float64)
        length = _day(END_DATE) - start
        a = 0.3 * length
        x = -a + np.sqrt(a * a + rng.random(n) * (2 * a * length + length * length))
        consent = (start + np.minimum(np.floor(x), length)).astype(np.int64)
        birth = consent - np.floor(age * 365.2425).astype(np.int64) - rng.integers(0, 365, n)
        age = (consent - birth) / 365.2425
        survey_day = np.minimum(consent + rng.integers(0, 8, n), _day(END_DATE))

        rural_share = np.array([s.rural for s in SITES])[site]
        rural_share = rural_share * np.where(group == _G["white"], 1.4, 0.8)
        rural = rng.random(n) < rural_share
        zips = self.zips
        location = np.where(
            rural,
            zips.rural_index[_segment_pick(rng, site, zips.rural_cumulative)],
            zips.near_index[_segment_pick(rng, site, zips.near_cumulative)],
        )
        group_ses = np.array([GROUP_SES[g] for g in GROUPS])
        site_ses = np.array([s.ses for s in SITES])
        ses = site_ses[site] + group_ses[group] + rng.standard_normal(n) - 0.2 * rural

        current = rng.random(n) < 0.115 * np.exp(-0.35 * ses) * np.where(sex == 0, 1.2, 0.9)
        former = ~current & (rng.random(n) < 0.1 + 0.15 * np.clip((age - 30) / 40, 0, 1))
        smoker = np.where(current, 2, np.where(former, 1, 0))
        smoker[age < 18] = 0

        ehr = rng.random(n) < EHR_SHARE
        return _People(
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
            ses=ses,
            smoker=smoker,
            ehr=ehr,
            death=np.full(n, -1, dtype=np.int64),
            obs_start=consent.copy(),
            obs_end=np.full(n, _day(END_DATE), dtype=np.int64),
        )

    # -- survey -----------------------------------------------------------------------------

    def _survey(self) -> dict[str, Any]:
        """Survey answers as observation rows (person index, question, answer, number, day)."""
        rng, p, model = self.rng, self.people, self.model
        n = p.n
        code = model.code_index
        skip, prefer = code[schema.SKIP], code[schema.PREFER_NOT]
        persons: list[Int] = []
        questions: list[Int] = []
        answers: list[Int] = []
        numbers: list[Float] = []
        days: list[Int] = []

        def add(question: str, answer: Int, number: Float | None = None) -> None:
            skip_rate, prefer_rate = NONRESPONSE.get(question, (0.0, 0.0))
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
        combination = _pick(rng, model.race_combination_cumulative[p.group])
        self.race_combination = combination
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

        sex_answer = np.where(p.sex >= 0, coded(SEX_ANSWERS, np.maximum(p.sex, 0)), skip)
        sex_answer = np.where((p.sex < 0) & (rng.random(n) < 0.5), prefer, sex_answer)
        self.sex_answer = sex_answer
        persons.append(np.arange(n))
        questions.append(np.full(n, code["sex_at_birth"]))
        answers.append(sex_answer)
        numbers.append(np.full(n, np.nan))
        days.append(p.survey_day)

        gender_row = np.where(p.sex == 0, 0, np.where(p.sex == 1, 1, 2))
        gender_cumulative = np.cumsum(np.array(GENDER_SHARES), axis=1)
        gender_cumulative[:, -1] = 1.0
        add("gender_identity", coded(GENDER_ANSWERS, _pick(rng, gender_cumulative[gender_row])))

        young = p.age < 30
        bisexual = np.where(young, 0.08, 0.03) * np.where(p.sex == 1, 1.3, 0.8)
        gay = np.where(p.sex == 0, 0.03, 0.004)
        lesbian = np.where(p.sex == 1, 0.018, 0.002)
        none = np.full(n, 0.012)
        straight = 1 - bisexual - gay - lesbian - none
        orientation = np.cumsum(np.stack([straight, gay, lesbian, bisexual, none], axis=1), axis=1)
        orientation[:, -1] = 1.0
        add("sexual_orientation", coded(ORIENTATION_ANSWERS, _pick(rng, orientation)))

        household = 1 + _choose(rng, n, HOUSEHOLD_SHARES)
        larger = np.isin(p.group, [_G["hispanic"], _G["aian"], _G["nhpi"]]) & (rng.random(n) < 0.3)
        household = np.minimum(household + larger, 8)
        older = (p.age >= 70) & (household > 2) & (rng.random(n) < 0.85)
        household = np.where(older, 1 + (rng.random(n) < 0.55), household)
        median = np.array([s.income for s in SITES])[p.site]
        score = 0.8 * p.ses + 0.6 * rng.standard_normal(n)
        income = median * household**0.3 * np.exp(0.72 * score) * np.where(p.age >= 70, 0.75, 1)
        income = np.where(rng.random(n) < 0.01, 0.0, np.round(income / 1000.0) * 1000.0)
        add("annual_income", np.full(n, code["income_amount"]), income)
        add("household_size", np.full(n, code["household_count"]), household.astype(np.float64))

        education_score = 0.9 * p.ses + 0.9 * rng.standard_normal(n)
        education = np.searchsorted(EDUCATION_CUTS, education_score)
        education = np.where(p.age < 22, np.minimum(education, 5), education)
        add("education", coded(EDUCATION_ANSWERS, education))

        age_factor = 0.45 + np.clip(p.age, 18, 95) / 55
        yes, no = code["yes"], code["no"]
        for question, rate in DISABILITY_RATES.items():
            probability = rate * age_factor * np.exp(-0.35 * p.ses)
            if question == "disability_concentrating":
                probability = rate * (1.4 - 0.4 * age_factor / 2.2) * np.exp(-0.35 * p.ses)
            add(question, np.where(rng.random(n) < probability, yes, no))

        hispanic = p.group == _G["hispanic"]
        uninsured = np.clip(0.07 * np.exp(-0.6 * p.ses) + 0.05 * hispanic, 0, 0.6)
        uninsured = np.where(p.age >= 65, uninsured * 0.15, uninsured)
        no_insurance = rng.random(n) < uninsured
        add("health_insurance", np.where(no_insurance, no, yes))
        no_usual = rng.random(n) < np.clip(
            0.08 * np.exp(-0.4 * p.ses) + 0.15 * no_insurance, 0, 0.7
        )
        add("usual_source_of_care", np.where(no_usual, no, yes))
        cost = np.clip(0.08 * np.exp(-0.5 * p.ses) + 0.2 * no_insurance, 0, 0.8)
        add("delayed_care_cost", np.where(rng.random(n) < cost, yes, no))
        rural = np.isin(p.location, self.zips.rural_index)
        transport = np.clip(0.05 * np.exp(-0.5 * p.ses) + 0.04 * rural, 0, 0.6)
        add("delayed_care_transport", np.where(rng.random(n) < transport, yes, no))

        return {
            "person": np.concatenate(persons),
            "question": np.concatenate(questions),
            "answer": np.concatenate(answers),
            "number": np.concatenate(numbers),
            "day": np.concatenate(days),
        }

    # -- health records ---------------------------------------------------------------------

    def _conditions(self) -> Bool:
        """Which chronic conditions each participant has (people * conditions)."""
        rng, p, model = self.rng, self.people, self.model
        n = p.n
        has = np.zeros((n, len(vocabulary.CHRONIC)), dtype=bool)
        male, female = p.sex == 0, p.sex == 1
        decades = (p.age - 50) / 10
        smoker = p.smoker == 2
        former = p.smoker == 1
        index = model.chronic_index
        for i, condition in enumerate(vocabulary.CHRONIC):
            probability = condition.prevalence * condition.per_decade**decades
            sex_factor = np.where(
                male,
                condition.male,
                np.where(female, condition.female, 0.5 * (condition.male + condition.female)),
            )
            probability = probability * sex_factor * model.race_factor[i, p.group]
            for risk, factor in condition.risks.items():
                if risk == "smoker":
                    probability = probability * np.where(
                        smoker, factor, np.where(former, np.sqrt(factor), 1.0)
                    )
                else:
                    probability = probability * np.where(has[:, index[risk]], factor, 1.0)
            for required in condition.requires:
                probability = probability * has[:, index[required]]
            probability = probability * (
                (p.age >= condition.min_age) & (p.age <= condition.max_age)
            )
            has[:, i] = rng.random(n) < np.minimum(probability, 0.9)
            if condition.key == "t1dm":  # type 1 and type 2 exclude each other
                has[:, index["t2dm"]] &= ~has[:, i]
        return has

    def _deaths(self, has: Bool) -> None:
        rng, p = self.rng, self.people
        serious_keys = (
            "hf",
            "cad",
            "mi",
            "copd",
            "stroke",
            "nsclc",
            "sclc",
            "colon_cancer",
            "breast_cancer",
            "leukemia",
            "dementia",
            "alzheimers",
            "ckd",
            "cardiac_arrest",
        )
        index = self.model.chronic_index
        serious = has[:, [index[key] for key in serious_keys]].sum(axis=1)
        hazard = 0.0004 * np.exp(0.085 * (p.age - 40)) * (1 + 1.5 * serious)
        years = (_day(END_DATE) - p.survey_day) / 365.25
        dead = (rng.random(p.n) < 1 - np.exp(-hazard * years)) & (p.survey_day < _day(END_DATE))
        span = _day(END_DATE) - p.survey_day
        day = p.survey_day + 1 + np.floor(rng.random(p.n) * np.maximum(span, 1)).astype(np.int64)
        p.death = np.where(dead, np.minimum(day, _day(END_DATE)), -1)
        cause = np.zeros(p.n, dtype=np.int64)
        for key in reversed(serious_keys):
            condition = vocabulary.CHRONIC[index[key]]
            cause = np.where(has[:, index[key]], condition.concept_id, cause)
        self.death_cause = cause
        history = np.floor(365.25 * (0.5 + 11.5 * rng.random(p.n))).astype(np.int64)
        p.obs_start = np.where(p.ehr, np.maximum(p.consent - history, p.birth), p.consent)
        p.obs_end = np.where(p.death >= 0, p.death, _day(END_DATE))

    def tables(self) -> dict[str, pa.Table]:
        """Every per-participant table of the chunk. The steps run in a fixed order (survey,
        conditions, deaths, visits, then the events anchored at visits), each drawing from the
        chunk's generator, so the order is part of what makes a seed reproducible."""
        rng, p = self.rng, self.people
        survey = self._survey()
        has = self._conditions()
        self._deaths(has)
        index = self.model.chronic_index
        n = p.n

        # Visits: more for older and sicker participants.
        chronic_count = has.sum(axis=1)
        years = (p.obs_end - p.obs_start + 1) / 365.25
        rate = np.minimum(0.3 + 0.09 * chronic_count + 0.005 * np.maximum(p.age - 40, 0), 3.0)
        visits = np.where(p.ehr, rng.poisson(rate * years), 0)
        visits = np.minimum(visits, 80)
        visit_person = np.repeat(np.arange(n), visits)
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
        visit_id = self._ids(visit_count)
        self.visit = (visit_person, visit_first, visits, visit_day, visit_id)

        # Chronic conditions: diagnosed at a visit (early ones more often), then followed up.
        onset = np.full(has.shape, -1, dtype=np.int64)
        pair_person, pair_condition = np.nonzero(has & (visits > 0)[:, None])
        pair_visits = visits[pair_person]
        first_position = np.floor(pair_visits * rng.random(pair_person.shape[0]) ** 2).astype(
            np.int64
        )
        onset[pair_person, pair_condition] = first_position
        follow_up = np.array([c.follow_up for c in vocabulary.CHRONIC])[pair_condition]
        extra = np.minimum(rng.poisson(follow_up * (pair_visits - first_position - 1)), 8)
        record_pair = np.repeat(np.arange(pair_person.shape[0]), 1 + extra)
        record_first = np.cumsum(1 + extra) - (1 + extra)
        is_first = np.arange(record_pair.shape[0]) == record_first[record_pair]
        record_position = np.where(
            is_first,
            first_position[record_pair],
            _uniform_position(rng, first_position[record_pair], pair_visits[record_pair]),
        )
        chronic_ids = np.array([c.concept_id for c in vocabulary.CHRONIC], dtype=np.int64)
        condition_parts = [
            (
                pair_person[record_pair],
                record_position,
                chronic_ids[pair_condition[record_pair]],
                np.full(record_pair.shape[0], -1, dtype=np.int64),
            )
        ]

        # Acute episodes.
        acute = vocabulary.ACUTE
        male, female = p.sex == 0, p.sex == 1
        decades = (p.age - 50) / 10
        episode_person: list[Int] = []
        episode_concept: list[Int] = []
        episode_days: list[Int] = []
        for condition in acute:
            expected = ACUTE_CAPTURE * condition.rate * condition.per_decade**decades * years
            expected = expected * np.where(
                male,
                condition.male,
                np.where(female, condition.female, 0.5 * (condition.male + condition.female)),
            )
            for risk, factor in condition.risks.items():
                flag = p.smoker == 2 if risk == "smoker" else has[:, index[risk]]
                expected = expected * np.where(flag, factor, 1.0)
            expected = expected * ((p.age >= condition.min_age) & (p.age <= condition.max_age))
            count = np.where(visits > 0, np.minimum(rng.poisson(expected), 6), 0)
            person = np.repeat(np.arange(n), count)
            episode_person.append(person)
            episode_concept.append(np.full(person.shape[0], condition.concept_id, dtype=np.int64))
            episode_days.append(np.full(person.shape[0], condition.days, dtype=np.int64))
        acute_person = np.concatenate(episode_person)
        acute_concept = np.concatenate(episode_concept)
        acute_position = _uniform_position(rng, np.zeros_like(acute_person), visits[acute_person])
        condition_parts.append(
            (acute_person, acute_position, acute_concept, np.concatenate(episode_days))
        )

        condition_table = self._condition_table(condition_parts)
        drugs, statin_from = self._drugs(has, onset, acute_person, acute_position, acute_concept)
        measurement_table = self._measurements(has, onset, statin_from)
        procedure_table = self._procedures(has, onset, acute_person, acute_position, acute_concept)
        observation_table = self._observations(survey, has, onset)

        visit_concepts = np.array([9201, 9202, 9203], dtype=np.int32)
        tables = {
            "person": self._person_table(),
            "observation_period": pa.Table.from_arrays(
                [
                    pa.array(p.person_id),
                    pa.array(p.person_id),
                    _dates(p.obs_start),
                    _dates(p.obs_end),
                    pa.array(np.full(n, schema.EHR_RECORD, dtype=np.int32)),
                ],
                schema=schema.SCHEMAS["observation_period"],
            ),
            "visit_occurrence": pa.Table.from_arrays(
                [
                    pa.array(visit_id),
                    pa.array(p.person_id[visit_person]),
                    pa.array(visit_concepts[visit_kind]),
                    _dates(visit_day),
                    _dates(visit_end),
                    pa.array(np.full(visit_count, schema.EHR_RECORD, dtype=np.int32)),
                    pa.array(p.site[visit_person] + 1),
                ],
                schema=schema.SCHEMAS["visit_occurrence"],
            ),
            "condition_occurrence": condition_table,
            "drug_exposure": drugs,
            "measurement": measurement_table,
            "procedure_occurrence": procedure_table,
            "observation": observation_table,
            "death": self._death_table(),
        }
        return tables

    # -- helpers for events anchored at visits ------------------------------------------------

    def _ids(self, count: int) -> Int:
        return self.chunk_index * ID_STRIDE + np.arange(count, dtype=np.int64) + 1

    def _visit_of(self, person: Int, position: Int) -> tuple[Int, Int]:
        """(visit row, visit day) of each event."""
        _visit_person, visit_first, _visits, visit_day, _visit_id = self.visit
        row = visit_first[person] + position
        return row, visit_day[row]

    def _condition_table(self, parts: list[tuple[Int, Int, Int, Int]]) -> pa.Table:
        p = self.people
        person = np.concatenate([part[0] for part in parts])
        position = np.concatenate([part[1] for part in parts])
        concept = np.concatenate([part[2] for part in parts])
        duration = np.concatenate([part[3] for part in parts])
        order = np.argsort(person, kind="stable")
        person, position, concept, duration = (
            person[order],
            position[order],
            concept[order],
            duration[order],
        )
        row, day = self._visit_of(person, position)
        end = np.minimum(day + duration, p.obs_end[person])
        count = person.shape[0]
        return pa.Table.from_arrays(
            [
                pa.array(self._ids(count)),
                pa.array(p.person_id[person]),
                pa.array(concept.astype(np.int32)),
                _dates(day),
                _dates(end, mask=duration < 0),
                pa.array(np.full(count, schema.EHR_RECORD, dtype=np.int32)),
                pa.array(self.visit[4][row]),
            ],
            schema=schema.SCHEMAS["condition_occurrence"],
        )

    def _drugs(
        self, has: Bool, onset: Int, acute_person: Int, acute_position: Int, acute_concept: Int
    ) -> tuple[pa.Table, Int]:
        rng, p, model = self.rng, self.people, self.model
        visits = self.visit[2]
        persons: list[Int] = []
        positions: list[Int] = []
        drugs: list[Int] = []
        supplies: list[Int] = []
        for treatment in vocabulary.TREATMENTS:
            ids = np.array([drug for drug, _weight in treatment.choices], dtype=np.int64)
            weights = np.array([weight for _drug, weight in treatment.choices])
            supply_options = np.array(treatment.days_supply, dtype=np.int64)
            if isinstance(treatment.condition, str):
                column = model.chronic_index[treatment.condition]
                person = np.flatnonzero(has[:, column] & (visits > 0))
                person = person[rng.random(person.shape[0]) < treatment.probability]
                start = onset[person, column]
                remaining = visits[person] - start
                start = start + np.floor(rng.random(person.shape[0]) * remaining * 0.3).astype(
                    np.int64
                )
                fills = 1 + np.minimum(rng.poisson(0.3 * (visits[person] - start - 1)), 7)
                fill_person = np.repeat(person, fills)
                fill_start = np.repeat(start, fills)
                fill_first = np.cumsum(fills) - fills
                is_first = np.arange(fill_person.shape[0]) == np.repeat(fill_first, fills)
                position = np.where(
                    is_first, fill_start, _uniform_position(rng, fill_start, visits[fill_person])
                )
                drug = np.repeat(ids[_choose(rng, person.shape[0], weights)], fills)
            else:
                episode = np.flatnonzero(acute_concept == treatment.condition)
                episode = episode[rng.random(episode.shape[0]) < treatment.probability]
                fill_person = acute_person[episode]
                position = acute_position[episode]
                drug = ids[_choose(rng, episode.shape[0], weights)]
            persons.append(fill_person)
            positions.append(position)
            drugs.append(drug)
            supplies.append(
                supply_options[rng.integers(0, supply_options.shape[0], fill_person.shape[0])]
            )

        # Contraception and menopausal hormones, not tied to a condition.
        female = (p.sex == 1) & (visits > 0)
        for hormone_ids, hormone_weights, low, high, share in (
            (
                (1589505, 1521369, 1519936, 1512674, 1515774, 1500211),
                (0.3, 0.25, 0.12, 0.1, 0.1, 0.13),
                16,
                46,
                0.2,
            ),
            ((1548195,), (1.0,), 48, 70, 0.05),
        ):
            person = np.flatnonzero(female & (p.age >= low) & (p.age < high))
            person = person[rng.random(person.shape[0]) < share]
            fills = 1 + np.minimum(rng.poisson(0.4 * visits[person]), 8)
            fill_person = np.repeat(person, fills)
            persons.append(fill_person)
            positions.append(
                _uniform_position(rng, np.zeros_like(fill_person), visits[fill_person])
            )
            drugs.append(
                np.repeat(
                    np.array(hormone_ids)[_choose(rng, person.shape[0], hormone_weights)], fills
                )
            )
            supplies.append(np.where(rng.random(fill_person.shape[0]) < 0.5, 28, 84))

        person = np.concatenate(persons)
        position = np.concatenate(positions)
        drug = np.concatenate(drugs)
        supply = np.concatenate(supplies)
        order = np.argsort(person, kind="stable")
        person, position, drug, supply = person[order], position[order], drug[order], supply[order]
        row, day = self._visit_of(person, position)
        end = np.minimum(day + supply - 1, p.obs_end[person])

        statin_from = np.full(p.n, np.iinfo(np.int64).max, dtype=np.int64)
        on_statin = np.isin(drug, np.array(sorted(model.statin_ids)))
        np.minimum.at(statin_from, person[on_statin], position[on_statin])
        count = person.shape[0]
        table = pa.Table.from_arrays(
            [
                pa.array(self._ids(count)),
                pa.array(p.person_id[person]),
                pa.array(drug.astype(np.int32)),
                _dates(day),
                _dates(end),
                pa.array(np.full(count, schema.EHR_RECORD, dtype=np.int32)),
                pa.array(supply.astype(np.int32)),
                pa.array(self.visit[4][row]),
            ],
            schema=schema.SCHEMAS["drug_exposure"],
        )
        return table, statin_from

    def _measurements(self, has: Bool, onset: Int, statin_from: Int) -> pa.Table:
        rng, p, model = self.rng, self.people, self.model
        visit_person, _visit_first, visits, _visit_day, visit_id = self.visit
        arrays = model.measurement_arrays
        mindex = model.measurement_index
        cindex = model.chronic_index
        visit_count = visit_person.shape[0]
        rows_visit: list[Int] = []
        rows_measurement: list[Int] = []
        for panel in vocabulary.PANELS:
            probability = np.full(p.n, panel.base)
            for condition, boost in panel.boosts.items():
                probability = probability + boost * has[:, cindex[condition]]
            if panel.sex == "male":
                probability = probability * (p.sex == 0)
            elif panel.sex == "female":
                probability = probability * (p.sex == 1)
            probability = probability * (p.age >= panel.min_age)
            chosen = np.flatnonzero(rng.random(visit_count) < probability[visit_person])
            members = np.array([mindex[concept] for concept in panel.concept_ids])
            rows_visit.append(np.repeat(chosen, members.shape[0]))
            rows_measurement.append(np.tile(members, chosen.shape[0]))
        # Height, once per participant with visits.
        person = np.flatnonzero((visits > 0) & (rng.random(p.n) < 0.8))
        rows_visit.append(
            self.visit[1][person] + _uniform_position(rng, np.zeros_like(person), visits[person])
        )
        rows_measurement.append(np.full(person.shape[0], mindex[3036277]))

        visit_row = np.concatenate(rows_visit)
        measurement = np.concatenate(rows_measurement)
        order = np.argsort(visit_row, kind="stable")  # by person, then date
        visit_row, measurement = visit_row[order], measurement[order]
        person = visit_person[visit_row]
        position = visit_row - self.visit[1][person]
        count = visit_row.shape[0]

        # Person-level latent values, so a participant's repeated results agree.
        latent = rng.standard_normal((p.n, len(vocabulary.MEASUREMENTS))).astype(np.float32)
        rho = arrays["rho"][measurement]
        value = arrays["mean"][measurement] + arrays["sd"][measurement] * (
            rho * latent[person, measurement] + np.sqrt(1 - rho * rho) * rng.standard_normal(count)
        )
        for concept, shifts in _shifts_by_concept().items():
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
        self.bmi = bmi
        height = 162.5 + 13.5 * (p.sex == 0) + 7.0 * rng.standard_normal(p.n)
        is_bmi = measurement == mindex[3038553]
        is_weight = measurement == mindex[3025315]
        visit_bmi = bmi[person] + 0.6 * rng.standard_normal(count)
        value = np.where(is_bmi, visit_bmi, value)
        value = np.where(is_weight, visit_bmi * (height[person] / 100) ** 2, value)
        value = np.where(
            measurement == mindex[3036277], height[person] + 0.4 * rng.standard_normal(count), value
        )

        value = np.clip(value, arrays["low"][measurement], arrays["high"][measurement])
        scale = arrays["scale"][measurement]
        value = np.round(value * scale) / scale
        day = self.visit[3][visit_row]
        return pa.Table.from_arrays(
            [
                pa.array(self._ids(count)),
                pa.array(p.person_id[person]),
                pa.array(arrays["concept_id"][measurement]),
                _dates(day),
                pa.array(np.full(count, schema.EHR_RECORD, dtype=np.int32)),
                pa.array(value),
                pa.array(arrays["unit_concept_id"][measurement]),
                arrays["unit"].take(pa.array(measurement)),
                pa.array(visit_id[visit_row]),
            ],
            schema=schema.SCHEMAS["measurement"],
        )

    def _procedures(
        self, has: Bool, onset: Int, acute_person: Int, acute_position: Int, acute_concept: Int
    ) -> pa.Table:
        rng, p, model = self.rng, self.people, self.model
        visits = self.visit[2]
        persons: list[Int] = []
        positions: list[Int] = []
        procedures: list[Int] = []
        for rule in vocabulary.PROCEDURES:
            eligible = (visits > 0) & (p.age >= rule.min_age) & (p.age <= rule.max_age)
            if rule.sex == "male":
                eligible &= p.sex == 0
            elif rule.sex == "female":
                eligible &= p.sex == 1
            if isinstance(rule.condition, int):
                episode = np.flatnonzero(acute_concept == rule.condition)
                episode = episode[eligible[acute_person[episode]]]
                episode = episode[rng.random(episode.shape[0]) < rule.probability]
                person, position = acute_person[episode], acute_position[episode]
            else:
                if rule.condition == "anyone":
                    low = np.zeros(p.n, dtype=np.int64)
                else:
                    column = model.chronic_index[rule.condition]
                    eligible &= has[:, column]
                    low = onset[:, column]
                person = np.flatnonzero(eligible & (rng.random(p.n) < rule.probability))
                times = rng.integers(1, rule.repeats + 1, person.shape[0])
                person = np.repeat(person, times)
                position = _uniform_position(rng, low[person], visits[person])
            persons.append(person)
            positions.append(position)
            procedures.append(np.full(person.shape[0], rule.procedure_id, dtype=np.int32))
        person = np.concatenate(persons)
        position = np.concatenate(positions)
        procedure = np.concatenate(procedures)
        order = np.argsort(person, kind="stable")
        person, position, procedure = person[order], position[order], procedure[order]
        row, day = self._visit_of(person, position)
        count = person.shape[0]
        return pa.Table.from_arrays(
            [
                pa.array(self._ids(count)),
                pa.array(p.person_id[person]),
                pa.array(procedure),
                _dates(day),
                pa.array(np.full(count, schema.EHR_RECORD, dtype=np.int32)),
                pa.array(self.visit[4][row]),
            ],
            schema=schema.SCHEMAS["procedure_occurrence"],
        )

    def _observations(self, survey: dict[str, Any], has: Bool, onset: Int) -> pa.Table:
        rng, p, model = self.rng, self.people, self.model
        visits = self.visit[2]
        with_visits = visits > 0
        persons: list[Int] = []
        positions: list[Int] = []
        concepts: list[Int] = []

        def add(person: Int, low: Int, concept: Int) -> None:
            persons.append(person)
            positions.append(_uniform_position(rng, low, visits[person]))
            concepts.append(concept)

        current = np.flatnonzero(with_visits & (p.smoker == 2))
        times = 1 + np.minimum(rng.poisson(0.25 * visits[current]), 3)
        person = np.repeat(current, times)
        smoking = np.array(vocabulary.SMOKING_CURRENT)
        add(person, np.zeros_like(person), smoking[_choose(rng, person.shape[0], (0.5, 0.3, 0.2))])
        former = np.flatnonzero(with_visits & (p.smoker == 1) & (rng.random(p.n) < 0.7))
        times = 1 + np.minimum(rng.poisson(0.15 * visits[former]), 2)
        person = np.repeat(former, times)
        add(person, np.zeros_like(person), np.full(person.shape[0], vocabulary.SMOKING_FORMER))
        for concept, share in vocabulary.ALLERGIES:
            person = np.flatnonzero(with_visits & (rng.random(p.n) < share))
            add(person, np.zeros_like(person), np.full(person.shape[0], concept))
        for concept, condition, share in vocabulary.OBSERVATION_RULES:
            column = model.chronic_index[condition]
            person = np.flatnonzero(with_visits & has[:, column] & (rng.random(p.n) < share))
            add(person, onset[person, column], np.full(person.shape[0], concept))
        person = np.flatnonzero(with_visits & (self.bmi >= 40) & (rng.random(p.n) < 0.5))
        add(person, np.zeros_like(person), np.full(person.shape[0], vocabulary.SEVERE_OBESITY))

        ehr_person = np.concatenate(persons)
        ehr_position = np.concatenate(positions)
        ehr_concept = np.concatenate(concepts).astype(np.int64)
        order = np.argsort(ehr_person, kind="stable")
        ehr_person, ehr_position, ehr_concept = (
            ehr_person[order],
            ehr_position[order],
            ehr_concept[order],
        )
        _ehr_row, ehr_day = self._visit_of(ehr_person, ehr_position)

        survey_count = survey["person"].shape[0]
        ehr_count = ehr_person.shape[0]
        count = survey_count + ehr_count
        codes = pa.array(model.survey_codes, pa.string())
        question = pa.array(survey["question"])
        answer = pa.array(survey["answer"])
        null_strings = pa.nulls(ehr_count, pa.string())
        number = np.concatenate([survey["number"], np.full(ehr_count, np.nan)])
        return pa.Table.from_arrays(
            [
                pa.array(self._ids(count)),
                pa.array(p.person_id[np.concatenate([survey["person"], ehr_person])]),
                pa.array(
                    np.concatenate([model.survey_ids[survey["question"]], ehr_concept]).astype(
                        np.int32
                    )
                ),
                _dates(np.concatenate([survey["day"], ehr_day])),
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
                        [model.survey_ids[survey["answer"]], np.zeros(ehr_count, dtype=np.int64)]
                    ).astype(np.int32)
                ),
                pa.concat_arrays([codes.take(question), null_strings]),
                pa.concat_arrays([codes.take(answer), null_strings]),
            ],
            schema=schema.SCHEMAS["observation"],
        )

    def _person_table(self) -> pa.Table:
        p, model = self.people, self.model
        combos = model.race_combination_codes
        race_ids = []
        ethnicity_ids = []
        ethnicity_values = []
        for codes in combos:
            races = [code for code in codes if code in _RACE_CONCEPT]
            if len(races) == 1:
                race_ids.append(_RACE_CONCEPT[races[0]])
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
        combination = self.race_combination
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
                codes.take(pa.array(self.sex_answer)),
                pa.array(["|".join(codes) for codes in combos], pa.string()).take(
                    pa.array(combination)
                ),
                pa.array(ethnicity_values, pa.string()).take(pa.array(combination)),
            ],
            schema=schema.SCHEMAS["person"],
        )

    def _death_table(self) -> pa.Table:
        p = self.people
        dead = np.flatnonzero(p.death >= 0)
        return pa.Table.from_arrays(
            [
                pa.array(p.person_id[dead]),
                _dates(p.death[dead]),
                pa.array(np.full(dead.shape[0], schema.EHR_RECORD, dtype=np.int32)),
                pa.array(self.death_cause[dead].astype(np.int32)),
            ],
            schema=schema.SCHEMAS["death"],
        )


@cache
def _shifts_by_concept() -> dict[int, list[tuple[str, float]]]:
    shifts: dict[int, list[tuple[str, float]]] = {}
    for concept, factor, shift in vocabulary.MEASUREMENT_SHIFTS:
        shifts.setdefault(concept, []).append((factor, shift))
    return shifts


def _dates(days: Int, mask: Bool | None = None) -> pa.Array:
    return pa.array(days.astype(np.int32), mask=mask).cast(pa.date32())


# ---------------------------------------------------------------------------------------------
# Shared tables and the driver
# ---------------------------------------------------------------------------------------------


def location_table() -> pa.Table:
    zips = _zips()
    count = len(zips.codes)
    return pa.Table.from_arrays(
        [
            pa.array(np.arange(1, count + 1, dtype=np.int64)),
            pa.array(zips.cities, pa.string()),
            pa.array(zips.states, pa.string()),
            pa.array(zips.codes, pa.string()),
            pa.array(zips.counties, pa.string()),
        ],
        schema=schema.SCHEMAS["location"],
    )


def care_site_table() -> pa.Table:
    zips = _zips()
    return pa.Table.from_arrays(
        [
            pa.array(np.arange(1, len(SITES) + 1, dtype=np.int64)),
            pa.array([site.name for site in SITES], pa.string()),
            pa.array(zips.site_location + 1),
            pa.array([site.code for site in SITES], pa.string()),
        ],
        schema=schema.SCHEMAS["care_site"],
    )


SHARED_TABLES: dict[str, Callable[[], pa.Table]] = {
    "location": location_table,
    "care_site": care_site_table,
    "concept": vocabulary.concept_table,
    "concept_ancestor": vocabulary.concept_ancestor_table,
    "concept_relationship": vocabulary.concept_relationship_table,
}
PARTICIPANT_TABLES = tuple(table for table in schema.TABLES if table not in SHARED_TABLES)


def chunk_tables(seed: int, chunk_index: int, first_person: int, count: int) -> dict[str, pa.Table]:
    """The per-participant tables of one chunk, in memory (for tests and tools)."""
    return _Chunk(seed, chunk_index, first_person, count).tables()


def _write(table: pa.Table, path: Path) -> None:
    pq.write_table(table, path, **PARQUET_OPTIONS)


def _write_chunk(task: tuple[str, int, int, int, int]) -> dict[str, int]:
    directory, seed, chunk_index, first_person, count = task
    tables = chunk_tables(seed, chunk_index, first_person, count)
    rows = {}
    for name, table in tables.items():
        _write(table, Path(directory) / name / f"part-{chunk_index:05d}.parquet")
        rows[name] = table.num_rows
    return rows


def _tasks(
    directory: Path, participants: int, seed: int, chunk_size: int
) -> Iterator[tuple[str, int, int, int, int]]:
    for chunk_index, first in enumerate(range(0, participants, chunk_size)):
        yield (str(directory), seed, chunk_index, first, min(chunk_size, participants - first))


def generate(
    out_dir: Path,
    participants: int,
    seed: int,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    *,
    workers: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Write a synthetic data set for `participants` people to `out_dir`; return its manifest.

    `out_dir` is replaced if it holds an earlier data set (a folder with manifest.json) or is
    empty; any other existing folder is refused. The data are built in a sibling folder and
    moved into place at the end, so a reader never sees a half-written data set. `workers`
    processes (default: up to two, one per CPU) build the chunks.

    Raises GenerationError for participants or chunk_size below 1, a negative seed, or an out_dir
    that is not safe to replace; OSError when the folder cannot be written.
    """
    out_dir = Path(out_dir)
    if participants < 1:
        raise GenerationError(f"participants must be at least 1, not {participants}")
    if chunk_size < 1:
        raise GenerationError(f"chunk size must be at least 1, not {chunk_size}")
    if seed < 0:
        raise GenerationError(f"seed must be zero or more, not {seed}")
    if out_dir.exists() and not out_dir.is_dir():
        raise GenerationError(f"{out_dir} exists and is not a folder")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / "manifest.json").is_file():
        raise GenerationError(
            f"{out_dir} is not empty and holds no generated data; refusing to replace it"
        )
    workers = workers or min(2, os.cpu_count() or 1)
    report = progress or (lambda _message: None)
    started = time.perf_counter()

    out_dir.parent.mkdir(parents=True, exist_ok=True)
    building = out_dir.parent / f".{out_dir.name}.building-{os.getpid()}"
    if building.exists():
        shutil.rmtree(building)
    try:
        for table in schema.TABLES:
            (building / table).mkdir(parents=True)
        rows = dict.fromkeys(schema.TABLES, 0)
        for name, build in SHARED_TABLES.items():
            table = build()
            _write(table, building / name / "part-00000.parquet")
            rows[name] = table.num_rows
        tasks = list(_tasks(building, participants, seed, chunk_size))
        workers = min(workers, len(tasks))
        if workers > 1:
            context = multiprocessing.get_context("spawn")
            with context.Pool(workers) as pool:
                for done, chunk_rows in enumerate(pool.imap(_write_chunk, tasks), 1):
                    _add(rows, chunk_rows)
                    report(f"chunk {done}/{len(tasks)} written")
        else:
            for done, task in enumerate(tasks, 1):
                _add(rows, _write_chunk(task))
                report(f"chunk {done}/{len(tasks)} written")
        manifest = {
            "generator": "tapestry.research.warehouse.generate",
            "generator_version": GENERATOR_VERSION,
            "participants": participants,
            "seed": seed,
            "chunk_size": chunk_size,
            "chunks": len(tasks),
            "workers": workers,
            "consent_start": CONSENT_START.isoformat(),
            "end_date": END_DATE.isoformat(),
            "rows": rows,
            "events": sum(rows[table] for table in schema.EVENT_TABLES),
            "concepts_by_domain": vocabulary.concept_counts_by_domain(),
            "seconds": round(time.perf_counter() - started, 2),
        }
        (building / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        if out_dir.exists():
            shutil.rmtree(out_dir)
        building.rename(out_dir)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    return manifest


def _add(total: dict[str, int], rows: dict[str, int]) -> None:
    for name, count in rows.items():
        total[name] += count
