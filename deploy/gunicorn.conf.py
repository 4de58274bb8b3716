"""Gunicorn for Tapestry in production (docs/operations.md): `gunicorn -c deploy/gunicorn.conf.py
config.wsgi`. Every figure can be changed through the environment; the defaults suit a web node
with a few cores behind a TLS-terminating proxy or load balancer.

Threads, not only processes: most of a request's time is spent waiting on PostgreSQL, DuckDB or
Redis, and a thread waiting costs far less memory than a process. Each thread keeps its own
database connection for TAPESTRY_DB_CONN_MAX_AGE seconds, so a node holds at most
workers x threads connections: size PostgreSQL's max_connections (or PgBouncer) for that.
"""

import multiprocessing
import os

bind = os.environ.get("TAPESTRY_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("TAPESTRY_WEB_WORKERS", str(multiprocessing.cpu_count() * 2)))
worker_class = "gthread"
threads = int(os.environ.get("TAPESTRY_WEB_THREADS", "4"))
# A request running longer than this is cut off and its worker replaced; the slowest pages
# (a cohort count on a million participants, a compliance report) take a few seconds.
timeout = int(os.environ.get("TAPESTRY_WEB_TIMEOUT", "60"))
# On SIGTERM, or SIGHUP (graceful reload), workers finish the requests they hold for this long.
graceful_timeout = int(os.environ.get("TAPESTRY_WEB_GRACEFUL_TIMEOUT", "30"))
keepalive = 5
# Workers are replaced after so many requests (staggered), so slow leaks never pile up. Each
# replacement is a cold start (URLs, templates, the ZIP table: 1-2 s of CPU) that requests queue
# behind; at 2,000 the load test saw one every 60-100 s set the p95 (benchmarks/README.md).
max_requests = int(os.environ.get("TAPESTRY_WEB_MAX_REQUESTS", "20000"))
max_requests_jitter = max_requests // 10
# The proxy in front says whether the request came over HTTPS (TAPESTRY_BEHIND_TLS_PROXY).
forwarded_allow_ips = os.environ.get("TAPESTRY_FORWARDED_ALLOW_IPS", "127.0.0.1")
# Heartbeat files in memory, not on a disk that may stall.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
# Tapestry logs every request itself, with its request id; gunicorn's access log is optional.
accesslog = os.environ.get("TAPESTRY_WEB_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("TAPESTRY_LOG_LEVEL", "info").lower()
proc_name = "tapestry-web"
# systemd and the operator send signals (HUP to reload, TERM to stop); gunicorn 27's control
# socket would be one more way in, at a path every instance on the host shares.
control_socket_disable = True


def child_exit(server: object, worker: object) -> None:
    """A worker that stopped takes its live metrics with it (Prometheus multiprocess mode)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[attr-defined]
