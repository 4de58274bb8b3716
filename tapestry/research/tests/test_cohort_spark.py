"""The same cohort definitions on Apache Spark: the warehouse's Parquet files loaded into a
local SparkSession, the participant table and the search structures built there by the same
Ibis code as the release (`release._participants`, `cohort.index_build`), and every count
equal to DuckDB's.

One SparkSession for the session (`local[2]`, two shuffle partitions, no UI), with a
temporary warehouse folder; nothing is downloaded (no Spark packages are asked for). Needs a
Java runtime (`make python-deps` installs one where `java` is missing).
"""

from __future__ import annotations

import logging
import shutil
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ibis
import pytest

from tapestry.research.tests.test_cohort_engine import DEFINITIONS
from tapestry.research.warehouse import schema
from tapestry.research.warehouse.cohort import CohortEngine, engine_for, index_build
from tapestry.research.warehouse.cohort_definition import definition_parse
from tapestry.research.warehouse.release import _participants

pytestmark = [
    pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs Java (make python-deps)"),
    # PySpark 4 warns that it has not been tested with pandas 3; results go through Arrow.
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning"),
    pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning"),
]


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from pyspark.sql import SparkSession

    folder = tmp_path_factory.mktemp("spark")
    session = (
        SparkSession.builder.master("local[2]")
        .appName("tapestry-cohort-tests")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", "1g")
        .config("spark.sql.session.timeZone", "UTC")
        # Spark 4 is ANSI by default: an array index past the end is an error, where DuckDB
        # (and the release's expressions, which read a participant's first answer) get null.
        .config("spark.sql.ansi.enabled", "false")
        .config("spark.sql.warehouse.dir", str(folder / "warehouse"))
        .config("spark.local.dir", str(folder / "local"))
        .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={folder / 'derby'}")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
    # py4j logs its connections closing when they are collected, after pytest has closed
    # the streams it captured ("--- Logging error ---" at exit).
    logging.getLogger("py4j").setLevel(logging.WARNING)


@pytest.fixture(scope="session")
def spark_engine(spark: Any, cohort_source: Path) -> CohortEngine:
    """The generated Parquet as Spark tables, the participant table and the search structures
    written by Spark, and an engine over them."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=FutureWarning)
        con = ibis.pyspark.connect(spark)
        for table in schema.TABLES:
            con.read_parquet(str(cohort_source / table), table_name=table)
        con.create_table("participant", _participants(con))
        index_build(con)
    return CohortEngine(con)


@pytest.fixture(scope="session")
def duckdb_engine(cohort_warehouse: Path) -> CohortEngine:
    return engine_for(cohort_warehouse)


def test_spark_counts_every_definition_as_duckdb(
    spark_engine: CohortEngine, duckdb_engine: CohortEngine
) -> None:
    definitions = {name: definition_parse(data) for name, data in DEFINITIONS.items()}
    duckdb_counts = {name: duckdb_engine.count(item) for name, item in definitions.items()}
    # One Spark job for all of them (a job each would spend most of its time starting).
    for item in definitions.values():
        spark_engine.check(item)
    counted = ibis.union(
        *(
            spark_engine.persons(item)
            .aggregate(participants=ibis._.count())
            .mutate(name=ibis.literal(name))
            for name, item in definitions.items()
        )
    )
    spark_counts = {row["name"]: row["participants"] for row in counted.to_pyarrow().to_pylist()}
    assert spark_counts == duckdb_counts
    assert len(set(duckdb_counts.values())) > len(DEFINITIONS) / 2  # not all alike


def test_spark_builds_the_same_search_structures(
    spark_engine: CohortEngine, duckdb_engine: CohortEngine
) -> None:
    for name in ("cohort_person", "cohort_survey", "cohort_condition", "cohort_measurement"):
        spark_table = spark_engine.con.table(name)
        duckdb_table = duckdb_engine.con.table(name)
        assert spark_table.columns == duckdb_table.columns
        assert spark_table.count().execute() == duckdb_table.count().execute()
    columns = ["person_id", "age_at_consent", "sex", "race", "ethnicity"]
    spark_people = spark_engine.con.table("cohort_person").select(columns).to_pandas()
    duckdb_people = duckdb_engine.con.table("cohort_person").select(columns).to_pandas()
    assert (
        spark_people.sort_values("person_id")
        .reset_index(drop=True)
        .equals(duckdb_people.sort_values("person_id").reset_index(drop=True))
    )


def test_spark_makes_up_the_cohort_as_duckdb(
    spark_engine: CohortEngine, duckdb_engine: CohortEngine
) -> None:
    definition = definition_parse(DEFINITIONS["the issue's cohort"])
    assert spark_engine.makeup(definition) == duckdb_engine.makeup(definition)
    assert spark_engine.program_makeup() == duckdb_engine.program_makeup()
