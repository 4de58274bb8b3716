"""How fast is a cohort count at 1,000,000 participants? Ibis on DuckDB, hand-written DuckDB SQL
and PostgreSQL, side by side in one run (issue 11).

The cohort (three criteria): participants aged 40 to 64 at consent, with type 2 diabetes or
any of its descendants (201826), and an HbA1c (3004410) above 6.5 within 365 days of a type 2
diabetes event. Counted

- "ibis": `cohort.engine_for(warehouse).count(definition)`, the engine the web requests use
  (compile the definition through Ibis, run it on DuckDB over the search structures);
- "sql": a hand-written DuckDB query of the same cohort over the same search structures (the
  sorted `cohort_*` tables), written for speed; two variants: the concept set looked up in
  `concept_ancestor` inside the query, and the ids written into it (the faster one is compared);
- "postgres": the same rows (`cohort_person`, `cohort_condition`, `cohort_measurement`,
  `concept_ancestor`) loaded into PostgreSQL database `bench_cohort` with COPY, with the
  covering B-tree indexes the query needs, VACUUM ANALYZE'd; the same query in PostgreSQL.

Cold: the first count on a freshly opened database (DuckDB's buffer cache empty, a new
PostgreSQL connection; the operating system's file cache is not dropped: other people use this
machine). Warm: `--runs` more counts, median and 95th percentile. Every count is asserted equal.
`--spark` also times local Spark (`local[2]`) over the same search structures written as
Parquet, and says where the time goes (per-stage task time from Spark's status API).

Data: `benchmarks/research_generate.py` (1,000,000 participants, seed 1) writes
var/bench/research; the release is built from it into var/bench/cohort-release (about a minute
on a quiet machine; skipped when it is there). Prints one JSON document; progress on stderr.

    .venv/bin/python benchmarks/cohort_count.py
    .venv/bin/python benchmarks/cohort_count.py --spark --runs 9
"""

from __future__ import annotations

import argparse
import datetime
import io
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SOURCE = ROOT / "var" / "bench" / "research"
RELEASE = ROOT / "var" / "bench" / "cohort-release"
POSTGRES = "postgresql://postgres@127.0.0.1:5432/bench_cohort"
TYPE_2_DIABETES = 201826
HBA1C = 3004410
TARGET_MS = 300
TARGET_RATIO_SQL = 1.5
TARGET_RATIO_POSTGRES = 20

DEFINITION = {
    "version": 1,
    "include": [
        {"items": [{"domain": "demographic", "field": "age", "min": 40, "max": 64}]},
        {"items": [{"domain": "condition", "concept_id": TYPE_2_DIABETES, "descendants": True}]},
        {
            "items": [
                {
                    "domain": "measurement",
                    "concept_id": HBA1C,
                    "value": {"above": 6.5},
                    "temporal": {
                        "relation": "within",
                        "days": 365,
                        "anchor": {"domain": "condition", "concept_id": TYPE_2_DIABETES},
                    },
                }
            ]
        },
    ],
}

# The hand-written query. Participants in the age range who have the condition come first;
# the HbA1c events are then matched against their condition days only (a range join on the
# same person). {concepts} is either a subquery on concept_ancestor or the ids themselves.
SQL = """
WITH t2d AS (
    SELECT person_id, event_day FROM cohort_condition WHERE {concepts}
),
candidates AS (
    SELECT person_id FROM cohort_person
    WHERE age_at_consent BETWEEN 40 AND 64 AND person_id IN (SELECT person_id FROM t2d)
),
anchors AS (
    SELECT person_id, event_day FROM t2d WHERE person_id IN (SELECT person_id FROM candidates)
)
SELECT count(*) FROM candidates
WHERE person_id IN (
    SELECT m.person_id
    FROM cohort_measurement AS m
    JOIN anchors AS a
      ON a.person_id = m.person_id
     AND m.event_day BETWEEN a.event_day - 365 AND a.event_day + 365
    WHERE m.concept_id = 3004410 AND m.value_as_number > 6.5
)
"""
# The same, with "has the condition or a descendant" read from cohort_concept_person.
SQL_CONCEPT_PERSON = """
WITH candidates AS (
    SELECT person_id FROM cohort_person
    WHERE age_at_consent BETWEEN 40 AND 64
      AND person_id IN (
          SELECT person_id FROM cohort_concept_person
          WHERE concept_id = 201826 AND domain = 'condition'
      )
),
anchors AS (
    SELECT person_id, event_day FROM cohort_condition
    WHERE {concepts} AND person_id IN (SELECT person_id FROM candidates)
)
SELECT count(*) FROM candidates
WHERE person_id IN (
    SELECT m.person_id
    FROM cohort_measurement AS m
    JOIN anchors AS a
      ON a.person_id = m.person_id
     AND m.event_day BETWEEN a.event_day - 365 AND a.event_day + 365
    WHERE m.concept_id = 3004410 AND m.value_as_number > 6.5
)
"""
CONCEPTS_LOOKUP = (
    "concept_id IN (SELECT descendant_concept_id FROM concept_ancestor "
    "WHERE ancestor_concept_id = 201826)"
)

# PostgreSQL: the same rows, the same query (EXISTS is what its planner does best here).
PG_TABLES = {
    "cohort_person": (
        "person_id bigint PRIMARY KEY, age_at_consent integer",
        "person_id, age_at_consent",
    ),
    "cohort_condition": (
        "concept_id integer, person_id bigint, event_day integer",
        "concept_id, person_id, event_day",
    ),
    "cohort_measurement": (
        "concept_id integer, person_id bigint, event_day integer, value_as_number double precision",
        "concept_id, person_id, event_day, value_as_number",
    ),
    "concept_ancestor": (
        "ancestor_concept_id integer, descendant_concept_id integer",
        "ancestor_concept_id, descendant_concept_id",
    ),
}
PG_INDEXES = (
    "CREATE INDEX ON cohort_condition (concept_id, person_id, event_day)",
    "CREATE INDEX ON cohort_measurement (concept_id, person_id, event_day, value_as_number)",
    "CREATE INDEX ON cohort_person (age_at_consent, person_id)",
    "CREATE INDEX ON concept_ancestor (ancestor_concept_id, descendant_concept_id)",
)
# The default work_mem (4 MB) makes it sort on disk; a fair baseline gets the memory it needs.
PG_SETTINGS = "SET work_mem = '256MB'"
PG_SQL = """
WITH t2d AS MATERIALIZED (
    SELECT c.person_id, c.event_day FROM cohort_condition AS c
    WHERE c.concept_id IN (
        SELECT descendant_concept_id FROM concept_ancestor WHERE ancestor_concept_id = 201826
    )
)
SELECT count(*) FROM cohort_person AS p
WHERE p.age_at_consent BETWEEN 40 AND 64
  AND EXISTS (SELECT 1 FROM t2d WHERE t2d.person_id = p.person_id)
  AND EXISTS (
    SELECT 1 FROM cohort_measurement AS m JOIN t2d AS a ON a.person_id = m.person_id
    WHERE m.person_id = p.person_id AND m.concept_id = 3004410 AND m.value_as_number > 6.5
      AND m.event_day BETWEEN a.event_day - 365 AND a.event_day + 365
  )
"""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def commit() -> str:
    """`git rev-parse --short HEAD`, with "+dirty" when tracked files differ from it."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head}+dirty" if dirty else head


def timed(work: Any) -> tuple[Any, float, float]:
    """(result, wall ms, CPU ms of this process: DuckDB's threads run inside it)."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    return result, (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000


def summary(walls: list[float], cpus: list[float] | None = None) -> dict[str, Any]:
    ordered = sorted(walls)
    row = {
        "runs": len(walls),
        "median_ms": round(statistics.median(walls), 1),
        "p95_ms": round(ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))], 1),
        "min_ms": round(ordered[0], 1),
    }
    if cpus:
        row["median_cpu_ms"] = round(statistics.median(cpus), 1)
    return row


def ensure_release(source: Path, release: Path) -> Path:
    from tapestry.research.warehouse.release import release_build

    warehouse = release / "warehouse.duckdb"
    if warehouse.is_file():
        import duckdb

        with duckdb.connect(str(warehouse), read_only=True) as con:
            tables = {row[0] for row in con.execute("SHOW TABLES").fetchall()}
        if "cohort_measurement" in tables:
            return warehouse
        log(f"{warehouse} has no search structures: building them")
        import ibis

        from tapestry.research.warehouse.cohort import index_build

        con = ibis.duckdb.connect(str(warehouse))
        con.raw_sql("SET memory_limit = '2GB'")
        index_build(con)
        con.disconnect()
        return warehouse
    if not (source / "manifest.json").is_file():
        sys.exit(f"no generated data at {source}: run benchmarks/research_generate.py first")
    log(f"building the release of {source} into {release} …")
    started = time.perf_counter()
    release_build(source, release)
    log(f"release built in {time.perf_counter() - started:.0f} s")
    return warehouse


def bench_ibis(warehouse: Path, runs: int, cold_runs: int) -> tuple[Any, dict[str, Any]]:
    from tapestry.research.warehouse import cohort
    from tapestry.research.warehouse.cohort_definition import definition_parse

    definition = definition_parse(DEFINITION)
    cold = []
    count = None
    for _ in range(cold_runs):
        cohort.engines_close()
        # Opening the database is part of a cold count (the first request after a restart).
        found, wall, _cpu = timed(lambda: cohort.engine_for(warehouse).count(definition))
        cold.append(wall)
        count = found
    engine = cohort.engine_for(warehouse)
    walls, cpus = [], []
    for _ in range(runs):
        found, wall, cpu = timed(lambda: engine.count(definition))
        assert found == count, (found, count)
        walls.append(wall)
        cpus.append(cpu)
    # The live count sees a new definition at each edit: nothing compiled is reused. The
    # bound moves by a billionth, which no HbA1c value (one decimal) falls between.
    fresh_walls, fresh_cpus = [], []
    for index in range(runs):
        changed = json.loads(json.dumps(DEFINITION))
        changed["include"][2]["items"][0]["value"]["above"] = 6.5 + (index + 1) * 1e-9
        fresh = definition_parse(changed)
        found, wall, cpu = timed(lambda fresh=fresh: engine.count(fresh))
        assert found == count, (found, count)
        fresh_walls.append(wall)
        fresh_cpus.append(cpu)
    # Where the time goes: building the expression, compiling it to SQL, running it.
    import ibis

    _expr, build, _ = timed(lambda: engine._cohort(definition).count())
    expr = engine._cohort(definition).count()
    _sql, compile_ms, _ = timed(lambda: ibis.to_sql(expr, dialect="duckdb"))
    sql = ibis.to_sql(expr, dialect="duckdb")
    run_only = [timed(lambda: engine.con.con.execute(sql).fetchall())[1] for _ in range(runs)]
    cohort.engines_close()  # the next benchmark opens the file cold
    return count, {
        "cold": summary(cold),
        "warm": summary(walls, cpus),
        "warm_new_definition_each_time": summary(fresh_walls, fresh_cpus),
        "parts_ms": {
            "check_and_build_expression": round(build, 1),
            "compile_to_sql": round(compile_ms, 1),
            "run_compiled_sql_median": round(statistics.median(run_only), 1),
        },
    }


def bench_sql(
    warehouse: Path, runs: int, cold_runs: int, ids: list[int]
) -> tuple[Any, dict[str, Any]]:
    import duckdb

    from tapestry.research.warehouse.cohort import QUERY_MEMORY_LIMIT, QUERY_THREADS

    config: dict[str, Any] = {"memory_limit": QUERY_MEMORY_LIMIT, "threads": QUERY_THREADS}
    inlined = "(" + " OR ".join(f"concept_id = {i}" for i in ids) + ")"
    variants = {
        "concept_ancestor_in_query": SQL.format(concepts=CONCEPTS_LOOKUP),
        "ids_inlined": SQL.format(concepts=inlined),
        "concept_person_and_ids_inlined": SQL_CONCEPT_PERSON.format(concepts=inlined),
    }
    results: dict[str, Any] = {}
    count = None
    for name, query in variants.items():
        cold = []
        for _ in range(cold_runs):

            def first(query: str = query) -> int:
                with duckdb.connect(str(warehouse), read_only=True, config=config) as con:
                    return con.execute(query).fetchall()[0][0]

            found, wall, _cpu = timed(first)
            cold.append(wall)
            assert count is None or found == count, (name, found, count)
            count = found
        con = duckdb.connect(str(warehouse), read_only=True, config=config)
        walls, cpus = [], []
        for _ in range(runs):
            found, wall, cpu = timed(
                lambda query=query, con=con: con.execute(query).fetchall()[0][0]
            )
            assert found == count
            walls.append(wall)
            cpus.append(cpu)
        con.close()
        results[name] = {"cold": summary(cold), "warm": summary(walls, cpus)}
    results["query"] = SQL.strip()
    results["query_concept_person"] = SQL_CONCEPT_PERSON.strip()
    return count, results


def pg_load(url: str, warehouse: Path) -> dict[str, Any]:
    """Load the rows the query reads into PostgreSQL (skipped when the same warehouse file was
    loaded already), index and VACUUM ANALYZE them; returns what was done and how long."""
    import duckdb
    import psycopg

    # The rows loaded, identified by the release they come from and their counts (the
    # warehouse file changes when search structures are added; these rows do not).
    with duckdb.connect(str(warehouse), read_only=True) as source:
        sizes = [
            source.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]  # noqa: S608
            for table in PG_TABLES
        ]
    stamp = f"{warehouse.resolve()}:{sizes}"
    admin = url.rsplit("/", 1)[0] + "/postgres"
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(admin, autocommit=True) as con:
        if not con.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            con.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(url, autocommit=True) as con:
        con.execute("CREATE TABLE IF NOT EXISTS bench_loaded (stamp text)")
        if con.execute("SELECT 1 FROM bench_loaded WHERE stamp = %s", (stamp,)).fetchone():
            return {"loaded": "already (same warehouse file)"}
        started = time.perf_counter()
        source = duckdb.connect(str(warehouse), read_only=True)
        rows = {}
        for table, (columns, names) in PG_TABLES.items():
            con.execute(f"DROP TABLE IF EXISTS {table}")
            con.execute(f"CREATE UNLOGGED TABLE {table} ({columns})")
            log(f"postgres: loading {table} …")
            reader = source.execute(f"SELECT {names} FROM {table}").to_arrow_reader(500_000)  # noqa: S608
            import pyarrow as pa
            import pyarrow.csv as pacsv

            total = 0
            with con.cursor().copy(f"COPY {table} ({names}) FROM STDIN (FORMAT csv)") as copy:
                for batch in reader:  # type: ignore[union-attr]
                    buffer = io.BytesIO()
                    pacsv.write_csv(
                        pa.Table.from_batches([batch]),
                        buffer,
                        write_options=pacsv.WriteOptions(include_header=False),
                    )
                    copy.write(buffer.getvalue())
                    total += batch.num_rows
            rows[table] = total
        source.close()
        load_seconds = time.perf_counter() - started
        for statement in PG_INDEXES:
            log(f"postgres: {statement}")
            con.execute(statement)
        con.execute("VACUUM ANALYZE")
        con.execute("DELETE FROM bench_loaded")
        con.execute("INSERT INTO bench_loaded VALUES (%s)", (stamp,))
        return {
            "loaded": "now",
            "rows": rows,
            "copy_seconds": round(load_seconds, 1),
            "index_and_analyze_seconds": round(time.perf_counter() - started - load_seconds, 1),
        }


def bench_postgres(url: str, runs: int, cold_runs: int) -> tuple[Any, dict[str, Any]]:
    import psycopg

    cold, walls = [], []
    count = None
    for _ in range(cold_runs):

        def first() -> int:
            with psycopg.connect(url) as con:
                con.execute(PG_SETTINGS)
                return con.execute(PG_SQL).fetchone()[0]  # type: ignore[index]

        found, wall, _cpu = timed(first)
        cold.append(wall)
        count = found
    with psycopg.connect(url) as con:
        con.execute(PG_SETTINGS)
        for _ in range(runs):
            found, wall, _cpu = timed(lambda: con.execute(PG_SQL).fetchone()[0])  # type: ignore[index]
            assert found == count
            walls.append(wall)
        plan = [row[0] for row in con.execute("EXPLAIN (ANALYZE, BUFFERS) " + PG_SQL).fetchall()]
    return count, {
        "cold": summary(cold),
        "warm": summary(walls),
        "query": PG_SQL.strip(),
        "plan": plan,
        "settings": f"PostgreSQL 15, shared_buffers 128MB, 2 parallel workers per gather; {PG_SETTINGS}",
    }


def bench_spark(warehouse: Path, runs: int) -> tuple[Any, dict[str, Any]]:
    """Local Spark over the same search structures (exported to Parquet once)."""
    import urllib.request

    import ibis
    from pyspark.sql import SparkSession

    from tapestry.research.warehouse.cohort import PERSON_TABLE, CohortEngine, event_table
    from tapestry.research.warehouse.cohort_definition import definition_parse

    folder = warehouse.parent / "spark"
    tables = (
        PERSON_TABLE,
        event_table("condition"),
        event_table("measurement"),
        "concept",
        "concept_ancestor",
    )
    exported = {}
    duck = ibis.duckdb.connect(str(warehouse), read_only=True)
    for table in tables:
        path = folder / f"{table}.parquet"
        if not path.exists():
            log(f"spark: exporting {table} to Parquet …")
            folder.mkdir(exist_ok=True)
            duck.table(table).to_parquet(path, row_group_size=1_000_000)
        exported[table] = path
    duck.disconnect()
    timings: dict[str, Any] = {}
    _session, started_ms, _ = timed(
        lambda: (
            SparkSession.builder.master("local[2]")
            .appName("tapestry-cohort-bench")
            .config("spark.sql.shuffle.partitions", "4")
            .config("spark.driver.memory", "3g")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.ansi.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .getOrCreate()
        )
    )
    spark = _session
    spark.sparkContext.setLogLevel("ERROR")
    timings["session_start_ms"] = round(started_ms, 1)
    con = ibis.pyspark.connect(spark)
    for table, path in exported.items():
        con.read_parquet(str(path), table_name=table)
    engine = CohortEngine(con)
    definition = definition_parse(DEFINITION)
    count, cold_ms, _ = timed(lambda: engine.count(definition))
    walls = []
    for _ in range(runs):
        found, wall, _cpu = timed(lambda: engine.count(definition))
        assert found == count
        walls.append(wall)
    timings["cold"] = summary([cold_ms])
    timings["warm"] = summary(walls)
    # Where the time goes in one warm count: the stages Spark ran and their task time.
    app = spark.sparkContext.applicationId
    ui = spark.sparkContext.uiWebUrl
    before = _stages(ui, app)
    _found, one_ms, _ = timed(lambda: engine.count(definition))
    after = [
        stage
        for stage in _stages(ui, app)
        if stage["stageId"] not in {s["stageId"] for s in before}
    ]
    timings["one_count"] = {
        "wall_ms": round(one_ms, 1),
        "stages": len(after),
        "tasks": sum(stage.get("numCompleteTasks", 0) for stage in after),
        "executor_run_ms": sum(stage.get("executorRunTime", 0) for stage in after),
        "executor_cpu_ms": round(sum(stage.get("executorCpuTime", 0) for stage in after) / 1e6),
        "input_mb": round(sum(stage.get("inputBytes", 0) for stage in after) / 1e6, 1),
        "shuffle_read_mb": round(sum(stage.get("shuffleReadBytes", 0) for stage in after) / 1e6, 1),
        "slowest_stages": [
            {
                "name": stage.get("name", "")[:60],
                "executor_run_ms": stage.get("executorRunTime", 0),
                "tasks": stage.get("numCompleteTasks", 0),
            }
            for stage in sorted(after, key=lambda s: -s.get("executorRunTime", 0))[:4]
        ],
    }
    spark.stop()
    del urllib
    return count, timings


def _stages(ui: str | None, app: str) -> list[dict[str, Any]]:
    import urllib.request

    if not ui:
        return []
    with urllib.request.urlopen(f"{ui}/api/v1/applications/{app}/stages", timeout=10) as answer:  # noqa: S310
        return json.load(answer)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--source", type=Path, default=SOURCE)
    parser.add_argument("--release", type=Path, default=RELEASE)
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--cold-runs", type=int, default=3)
    parser.add_argument("--postgres", default=os.environ.get("BENCH_COHORT_POSTGRES", POSTGRES))
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--spark", action="store_true")
    args = parser.parse_args()

    load_start = os.getloadavg()
    warehouse = ensure_release(args.source, args.release)
    import duckdb

    from tapestry.research.warehouse.cohort import CohortEngine
    from tapestry.research.warehouse.cohort_definition import definition_parse

    with duckdb.connect(str(warehouse), read_only=True) as con:
        sizes = {
            table: con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # type: ignore[index]  # noqa: S608
            for table in (
                "cohort_person",
                "cohort_condition",
                "cohort_measurement",
                "cohort_drug",
                "cohort_procedure",
                "cohort_observation",
            )
        }
    import ibis

    probe = CohortEngine(ibis.duckdb.connect(str(warehouse), read_only=True))
    ids = sorted(probe.concept_set(TYPE_2_DIABETES))
    probe.con.disconnect()
    definition_parse(DEFINITION)

    row_commit = commit()
    rows: list[dict[str, Any]] = []
    counts = {}
    if not args.no_postgres:
        log("postgres: loading (once per warehouse file) …")
        loaded = pg_load(args.postgres, warehouse)
    log("ibis on duckdb …")
    counts["ibis"], ibis_result = bench_ibis(warehouse, args.runs, args.cold_runs)
    log("hand-written duckdb sql …")
    counts["sql"], sql_result = bench_sql(warehouse, args.runs, args.cold_runs, ids)
    rows.append(
        {"commit": row_commit, "engine": "ibis_duckdb", "count": counts["ibis"], **ibis_result}
    )
    rows.append(
        {"commit": row_commit, "engine": "sql_duckdb", "count": counts["sql"], **sql_result}
    )
    if not args.no_postgres:
        log("postgres …")
        counts["postgres"], pg_result = bench_postgres(
            args.postgres, max(5, args.runs // 3), args.cold_runs
        )
        rows.append(
            {
                "commit": row_commit,
                "engine": "postgres",
                "count": counts["postgres"],
                "load": loaded,
                **pg_result,
            }
        )
    if args.spark:
        log("spark …")
        counts["spark"], spark_result = bench_spark(warehouse, max(3, args.runs // 4))
        rows.append(
            {
                "commit": row_commit,
                "engine": "spark_local",
                "count": counts["spark"],
                **spark_result,
            }
        )
    assert len(set(counts.values())) == 1, counts

    ibis_ms = ibis_result["warm"]["median_ms"]
    sql_ms = min(
        variant["warm"]["median_ms"]
        for key, variant in sql_result.items()
        if not key.startswith("query")
    )
    comparison = {
        "commit": row_commit,
        "ibis_median_ms": ibis_ms,
        "sql_best_median_ms": sql_ms,
        "ibis_over_sql": round(ibis_ms / sql_ms, 2),
        "target_median_ms": TARGET_MS,
        "target_ratio_sql": TARGET_RATIO_SQL,
    }
    if not args.no_postgres:
        pg_ms = pg_result["warm"]["median_ms"]
        comparison |= {
            "postgres_median_ms": pg_ms,
            "postgres_over_ibis": round(pg_ms / ibis_ms, 1),
            "target_ratio_postgres": TARGET_RATIO_POSTGRES,
        }
    comparison["targets_met"] = {
        "median": ibis_ms <= TARGET_MS,
        "vs_sql": ibis_ms <= TARGET_RATIO_SQL * sql_ms,
        **(
            {"vs_postgres": pg_result["warm"]["median_ms"] >= TARGET_RATIO_POSTGRES * ibis_ms}
            if not args.no_postgres
            else {}
        ),
    }
    rows.append(comparison)
    print(
        json.dumps(
            {
                "benchmark": "cohort_count",
                "commit": row_commit,
                "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "machine": {
                    "cpus": os.cpu_count(),
                    "load_average_at_start": [round(x, 2) for x in load_start],
                    "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
                },
                "definition": DEFINITION,
                "rows_in_search_structures": sizes,
                "count": counts["ibis"],
                "rows": rows,
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
