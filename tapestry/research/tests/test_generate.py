# The queries below are built from this module's own constants and the contract's table names.
# ruff: noqa: S608
"""The synthetic OMOP data generator: determinism, shape, ids, and the distributions the
warehouse's users rely on, at a small scale so the suite stays fast."""

import datetime
import json
import re
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow.parquet as pq
import pytest
from django.core.management import CommandError, call_command

from tapestry.research.warehouse import clinical, generate, poverty, schema, vocabulary
from tapestry.research.warehouse.rural import rural_zips

PARTICIPANTS = 2_000
SEED = 11
CHUNK = 700  # three chunks, the last one short

T2DM, DIABETES, METFORMIN, HBA1C = 201826, 201820, 1503297, 3004410
OWN_IDS = {
    "person": "person_id",
    "location": "location_id",
    "care_site": "care_site_id",
    "observation_period": "observation_period_id",
    "visit_occurrence": "visit_occurrence_id",
    "condition_occurrence": "condition_occurrence_id",
    "drug_exposure": "drug_exposure_id",
    "measurement": "measurement_id",
    "procedure_occurrence": "procedure_occurrence_id",
    "observation": "observation_id",
    "death": "person_id",
    "concept": "concept_id",
}
EVENT_DATES = {
    "visit_occurrence": "visit_start_date",
    "condition_occurrence": "condition_start_date",
    "drug_exposure": "drug_exposure_start_date",
    "measurement": "measurement_date",
    "procedure_occurrence": "procedure_date",
    "observation": "observation_date",
}


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("generated") / "data"
    generate.generate(out, PARTICIPANTS, SEED, CHUNK, workers=1)
    return out


def sql(dataset: Path, query: str) -> list[tuple]:
    """Run a query where each table name `t_<table>` reads that table's Parquet files."""

    def files(match: re.Match) -> str:
        return f"read_parquet('{dataset / match.group(1)}/*.parquet')"

    names = "|".join(sorted(schema.TABLES, key=len, reverse=True))
    relation = duckdb.sql(re.sub(rf"\bt_({names})\b", files, query))
    assert relation is not None
    return relation.fetchall()


def scalar(dataset: Path, query: str) -> Any:
    return sql(dataset, query)[0][0]


def parquet_bytes(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*.parquet"))
    }


# -- determinism -----------------------------------------------------------------------------


def test_the_same_seed_and_chunk_size_give_byte_identical_tables(tmp_path: Path) -> None:
    # Given two runs with the same arguments
    generate.generate(tmp_path / "first", 600, 3, 250, workers=1)
    generate.generate(tmp_path / "second", 600, 3, 250, workers=1)

    # Then every Parquet file is the same, byte for byte
    first = parquet_bytes(tmp_path / "first")
    assert first == parquet_bytes(tmp_path / "second")
    assert len(first) == len(generate.SHARED_TABLES) + 3 * len(generate.PARTICIPANT_TABLES)


def test_worker_processes_do_not_change_the_data(tmp_path: Path) -> None:
    # Given the same data set built in one process and in two worker processes
    generate.generate(tmp_path / "one", 600, 3, 250, workers=1)
    manifest = generate.generate(tmp_path / "two", 600, 3, 250, workers=2)

    # Then the files are identical
    assert manifest["workers"] == 2
    assert parquet_bytes(tmp_path / "one") == parquet_bytes(tmp_path / "two")


def test_another_seed_gives_other_data(tmp_path: Path) -> None:
    # Given two runs that differ only in the seed
    generate.generate(tmp_path / "a", 300, 1, 300, workers=1)
    generate.generate(tmp_path / "b", 300, 2, 300, workers=1)

    # Then the participants differ, while the vocabulary is the same
    person_a = pq.read_table(tmp_path / "a" / "person")
    person_b = pq.read_table(tmp_path / "b" / "person")
    assert person_a["person_id"].equals(person_b["person_id"])
    assert not person_a["year_of_birth"].equals(person_b["year_of_birth"])
    assert pq.read_table(tmp_path / "a" / "concept").equals(
        pq.read_table(tmp_path / "b" / "concept")
    )


# -- shape and ids ---------------------------------------------------------------------------


def test_every_table_has_the_contract_schema(dataset: Path) -> None:
    # When each table is read back
    for table, expected in schema.SCHEMAS.items():
        files = sorted((dataset / table).glob("part-*.parquet"))
        # Then it has part files and exactly the columns and types of the contract
        assert files, table
        assert pq.read_table(dataset / table).schema.remove_metadata().equals(expected), table


def test_person_ids_run_from_one_to_n_and_own_ids_are_unique(dataset: Path) -> None:
    # Then person ids are 1..N
    ids = np.sort(pq.read_table(dataset / "person")["person_id"].to_numpy())
    assert np.array_equal(ids, np.arange(1, PARTICIPANTS + 1))
    # And every table's own id is unique
    for table, column in OWN_IDS.items():
        total, distinct = sql(dataset, f"select count(*), count(distinct {column}) from t_{table}")[
            0
        ]
        assert total == distinct, table


def test_references_point_at_existing_rows(dataset: Path) -> None:
    # Then events refer to existing people and visits, people to sites and ZIP codes
    for table in schema.EVENT_TABLES:
        orphans = scalar(
            dataset,
            f"select count(*) from t_{table} e anti join t_person p using (person_id)",
        )
        assert orphans == 0, table
    for table in ("condition_occurrence", "drug_exposure", "measurement", "procedure_occurrence"):
        orphans = scalar(
            dataset,
            f"select count(*) from t_{table} e anti join t_visit_occurrence v "
            "using (person_id, visit_occurrence_id)",
        )
        assert orphans == 0, table
    assert (
        scalar(dataset, "select count(*) from t_person anti join t_care_site using (care_site_id)")
        == 0
    )
    assert (
        scalar(dataset, "select count(*) from t_person anti join t_location using (location_id)")
        == 0
    )
    # And every concept an event uses is in the vocabulary
    for column, table in (
        ("condition_concept_id", "condition_occurrence"),
        ("drug_concept_id", "drug_exposure"),
        ("measurement_concept_id", "measurement"),
        ("procedure_concept_id", "procedure_occurrence"),
        ("observation_concept_id", "observation"),
        ("visit_concept_id", "visit_occurrence"),
    ):
        unknown = scalar(
            dataset,
            f"select count(*) from t_{table} e anti join t_concept c on e.{column} = c.concept_id",
        )
        assert unknown == 0, table


def test_events_fall_inside_each_participants_observation_period(dataset: Path) -> None:
    # Then no event is dated before the period starts or after it ends (death or the end date)
    for table, column in EVENT_DATES.items():
        outside = scalar(
            dataset,
            f"select count(*) from t_{table} e join t_observation_period o using (person_id) "
            f"where e.{column} < o.observation_period_start_date "
            f"or e.{column} > o.observation_period_end_date",
        )
        assert outside == 0, table
    # And nobody has events after death
    late = scalar(
        dataset,
        "select count(*) from t_visit_occurrence v join t_death d using (person_id) "
        "where v.visit_start_date > d.death_date",
    )
    assert late == 0


def test_the_manifest_counts_rows_and_events(dataset: Path) -> None:
    # When the manifest is read
    manifest = json.loads((dataset / "manifest.json").read_text())

    # Then it matches the files
    for table in schema.TABLES:
        assert manifest["rows"][table] == pq.read_table(dataset / table).num_rows, table
    assert manifest["events"] == sum(manifest["rows"][t] for t in schema.EVENT_TABLES)
    assert (manifest["participants"], manifest["seed"], manifest["chunk_size"]) == (
        PARTICIPANTS,
        SEED,
        CHUNK,
    )
    assert manifest["generator_version"] == generate.GENERATOR_VERSION
    # And there are dozens of events per participant, as at full scale
    assert manifest["events"] >= 50 * PARTICIPANTS


# -- participants and the survey -------------------------------------------------------------


def test_sites_are_the_launch_sites_then_the_others(dataset: Path) -> None:
    # When the care sites are read in id order
    codes = [
        row[0]
        for row in sql(
            dataset, "select care_site_source_value from t_care_site order by care_site_id"
        )
    ]

    # Then the six launch sites come first and ten more follow, each enrolling people
    assert codes[:6] == [code for code, _name, _state, _zip in schema.LAUNCH_SITES]
    assert len(codes) == 16
    enrolled = scalar(dataset, "select count(distinct care_site_id) from t_person")
    assert enrolled == 16


def test_site_mixes_follow_their_communities(dataset: Path) -> None:
    # When race and ethnicity answers are counted per site
    rows = sql(
        dataset,
        """
        select s.care_site_source_value,
               avg((o.value_source_value = 'race_black')::int),
               avg((o.value_source_value = 'race_hispanic')::int)
        from t_person p
        join t_care_site s using (care_site_id)
        join t_observation o on o.person_id = p.person_id
             and o.observation_source_value = 'race_ethnicity'
        group by 1
        """,
    )
    black = {site: share for site, share, _hispanic in rows}
    hispanic = {site: share for site, _black, share in rows}

    # Then Birmingham and Detroit are mostly Black, Pasco mostly Hispanic
    assert black["birmingham"] > 0.4
    assert black["detroit"] > 0.45
    assert hispanic["pasco"] > 0.4
    assert black["kansas_city"] < black["detroit"]


def test_about_half_of_participants_are_racial_or_ethnic_minorities(dataset: Path) -> None:
    # When a participant counts as a minority unless their only race answer is White
    minority = scalar(
        dataset,
        """
        select avg(minority::int) from (
            select person_id,
                   bool_or(value_source_value not in ('race_white', 'skip',
                                                      'prefer_not_to_answer')) as minority
            from t_observation where observation_source_value = 'race_ethnicity'
            group by person_id)
        """,
    )

    # Then the share is roughly half, the program's goal
    assert 0.4 <= minority <= 0.6


def test_every_participant_answers_or_skips_every_question(dataset: Path) -> None:
    # When survey rows are grouped by participant and question
    rows = sql(
        dataset,
        f"""
        select person_id, observation_source_value, count(*),
               list(value_source_value), count(value_as_number)
        from t_observation where observation_type_concept_id = {schema.SURVEY_RECORD}
        group by 1, 2
        """,
    )
    seen: dict[str, int] = {}
    for _person, question, count, answers, numbers in rows:
        seen[question] = seen.get(question, 0) + 1
        allowed = {*schema.SURVEY[question], schema.SKIP, schema.PREFER_NOT}
        # Then every answer is one the question allows
        assert set(answers) <= allowed, question
        # And only the race question takes several answers
        assert count == 1 or question == "race_ethnicity"
        if question in ("annual_income", "household_size"):
            answered = [a for a in answers if a not in (schema.SKIP, schema.PREFER_NOT)]
            assert numbers == len(answered)

    # And every question has a row for every participant
    assert seen == dict.fromkeys(schema.SURVEY, PARTICIPANTS)
    # And skips happen, at small rates
    skipped = scalar(
        dataset,
        f"select avg((value_source_value = '{schema.SKIP}')::int) from t_observation "
        f"where observation_type_concept_id = {schema.SURVEY_RECORD}",
    )
    assert 0.003 < skipped < 0.05


def test_survey_rows_use_the_local_concepts(dataset: Path) -> None:
    # Then question and answer concept ids are the contract's local ids
    rows = sql(
        dataset,
        f"""
        select distinct observation_concept_id, observation_source_value,
               value_as_concept_id, value_source_value
        from t_observation where observation_type_concept_id = {schema.SURVEY_RECORD}
        """,
    )
    for question_id, question, answer_id, answer in rows:
        assert question_id == schema.SURVEY_CONCEPT_IDS[question]
        assert answer_id == schema.SURVEY_CONCEPT_IDS[answer]


def test_consent_dates_and_ages_are_in_range(dataset: Path) -> None:
    # When consent rows and birth dates are read
    rows = sql(
        dataset,
        """
        select o.observation_date, p.year_of_birth, p.month_of_birth, p.day_of_birth,
               s.care_site_source_value
        from t_observation o join t_person p using (person_id)
        join t_care_site s using (care_site_id)
        where o.observation_source_value = 'consent'
        """,
    )

    # Then each participant consented once, within the program's dates
    assert len(rows) == PARTICIPANTS
    consents = [row[0] for row in rows]
    assert min(consents) >= generate.CONSENT_START
    assert max(consents) <= generate.END_DATE
    # And enrollment grows: the last full year has more consents than the first full year
    assert sum(d.year == 2025 for d in consents) > sum(d.year == 2019 for d in consents)
    # And sites that joined later have no earlier consents
    starts = {site.code: site.start for site in generate.all_sites()}
    assert all(consent >= starts[site] for consent, *_birth, site in rows)
    # And ages at consent are 18 to 90, with at most a few younger
    ages = np.array([(c - datetime.date(y, m, d)).days / 365.25 for c, y, m, d, _site in rows])
    assert ages.max() < 91
    assert ages.min() >= 16
    assert (ages < 18).mean() < 0.01
    assert 45 < ages.mean() < 60


def test_a_realistic_share_has_low_household_income(dataset: Path) -> None:
    # When income is compared with 200% of the poverty guideline for the household size
    rows = sql(
        dataset,
        """
        select i.value_as_number, h.value_as_number, year(c.observation_date), l.state
        from t_observation i
        join t_observation h on h.person_id = i.person_id
             and h.observation_source_value = 'household_size'
        join t_observation c on c.person_id = i.person_id
             and c.observation_source_value = 'consent'
        join t_person p on p.person_id = i.person_id
        join t_location l on l.location_id = p.location_id
        where i.observation_source_value = 'annual_income'
          and i.value_as_number is not null and h.value_as_number is not null
        """,
    )
    income = np.array([row[0] for row in rows])
    household = np.array([int(row[1]) for row in rows])
    years = poverty.guideline_years()
    year = np.clip([row[2] for row in rows], years.start, years.stop - 1)
    lines = poverty.poverty_lines(year, household, poverty.regions_of_states([r[3] for r in rows]))

    # Then roughly a quarter to a third are at or below 200% of it
    assert 0.25 <= (income <= 2 * lines).mean() <= 0.35
    assert household.min() >= 1


def test_some_participants_live_in_rural_zip_codes_near_their_site(dataset: Path) -> None:
    # When participants' ZIP codes are read
    zips = [
        row[0]
        for row in sql(dataset, "select l.zip from t_person join t_location l using (location_id)")
    ]

    # Then they are real five-digit codes, a minority of them rural
    assert all(len(code) == 5 and code.isdigit() for code in zips)
    rural = np.mean([code in rural_zips() for code in zips])
    assert 0.03 < rural < 0.15


# -- health records --------------------------------------------------------------------------


def test_hba1c_is_higher_in_people_with_type_2_diabetes(dataset: Path) -> None:
    # When HbA1c results are averaged with and without a type 2 diabetes record
    rows = sql(
        dataset,
        f"""
        select exists (select 1 from t_condition_occurrence c
                       where c.person_id = m.person_id and c.condition_concept_id = {T2DM}) d,
               avg(value_as_number), count(*)
        from t_measurement m where measurement_concept_id = {HBA1C}
        group by d
        """,
    )
    mean = {diabetic: value for diabetic, value, _count in rows}

    # Then people with diabetes run clearly higher
    assert mean[True] > mean[False] + 1.0
    assert 5.0 < mean[False] < 6.2


def test_metformin_goes_mostly_to_people_with_diabetes(dataset: Path) -> None:
    # When metformin users are matched with any diabetes diagnosis (a descendant of
    # "Diabetes mellitus" in the vocabulary)
    share = scalar(
        dataset,
        f"""
        select avg(diabetic::int) from (
            select d.person_id, exists (
                select 1 from t_condition_occurrence c
                join t_concept_ancestor a on a.descendant_concept_id = c.condition_concept_id
                where a.ancestor_concept_id = {DIABETES} and c.person_id = d.person_id
            ) diabetic
            from t_drug_exposure d where d.drug_concept_id = {METFORMIN}
            group by d.person_id)
        """,
    )

    # Then nearly all of them have one
    assert share > 0.9


def test_blood_pressure_is_higher_with_hypertension(dataset: Path) -> None:
    # When systolic pressure is averaged with and without an essential hypertension record
    rows = sql(
        dataset,
        """
        select exists (select 1 from t_condition_occurrence c
                       where c.person_id = m.person_id and c.condition_concept_id = 320128) h,
               avg(value_as_number)
        from t_measurement m where measurement_concept_id = 3004249 group by h
        """,
    )
    mean = dict(rows)

    # Then it is higher by more than ten mmHg
    assert mean[True] > mean[False] + 10


def test_measurements_stay_in_plausible_ranges_with_units(dataset: Path) -> None:
    # Then every measurement value lies within its concept's clipping range, with its unit
    model = {m.concept_id: m for m in clinical.model().measurements}
    rows = sql(
        dataset,
        "select measurement_concept_id, min(value_as_number), max(value_as_number), "
        "any_value(unit_concept_id), any_value(unit_source_value), count(*) "
        "from t_measurement group by 1",
    )
    for concept, low, high, unit_id, unit, _count in rows:
        assert model[concept].low <= low <= high <= model[concept].high, concept
        assert (unit_id, unit) == (model[concept].unit_concept_id, model[concept].unit)


# -- vocabulary ------------------------------------------------------------------------------


def test_the_vocabulary_holds_hundreds_of_real_concepts_and_the_survey(dataset: Path) -> None:
    # When the concept table is read
    rows = sql(dataset, "select vocabulary_id, count(*) from t_concept group by 1")
    counts = dict(rows)

    # Then at least 300 concepts come from the standard vocabularies
    assert sum(n for vocab, n in counts.items() if vocab != schema.SURVEY_VOCABULARY) >= 300
    assert counts[schema.SURVEY_VOCABULARY] == len(schema.SURVEY_CONCEPT_IDS)
    assert {"SNOMED", "RxNorm", "LOINC", "Visit", "Gender", "Race", "Ethnicity", "UCUM"} <= set(
        counts
    )
    named = dict(sql(dataset, "select concept_id, concept_name from t_concept"))
    assert named[T2DM] == "Type 2 diabetes mellitus"
    assert named[METFORMIN] == "metformin"
    assert named[HBA1C] == "Hemoglobin A1c/Hemoglobin.total in Blood"


def test_concept_ancestor_links_groups_to_their_members(dataset: Path) -> None:
    # Then every standard concept is its own ancestor at level 0
    missing = scalar(
        dataset,
        """
        select count(*) from t_concept c where c.standard_concept is not null
        and not exists (select 1 from t_concept_ancestor a
                        where a.ancestor_concept_id = c.concept_id
                          and a.descendant_concept_id = c.concept_id
                          and a.min_levels_of_separation = 0)
        """,
    )
    assert missing == 0
    # And "Diabetes mellitus" covers type 1 and type 2, and complications two levels down
    below = dict(
        sql(
            dataset,
            f"select descendant_concept_id, min_levels_of_separation from t_concept_ancestor "
            f"where ancestor_concept_id = {DIABETES}",
        )
    )
    assert below[T2DM] == 1 and below[201254] == 1
    assert below[443732] == 2  # disorder due to type 2 diabetes
    # And hypertension, and the ATC class of metformin
    assert (316866, 320128) in {
        (a, d)
        for a, d in sql(
            dataset, "select ancestor_concept_id, descendant_concept_id from t_concept_ancestor"
        )
    }
    assert (
        scalar(
            dataset,
            f"select count(*) from t_concept_ancestor where ancestor_concept_id = 21600712 "
            f"and descendant_concept_id = {METFORMIN}",
        )
        == 1
    )


def test_relationships_mirror_the_direct_ancestors(dataset: Path) -> None:
    # When "Is a" and "Subsumes" rows are compared with level-1 ancestors
    is_a = set(
        sql(
            dataset,
            "select concept_id_2, concept_id_1 from t_concept_relationship where relationship_id = 'Is a'",
        )
    )
    subsumes = set(
        sql(
            dataset,
            "select concept_id_1, concept_id_2 from t_concept_relationship where relationship_id = 'Subsumes'",
        )
    )
    direct = set(
        sql(
            dataset,
            "select ancestor_concept_id, descendant_concept_id from t_concept_ancestor "
            "where max_levels_of_separation = 1",
        )
    )

    # Then each direct link appears once in each direction
    assert is_a == subsumes
    assert is_a <= direct


def test_the_clinical_model_uses_only_curated_concepts() -> None:
    # When every concept the model refers to is looked up
    model = clinical.model()
    known = set(vocabulary.concept_by_id())
    referenced = model.referenced_concept_ids()

    # Then none is missing from the vocabulary, and every factor is a condition or a known one
    assert referenced - known == set()
    keys = set(model.chronic_keys)
    special = {"male", "age", "smoker", "statin", "anyone"}
    factors = {shift.factor for shift in model.shifts}
    factors |= {key for panel in model.panels for key in panel.boosts}
    factors |= {r.condition for r in model.procedures if isinstance(r.condition, str)}
    factors |= {t.condition for t in model.treatments if isinstance(t.condition, str)}
    factors |= {rule.condition for rule in model.observation_rules}
    assert factors <= keys | special


def test_a_seed_gives_the_same_rows_as_when_the_model_was_python_literals(tmp_path: Path) -> None:
    # Given the row counts seed 1 gave for 2,000 participants before the clinical model,
    # the sites and the generator's steps moved to data files and per-domain modules
    before = {
        "person": 2000,
        "observation_period": 2000,
        "visit_occurrence": 10_654,
        "condition_occurrence": 19_244,
        "drug_exposure": 9_845,
        "measurement": 43_040,
        "procedure_occurrence": 6_318,
        "observation": 37_701,
        "death": 29,
    }

    # When the same seed is generated now
    manifest = generate.generate(tmp_path / "now", 2000, 1, workers=1)

    # Then every table has the same number of rows, and the same values
    assert {table: manifest["rows"][table] for table in before} == before
    out = tmp_path / "now"
    assert sql(
        out, "select round(sum(value_as_number), 2), sum(measurement_concept_id) from t_measurement"
    ) == [(3_046_893.46, 163_868_140_511)]
    assert sql(
        out,
        "select sum(drug_concept_id), sum(days_supply), "
        "sum(epoch(drug_exposure_start_date)::bigint // 86400) from t_drug_exposure",
    ) == [(16_346_256_369, 506_824, 186_606_043)]
    assert sql(
        out,
        "select sum(year_of_birth * 10000 + month_of_birth * 100 + day_of_birth), "
        "sum(location_id) from t_person",
    ) == [(39_404_220_615, 2_945_085)]


# -- bad input -------------------------------------------------------------------------------


def test_generate_refuses_bad_arguments(tmp_path: Path) -> None:
    # Given a folder that holds something other than generated data
    other = tmp_path / "notes"
    other.mkdir()
    (other / "keep.txt").write_text("mine")

    # Then bad arguments and that folder are refused, and nothing changes
    with pytest.raises(generate.GenerationError, match="at least 1"):
        generate.generate(tmp_path / "x", 0, 1)
    with pytest.raises(generate.GenerationError, match="chunk size"):
        generate.generate(tmp_path / "x", 10, 1, 0)
    with pytest.raises(generate.GenerationError, match="seed"):
        generate.generate(tmp_path / "x", 10, -1)
    with pytest.raises(generate.GenerationError, match="refusing"):
        generate.generate(other, 10, 1)
    assert (other / "keep.txt").read_text() == "mine"
    assert not (tmp_path / "x").exists()


def test_the_command_writes_a_data_set_and_replaces_an_earlier_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given an earlier data set in the folder
    out = tmp_path / "generated"
    call_command("research_generate", participants=50, seed=4, out=out, chunk_size=20)

    # When the command runs again with other arguments
    call_command("research_generate", participants=30, seed=5, out=out)

    # Then the folder holds only the new data set, and the summary is one line
    manifest = json.loads((out / "manifest.json").read_text())
    assert (manifest["participants"], manifest["seed"]) == (30, 5)
    assert [p.name for p in (out / "person").iterdir()] == ["part-00000.parquet"]
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1].startswith("Generated 30 participants (seed 5) with ")


def test_the_command_rejects_bad_arguments_with_a_message(tmp_path: Path) -> None:
    # Then bad numbers and an unwritable place are clear errors, not tracebacks
    with pytest.raises(CommandError, match="--participants must be at least 1"):
        call_command("research_generate", participants=0, seed=1, out=tmp_path / "a")
    with pytest.raises(CommandError, match="--seed must be zero or more"):
        call_command("research_generate", participants=5, seed=-2, out=tmp_path / "a")
    with pytest.raises(CommandError, match="--chunk-size must be at least 1"):
        call_command("research_generate", participants=5, seed=1, chunk_size=0, out=tmp_path / "a")
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(CommandError, match="Cannot write"):
        call_command("research_generate", participants=5, seed=1, out=blocker / "inside")
