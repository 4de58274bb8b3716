"""The whole site under a realistic load: Locust's simulated people against gunicorn on PostgreSQL.

Prepares a PostgreSQL database (`load_demo` by default) with the demo's data, in the order of
the Makefile's `demo` target (migrate, every *_seed_demo command, the FORHP rural ZIP lists,
a small generated research data set, its release and the researcher workbench), and reuses it
when a previous run seeded it. Adds the load test's own accounts (`load_accounts`, below): one
per simulated liaison, specialist, researcher and staff member, so that sign-ins do not share
an account (allauth refuses a second-factor code already used, and two people filing a report
for one library would be no one's real day). Collects the static files, then for each worker
count asked for starts gunicorn (`config.wsgi`, production settings: DEBUG off, Redis cache,
persistent database connections), runs Locust headless (`benchmarks/load/locustfile.py`) as a
subprocess, reads its per-request-type statistics, and measures the CPU time gunicorn's
processes and the database's backends used, per request.

Prints one JSON document on stdout: a row per worker count, each naming the commit.

    .venv/bin/python benchmarks/load_test.py                                  # 200 people, 5 min
    .venv/bin/python benchmarks/load_test.py --users 30 --duration 60
    .venv/bin/python benchmarks/load_test.py --workers 1,2,3,4 --duration 90  # the scaling series

Locust runs on the same machine as gunicorn, PostgreSQL and Redis and takes CPU from them, so
the figures are a conservative bound for a dedicated server.
"""

import argparse
import csv
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import FORHP_DIR, FORHP_LISTS, ROOT, log, postgres_backend_pids, source_version

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/load_demo"
DEFAULT_CACHE_URL = "redis://127.0.0.1:6379/9"
LOAD_DIR = ROOT / "var" / "load"
LOCUSTFILE = Path(__file__).resolve().parent / "load" / "locustfile.py"
# The research data set generated for the load test: small, as the demo's, so seeding is quick.
RESEARCH_PARTICIPANTS = 2000
RESEARCH_SEED = 2026
# Long enough that the database backends live through a run, so their CPU time is counted.
DB_CONN_MAX_AGE = 60
# Bump when the seeding below changes, so an older database is seeded again.
SEED_VERSION = "1"


def manage_env(database_url: str, cache_url: str) -> dict[str, str]:
    """The environment of every manage.py command and of gunicorn: production settings."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "TAPESTRY_DEBUG": "0",
        "TAPESTRY_CACHE_URL": cache_url,
        "TAPESTRY_DB_CONN_MAX_AGE": str(DB_CONN_MAX_AGE),
        "TAPESTRY_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "TAPESTRY_RESEARCH_DATA_DIR": str(LOAD_DIR / "research"),
        "TAPESTRY_MEDIA_ROOT": str(LOAD_DIR / "media"),
        "TAPESTRY_EMAIL_FILE_PATH": str(LOAD_DIR / "mail"),
        # As deployed (deploy/tapestry.env.example): JSON log lines.
        "TAPESTRY_LOG_LEVEL": "INFO",
        "TAPESTRY_LOG_FORMAT": "json",
        # Locust's people each send their own X-Forwarded-For, as visitors behind the
        # production proxy arrive; allauth's per-address sign-in limits read it.
        "TAPESTRY_TRUSTED_PROXY_COUNT": "1",
    }
    env.setdefault("TAPESTRY_SECRET_KEY", "load-test-" + "x" * 50)
    return env


def manage(env: dict[str, str], *args: str) -> None:
    """Run one manage.py command, its output to the log (stderr)."""
    log("manage.py " + " ".join(args))
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=sys.stderr,
    )


def database_exists(database_url: str) -> bool:
    import psycopg

    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin) as connection:
        row = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
    return row is not None


def database_create(database_url: str) -> None:
    parts = urlsplit(database_url)
    subprocess.run(
        [
            "createdb",
            "-h",
            parts.hostname or "127.0.0.1",
            "-p",
            str(parts.port or 5432),
            "-U",
            parts.username or "postgres",
            parts.path.lstrip("/"),
        ],
        check=True,
        env={**os.environ, "PGPASSWORD": parts.password or ""},
    )


def seeded_marker(database_url: str) -> Path:
    return LOAD_DIR / f"seeded-{urlsplit(database_url).path.lstrip('/')}-v{SEED_VERSION}"


def prepare(database_url: str, env: dict[str, str], *, accounts: int) -> None:
    """The demo's data in the database (seeded once, reused after), the load test's accounts,
    and the static files collected."""
    LOAD_DIR.mkdir(parents=True, exist_ok=True)
    marker = seeded_marker(database_url)
    if not database_exists(database_url):
        log(f"creating {database_url}")
        database_create(database_url)
        marker.unlink(missing_ok=True)
    manage(env, "migrate", "--no-input", "-v", "0")
    if not marker.exists():
        for command in (
            "seed_demo",
            "surveys_seed_demo",
            "learning_seed_demo",
            "engagement_seed_demo",
            "funding_seed_demo",
            "resources_seed_demo",
            "sharing_seed_demo",
        ):
            manage(env, command)
        if (FORHP_DIR / FORHP_LISTS[0][1]).is_file():
            for name, file, effective_from in FORHP_LISTS:
                manage(
                    env,
                    "research_load_rural_zips",
                    str(FORHP_DIR / file),
                    "--name",
                    name,
                    "--effective-from",
                    effective_from,
                )
        generated = LOAD_DIR / "research" / "generated" / "load"
        if not (generated / "manifest.json").is_file():
            manage(
                env,
                "research_generate",
                "--participants",
                str(RESEARCH_PARTICIPANTS),
                "--seed",
                str(RESEARCH_SEED),
                "--out",
                str(generated),
            )
        manage(
            env, "research_release", "--source", str(generated), "--name", "demo", "--if-missing"
        )
        manage(env, "research_seed_workbench")
        marker.write_text(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()) + "\n")
    else:
        log(f"{database_url} already seeded ({marker.name}); reusing it")
    manage(env, "shell", "-c", f"from benchmarks.load.accounts import ensure; ensure({accounts})")
    manage(env, "collectstatic", "--no-input", "-v", "0")
    analyze(database_url)


def analyze(database_url: str) -> None:
    """Planner statistics for the freshly loaded tables, as autovacuum keeps them on a live
    system. This machine's PostgreSQL runs with autovacuum off; without statistics the
    planner takes the release's 450 concepts for 1 and the Data Browser's concept search
    ran a nested loop for 4.5 s instead of 0.2 ms."""
    import psycopg

    log("VACUUM ANALYZE")
    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")


def machine(database_url: str) -> dict[str, Any]:
    """Where the load test ran, how busy the machine was at the start, and the commit."""
    import platform

    import psycopg

    with psycopg.connect(database_url) as connection:
        row = connection.execute("SHOW server_version").fetchone()
    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "database": f"PostgreSQL {row[0] if row else '?'}",
        "load_average_1m_at_start": round(os.getloadavg()[0], 2),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        **source_version(),
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=5) as response:  # noqa: S310
                if response.status == 200:
                    return
        except (OSError, urllib.error.URLError):
            pass
        time.sleep(0.3)
    raise SystemExit(
        f"gunicorn did not answer {url}/healthz in time; see {LOAD_DIR}/gunicorn-*.log"
    )


# Pages each worker process should have served once before the measurement: the first request
# of a process loads the URL configuration, templates and translations, and the first search
# near a place loads the ZIP code table (about 1 s of CPU), costs a deployment pays once.
WARMUP_PATHS = (
    "/",
    "/network/?near=60608&radius_miles=25",
    "/network/?q=library",
    "/data/",
    "/data/concepts/?q=diabetes",
    "/data/surveys/",
    "/resources/",
    "/engagement/events/?near=60608&radius_miles=50",
    "/learning/",
    "/accounts/login/",
)


def warm_up(url: str, *, workers: int, threads: int) -> None:
    """Each warm-up page requested concurrently by more clients than the server has threads,
    several rounds, so that every worker process serves each of them at least once."""
    from concurrent.futures import ThreadPoolExecutor

    def fetch(path: str) -> None:
        try:
            with urllib.request.urlopen(url + path, timeout=60) as response:  # noqa: S310
                response.read()
        except (OSError, urllib.error.URLError) as error:
            log(f"warm-up {path}: {error}")

    clients = workers * threads
    with ThreadPoolExecutor(clients) as pool:
        for _round in range(2):
            list(pool.map(fetch, [path for path in WARMUP_PATHS for _client in range(clients)]))


def process_cpu(pids: list[int]) -> dict[int, float]:
    """User plus system CPU seconds each live process has used so far."""
    import psutil

    used = {}
    for pid in pids:
        try:
            times = psutil.Process(pid).cpu_times()
        except psutil.Error:
            continue
        used[pid] = times.user + times.system
    return used


def cpu_between(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds used between two readings (a process that started in between counts from
    zero; one that exited counts nothing, not negative)."""
    return sum(used - before.get(pid, 0.0) for pid, used in after.items())


class CpuSampler(threading.Thread):
    """The CPU time of gunicorn's processes and of the database's backends, read every two
    seconds during a run and kept at its last reading: a backend closed when its connection
    reached its maximum age, or a worker restarted, still counts (all but its last seconds)."""

    def __init__(self, *, master: int, database_url: str) -> None:
        super().__init__(daemon=True)
        self.master = master
        self.database_url = database_url
        self.server: dict[int, float] = {}
        self.database: dict[int, float] = {}
        self.stopping = threading.Event()

    def sample(self) -> None:
        self.server.update(process_cpu(server_pids(self.master)))
        self.database.update(process_cpu(postgres_backend_pids(self.database_url)))

    def run(self) -> None:
        while not self.stopping.wait(2.0):
            self.sample()

    def stop(self) -> tuple[dict[int, float], dict[int, float]]:
        self.stopping.set()
        self.join()
        self.sample()
        return dict(self.server), dict(self.database)


def server_pids(master: int) -> list[int]:
    """The gunicorn master and its workers."""
    import psutil

    try:
        return [master, *(child.pid for child in psutil.Process(master).children(recursive=True))]
    except psutil.Error:
        return [master]


def stats_rows(prefix: Path) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Locust's statistics CSV: the aggregated row, and a row per page type."""

    def number(text: str) -> float | None:
        try:
            return float(text)
        except ValueError:
            return None

    total: dict[str, Any] = {}
    pages: dict[str, dict[str, Any]] = {}
    with open(f"{prefix}_stats.csv", newline="", encoding="utf-8") as stats:
        for row in csv.DictReader(stats):
            figures = {
                "method": row["Type"],
                "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "p50_ms": number(row["50%"]),
                "p95_ms": number(row["95%"]),
                "p99_ms": number(row["99%"]),
                "mean_ms": round(float(row["Average Response Time"]), 1),
                "max_ms": number(row["Max Response Time"]),
            }
            if row["Name"] == "Aggregated":
                total = figures
            else:
                pages[row["Name"]] = figures
    return total, pages


def failures(prefix: Path) -> list[dict[str, Any]]:
    path = Path(f"{prefix}_failures.csv")
    if not path.is_file():
        return []
    with path.open(newline="", encoding="utf-8") as rows:
        return [
            {"page": row["Name"], "error": row["Error"][:300], "count": int(row["Occurrences"])}
            for row in csv.DictReader(rows)
        ]


def gunicorn_command(port: int, *, workers: int, threads: int, config: str | None) -> list[str]:
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "config.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
    ]
    if config:
        # The deployment's own file (timeouts, worker recycling...); the flags below win.
        command += ["--config", config]
    else:
        command += ["--worker-class", "gthread", "--timeout", "60"]
    return [
        *command,
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        # Longer than the longest pause between a person's pages (20 s, locustfile.py), as the
        # proxy in front keeps browsers' connections: a connection the server closes just as
        # the client reuses it fails that request with no response, which no browser shows (it
        # sends the request again), so it would count errors that people never see.
        "--keep-alive",
        "30",
        # Each request's time in the server, where slow pages show.
        "--access-logfile",
        "-",
        "--access-logformat",
        '%(t)s "%(r)s" %(s)s %(b)s %(M)sms',
    ]


def run(
    *,
    env: dict[str, str],
    database_url: str,
    workers: int,
    threads: int,
    users: int,
    spawn_rate: float,
    duration: int,
    config: str | None,
) -> dict[str, Any]:
    """One measured run: gunicorn with `workers` processes, Locust for `duration` seconds."""
    import redis

    port = free_port()
    host = f"http://127.0.0.1:{port}"
    label = f"w{workers}-u{users}-t{duration}"
    prefix = LOAD_DIR / f"locust-{label}"
    command = gunicorn_command(port, workers=workers, threads=threads, config=config)
    # Prometheus' counters of the run's workers (multiprocess mode, as deployed).
    metrics = LOAD_DIR / f"metrics-{label}"
    shutil.rmtree(metrics, ignore_errors=True)
    metrics.mkdir(parents=True)
    env = {**env, "PROMETHEUS_MULTIPROC_DIR": str(metrics)}
    log(f"starting {' '.join(command[1:])}")
    with (LOAD_DIR / f"gunicorn-{label}.log").open("w") as gunicorn_log:
        server = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=gunicorn_log, stderr=subprocess.STDOUT
        )
    try:
        wait_until_up(host, 120)
        log("warming up the worker processes")
        warm_up(host, workers=workers, threads=threads)
        # Each run starts from an empty cache, as after a deployment.
        redis.Redis.from_url(env["TAPESTRY_CACHE_URL"]).flushdb()
        sampler = CpuSampler(master=server.pid, database_url=database_url)
        sampler.sample()
        cpu_before = (dict(sampler.server), dict(sampler.database))
        sampler.start()
        load_at_start = round(os.getloadavg()[0], 2)
        started = time.monotonic()
        # Locust's own CPU time (a child process, counted once it has exited): the load
        # generator shares the machine's cores with the server.
        children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        log(f"locust: {users} users for {duration} s against {host}")
        subprocess.run(
            [
                str(ROOT / ".venv" / "bin" / "locust"),
                "-f",
                str(LOCUSTFILE),
                "--headless",
                "--users",
                str(users),
                "--spawn-rate",
                str(spawn_rate),
                "--run-time",
                f"{duration}s",
                "--host",
                host,
                "--csv",
                str(prefix),
                "--only-summary",
                "--loglevel",
                "WARNING",
                "--exit-code-on-error",
                "0",
            ],
            cwd=ROOT,
            check=True,
            stdout=sys.stderr,
        )
        elapsed = time.monotonic() - started
        children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        locust_cpu = (children_after.ru_utime - children_before.ru_utime) + (
            children_after.ru_stime - children_before.ru_stime
        )
        # Backends that connected during the run count from zero (see cpu_between).
        cpu_after = sampler.stop()
        load_at_end = round(os.getloadavg()[0], 2)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    total, pages = stats_rows(prefix)
    requests = max(1, total.get("requests", 0))
    app_ms = cpu_between(cpu_before[0], cpu_after[0]) * 1000 / requests
    database_ms = cpu_between(cpu_before[1], cpu_after[1]) * 1000 / requests
    return {
        **source_version(),
        "workers": workers,
        "threads": threads,
        "users": users,
        "spawn_rate": spawn_rate,
        "duration_s": duration,
        "load_average_1m": {"start": load_at_start, "end": load_at_end},
        "requests": total.get("requests", 0),
        "failures": total.get("failures", 0),
        "rps": round(total.get("requests", 0) / duration, 1),
        "p50_ms": total.get("p50_ms"),
        "p95_ms": total.get("p95_ms"),
        "p99_ms": total.get("p99_ms"),
        "cpu_ms_per_request": {
            "gunicorn": round(app_ms, 1),
            "postgresql": round(database_ms, 1),
            "total": round(app_ms + database_ms, 1),
        },
        "wall_s": round(elapsed, 1),
        "locust_cpu_s": round(locust_cpu, 1),
        "server_cpu_s": round((app_ms + database_ms) * requests / 1000, 1),
        "pages": pages,
        "failure_list": failures(prefix),
        "server": " ".join(["gunicorn", *command[1:]]),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--cache-url", default=DEFAULT_CACHE_URL)
    parser.add_argument(
        "--workers", default="2", help="gunicorn worker processes; a list (1,2,3,4) runs a series"
    )
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (gthread)")
    parser.add_argument("--users", type=int, default=200, help="simulated people")
    parser.add_argument("--spawn-rate", type=float, default=10.0, help="people started a second")
    parser.add_argument("--duration", type=int, default=300, help="seconds of each run")
    parser.add_argument(
        "--gunicorn-config", default=None, help="a gunicorn config file (deploy/gunicorn.conf.py)"
    )
    parser.add_argument(
        "--series",
        default="",
        help="after the runs above, a run with each of these worker counts (1,2,3,4)",
    )
    parser.add_argument(
        "--series-duration", type=int, default=90, help="seconds of each run of the series"
    )
    parser.add_argument("--prepare-only", action="store_true", help="seed the database and stop")
    parser.add_argument(
        "--skip-prepare", action="store_true", help="the database is ready: measure at once"
    )
    args = parser.parse_args()

    env = manage_env(args.database_url, args.cache_url)
    if not args.skip_prepare:
        prepare(args.database_url, env, accounts=args.users)
    if args.prepare_only:
        return 0
    machine_info = machine(args.database_url)
    plan = [(int(workers), args.duration) for workers in args.workers.split(",") if workers]
    plan += [(int(workers), args.series_duration) for workers in args.series.split(",") if workers]
    rows = [
        run(
            env=env,
            database_url=args.database_url,
            workers=workers,
            threads=args.threads,
            users=args.users,
            spawn_rate=args.spawn_rate,
            duration=duration,
            config=args.gunicorn_config,
        )
        for workers, duration in plan
    ]
    for row in rows:
        log(
            f"{row['workers']} workers: {row['requests']} requests, {row['failures']} failures, "
            f"{row['rps']} rps, p95 {row['p95_ms']} ms, {row['cpu_ms_per_request']['total']} ms "
            "CPU a request"
        )
    print(
        json.dumps(
            {
                "benchmark": "load_test",
                "machine": machine_info,
                "rows": rows,
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
