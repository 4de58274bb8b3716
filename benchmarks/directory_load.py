"""The directory page under load: 20 concurrent clients against gunicorn on PostgreSQL.

Recreates a PostgreSQL database (tapestry_bench by default), migrates it, loads 10,000
generated members, starts gunicorn on a free local port, warms it up, then runs closed-loop
clients (each sends its next request as soon as the last one is answered, no think time) over
a seeded random mix of directory URLs for a fixed time: the plain page, later pages (any page
up to the last), searches by name (English and Spanish words), filters by state, type, region,
service and audience, and "near me" by ZIP code at radii up to the largest allowed. Clients
are threads with keep-alive HTTP connections, spread over a few processes so that one
interpreter's lock does not add its own queueing to the measured latency.

The warm-up draws its URLs from another seed than the measured runs, and every client starts
at its own seeded random place in the mix, so the measured requests are not the warm-up's
replayed. Two measured runs follow: the first with the cache emptied (cold), the second
straight after it over a new draw of the same mix (warm). In each, a request is a cache miss
when its URL had not been requested before in the run (exact for the shared Redis cache; with
per-process caches a URL misses once per worker), and hits and misses are reported apart.
gunicorn is stopped at the end.

Prints one JSON document on stdout. Target (issue 2): 95th percentile at most 150 ms.

    .venv/bin/python benchmarks/directory_load.py
    .venv/bin/python benchmarks/directory_load.py --workers 4 --threads 2 --duration 60

The load generator runs on the same machine as gunicorn and PostgreSQL and takes CPU from
them; the figures are therefore a conservative bound for a dedicated server.
"""

import argparse
import http.client
import json
import multiprocessing
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    BENCH_DIR,
    ROOT,
    analyze,
    django_setup,
    log,
    machine,
    migrate,
    organizations_load,
    percentile,
    postgres_backend_pids,
    query_zips,
    summary_ms,
)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/tapestry_bench"
TARGET_P95_MS = 150.0
# Long enough that the database backends live through every run, so their CPU is counted.
DB_CONN_MAX_AGE = 600


def database_recreate(database_url: str) -> None:
    """Drop and create the benchmark's PostgreSQL database (only one named *bench*)."""
    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    if "bench" not in name:
        raise SystemExit(f"refusing to drop {name!r}: the benchmark only recreates *bench* DBs")
    connection = [
        "-h",
        parts.hostname or "127.0.0.1",
        "-p",
        str(parts.port or 5432),
        "-U",
        parts.username or "postgres",
    ]
    env = {**os.environ, "PGPASSWORD": parts.password or ""}
    subprocess.run(["dropdb", "--if-exists", *connection, name], check=True, env=env)
    subprocess.run(["createdb", *connection, name], check=True, env=env)


# Words people type into the name search, in both of the site's languages: some match many
# members, some few, some none (most member names are English; Spanish city names match).
NAME_QUERIES = (
    "library",
    "health",
    "hospital",
    "medical center",
    "community",
    "public library",
    "university",
    "family",
    "school",
    "chicago",
    "biblioteca",
    "salud",
    "clínica",
    "comunidad",
    "promotoras",
    "familia",
    "centro de salud",
    "san",
    "santa fe",
    "los angeles",
    "el paso",
    "médico",
)
# Seeds: the warm-up's URLs, the measured runs' URLs and where each client starts in them.
WARMUP_SEED = 11
MEASURED_SEEDS = {"cold": 12, "warm": 13}


Request = tuple[str, str]  # (category, path)
Record = tuple[str, str, float, int, float]  # (category, path, seconds, status, started_at)


def url_mix(
    count: int,
    *,
    seed: int,
    pages: int,
    states: list[str],
    regions: list[str],
    largest_radius: int,
) -> list[Request]:
    """`count` (category, path) pairs drawn from a seeded generator, in the proportions a public
    directory sees. Pages, ZIP codes, words and filters are drawn afresh for each request."""
    from tapestry.network.models import Audience, OrganizationType, Service

    rng = random.Random(seed)
    zips = query_zips(500)
    radii = [10, 25, 25, 50, 100, 250, largest_radius]
    # Most people who page on go a few pages in; some jump far (the last page, bookmarks).
    near_pages = list(range(2, min(pages, 10) + 1)) or [1]
    any_page = list(range(2, pages + 1)) or [1]

    def path(**params: object) -> str:
        return "/network/" + (f"?{urlencode(params)}" if params else "")

    makers: list[tuple[int, str, Callable[[], str]]] = [
        (15, "plain", lambda: path()),
        (12, "page", lambda: path(page=rng.choice(near_pages))),
        (5, "deep_page", lambda: path(page=rng.choice(any_page))),
        (10, "name", lambda: path(q=rng.choice(NAME_QUERIES), page=rng.choice([1, 1, 1, 2]))),
        (12, "state", lambda: path(state=rng.choice(states), page=rng.choice([1, 1, 1, 2]))),
        (8, "type", lambda: path(org_type=rng.choice(OrganizationType.values))),
        (
            8,
            "service",
            lambda: path(service=rng.choice(Service.values), audience=rng.choice(Audience.values)),
        ),
        (5, "region", lambda: path(region=rng.choice(regions))),
        (
            25,
            "near",
            lambda: path(
                near=rng.choice(zips),
                radius_miles=rng.choice(radii),
                page=rng.choice([1, 1, 1, 1, 2]),
            ),
        ),
    ]
    weights = [weight for weight, _c, _m in makers]
    mix = []
    for _ in range(count):
        _weight, category, make = rng.choices(makers, weights=weights)[0]
        mix.append((category, make()))
    return mix


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """User plus system CPU time each live process has used so far (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    used = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        used[pid] = (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return used


def cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds used between two readings: all of a process's time if it started in
    between, none of it if it exited (a database backend that exits would otherwise count
    negative; the benchmark keeps connections for 10 minutes, so few do)."""
    return sum(used - before.get(pid, 0.0) for pid, used in after.items())


def gunicorn_worker_pids(master: int) -> list[int]:
    """The processes whose parent is the gunicorn master."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master:
            pids.append(int(stat.parent.name))
    return pids


def free_port() -> int:
    """A local TCP port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(connection: http.client.HTTPConnection, path: str) -> tuple[int, int]:
    """GET a path in English over a keep-alive connection: (status, body size)."""
    connection.request("GET", path, headers={"Accept-Language": "en"})
    response = connection.getresponse()
    body = response.read()
    if response.will_close:
        connection.close()
    return response.status, len(body)


def wait_until_up(port: int, seconds: float) -> None:
    """Wait for gunicorn to answer /healthz."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            status, _size = get(
                http.client.HTTPConnection("127.0.0.1", port, timeout=5), "/healthz"
            )
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("gunicorn did not answer /healthz in time; see var/bench/gunicorn.log")


def client_process(
    port: int,
    mix: list[Request],
    starts: list[int],
    start_at: float,
    stop_at: float,
    think_time: float,
) -> list[Record]:
    """Run one closed-loop client per start position; return what each request did."""
    records: list[Record] = []
    lock = threading.Lock()

    def client(position: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[Record] = []
        time.sleep(max(0.0, start_at - time.time()))
        while time.time() < stop_at:
            category, path = mix[position % len(mix)]
            position += 1
            started_at = time.time()
            started = time.perf_counter()
            try:
                status, _size = get(connection, path)
            except (OSError, http.client.HTTPException):
                connection.close()
                status = 0
            mine.append((category, path, time.perf_counter() - started, status, started_at))
            if think_time:
                time.sleep(think_time)
        connection.close()
        with lock:
            records.extend(mine)

    workers = [threading.Thread(target=client, args=(start,)) for start in starts]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return records


def run_load(
    port: int,
    mix: list[Request],
    *,
    seed: int,
    clients: int,
    processes: int,
    seconds: float,
    think_time: float = 0.0,
) -> tuple[list[Record], float, float]:
    """`clients` closed-loop clients over `mix`, each from its own seeded random place in it."""
    processes = max(1, min(processes, clients))
    rng = random.Random(seed)
    starts = [rng.randrange(len(mix)) for _ in range(clients)]
    start_at = time.time() + 1.0
    stop_at = start_at + seconds
    context = multiprocessing.get_context("fork")
    with context.Pool(processes) as pool:
        jobs = [
            pool.apply_async(
                client_process,
                (port, mix, starts[index::processes], start_at, stop_at, think_time),
            )
            for index in range(processes)
        ]
        records = [record for job in jobs for record in job.get()]
    return records, start_at, stop_at


def with_cache_misses(records: list[Record], seen: set[str]) -> list[tuple[Record, bool]]:
    """Each request with whether it missed the cache: the first of its URL since `seen` was
    emptied (with the cache). `seen` is updated, so a warm run continues from a cold one."""
    marked = []
    for record in sorted(records, key=lambda record: record[4]):
        path = record[1]
        marked.append((record, path not in seen))
        seen.add(path)
    return marked


def run_summary(
    marked: list[tuple[Record, bool]], *, start_at: float, duration: float
) -> dict[str, Any]:
    """Latency over the successful requests, all, hits and misses apart, and by category."""
    records = [record for record, _miss in marked]
    ok = [(record, miss) for record, miss in marked if record[3] == 200]
    elapsed = max(record[4] + record[2] for record in records) - start_at if records else duration
    overall = summary_ms([record[2] for record, _miss in ok])
    all_ms = sorted(record[2] * 1000 for record in records)
    by_category = {}
    for category in sorted({record[0] for record in records}):
        by_category[category] = {
            "all": summary_ms([r[2] for r, _miss in ok if r[0] == category]),
            "misses": summary_ms([r[2] for r, miss in ok if r[0] == category and miss]),
        }
    return {
        "requests": len(records),
        "errors": len(records) - len(ok),
        "distinct_urls": len({record[1] for record in records}),
        "throughput_rps": round(len(records) / elapsed, 1) if elapsed else None,
        "duration_s": round(elapsed, 2),
        "p50_ms": overall["median_ms"],
        "p95_ms": overall["p95_ms"],
        "p99_ms": overall["p99_ms"],
        "mean_ms": overall["mean_ms"],
        "max_ms": overall["max_ms"],
        "p95_ms_including_errors": round(percentile(all_ms, 0.95), 2) if all_ms else None,
        "cache_hits": summary_ms([record[2] for record, miss in ok if not miss]),
        "cache_misses": summary_ms([record[2] for record, miss in ok if miss]),
        "by_category": by_category,
    }


def main() -> int:
    """Build the data, start gunicorn, warm up, run cold and warm, print the JSON result."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument(
        "--keep-database", action="store_true", help="Reuse the database instead of recreating it."
    )
    parser.add_argument("--organizations", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--client-processes", type=int, default=4)
    parser.add_argument(
        "--duration", type=float, default=30.0, help="Seconds of measured load, per run."
    )
    parser.add_argument("--warmup", type=float, default=5.0, help="Seconds of unmeasured load.")
    parser.add_argument(
        "--think-time",
        type=float,
        default=0.0,
        help="Seconds each client waits between requests (the target is measured with 0).",
    )
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port.")
    parser.add_argument(
        "--cache-url",
        default="redis://127.0.0.1:6379/15",
        help="Cache the workers share (emptied before the cold run); '' gives each worker its "
        "own memory (then the cold run starts with what the warm-up cached).",
    )
    args = parser.parse_args()

    if not args.keep_database:
        log(f"recreating {args.database_url}")
        database_recreate(args.database_url)
    django_setup(args.database_url)
    from django.conf import settings
    from django.db import connections

    from tapestry.network.models import Region, StateTerritory

    log("migrating")
    migrate()
    log(f"loading {args.organizations} organizations")
    loaded = organizations_load(args.organizations)
    analyze()
    mix_arguments: dict[str, Any] = {
        "pages": max(1, -(-loaded // settings.NETWORK_PAGE_SIZE)),
        "states": list(StateTerritory.objects.values_list("code", flat=True)),
        "regions": list(Region.objects.values_list("code", flat=True)),
        "largest_radius": settings.NETWORK_MAX_RADIUS_MILES,
    }
    mixes = {
        phase: url_mix(20_000, seed=seed, **mix_arguments)
        for phase, seed in {"warmup": WARMUP_SEED, **MEASURED_SEEDS}.items()
    }
    machine_info = machine()
    connections.close_all()  # nothing Django opened may be shared with forked clients

    port = args.port or free_port()
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "config.wsgi",
        "--workers",
        str(args.workers),
        "--bind",
        f"127.0.0.1:{port}",
        "--keep-alive",
        "30",
    ]
    if args.threads > 1:
        command += ["--worker-class", "gthread", "--threads", str(args.threads)]
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "TAPESTRY_DB_CONN_MAX_AGE": str(DB_CONN_MAX_AGE),
        "TAPESTRY_LOG_LEVEL": "WARNING",
        "TAPESTRY_CACHE_URL": args.cache_url,
    }

    def cache_empty() -> None:
        if args.cache_url:
            import redis

            redis.Redis.from_url(args.cache_url).flushdb()

    cache_empty()
    log(f"starting {' '.join(command[1:])} on port {port}")
    with (BENCH_DIR / "gunicorn.log").open("w") as gunicorn_log:
        server = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=gunicorn_log, stderr=subprocess.STDOUT
        )
    runs: dict[str, dict[str, Any]] = {}
    seen: set[str] = set()
    try:
        wait_until_up(port, 30)
        log(f"warming up for {args.warmup:.0f} s")
        run_load(
            port,
            mixes["warmup"],
            seed=WARMUP_SEED,
            clients=args.clients,
            processes=args.client_processes,
            seconds=args.warmup,
        )
        # CPU time the server side spends per request does not depend on what else runs on
        # the machine, unlike latency; it tells what dedicated cores could sustain.
        server_pids = [server.pid, *gunicorn_worker_pids(server.pid)]
        for phase, seed in MEASURED_SEEDS.items():
            if phase == "cold":
                cache_empty()
            load_at_start = round(os.getloadavg()[0], 2)
            database_pids = postgres_backend_pids(args.database_url)
            cpu_before = (cpu_seconds(server_pids), cpu_seconds(database_pids))
            log(f"measuring {args.clients} clients for {args.duration:.0f} s, {phase} cache")
            records, start_at, _stop_at = run_load(
                port,
                mixes[phase],
                seed=seed,
                clients=args.clients,
                processes=args.client_processes,
                seconds=args.duration,
                think_time=args.think_time,
            )
            # A backend that connected during the run counts from zero (see cpu_used).
            database_pids += postgres_backend_pids(args.database_url)
            cpu_after = (cpu_seconds(server_pids), cpu_seconds(database_pids))
            summary = run_summary(
                with_cache_misses(records, seen), start_at=start_at, duration=args.duration
            )
            requests = max(1, summary["requests"])
            app_cpu_ms = cpu_used(cpu_before[0], cpu_after[0]) * 1000 / requests
            database_cpu_ms = cpu_used(cpu_before[1], cpu_after[1]) * 1000 / requests
            runs[phase] = {
                "load_average_1m_at_start": load_at_start,
                "load_average_1m_at_end": round(os.getloadavg()[0], 2),
                **summary,
                "server_cpu_ms_per_request": {
                    "gunicorn": round(app_cpu_ms, 2),
                    "postgresql": round(database_cpu_ms, 2),
                    "total": round(app_cpu_ms + database_cpu_ms, 2),
                },
            }
            log(
                f"{phase}: p50 {summary['p50_ms']} ms, p95 {summary['p95_ms']} ms, "
                f"misses {summary['cache_misses']['count']} of {summary['requests']}"
            )
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()

    result = {
        "benchmark": "directory_load",
        "machine": machine_info,
        "organizations": loaded,
        "server": {
            "command": " ".join(["gunicorn", *command[1:]]),
            "workers": args.workers,
            "threads": args.threads,
            "worker_class": "gthread" if args.threads > 1 else "sync",
            "db_conn_max_age": DB_CONN_MAX_AGE,
            "cache": args.cache_url or "per-process memory",
        },
        "load": {
            "clients": args.clients,
            "client_processes": args.client_processes,
            "think_time_s": args.think_time,
            "warmup_s": args.warmup,
            "duration_s_per_run": args.duration,
            "mix_seeds": {"warmup": WARMUP_SEED, **MEASURED_SEEDS},
        },
        "runs": runs,
        "target": {
            "p95_ms_at_most": TARGET_P95_MS,
            # Measured as specified only with closed-loop clients that do not pause.
            "met": {
                phase: run["errors"] == 0 and run["p95_ms"] <= TARGET_P95_MS
                for phase, run in runs.items()
            }
            if args.think_time == 0
            else None,
        },
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
