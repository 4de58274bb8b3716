"""Prometheus metrics: what each web process counts as it serves (requests, latency, failed
sign-ins), and what is read from the database when Prometheus scrapes (the task queue, failed
tasks, and whatever the domain apps register, such as the research release build time).

Several gunicorn workers each count their own requests. With `PROMETHEUS_MULTIPROC_DIR` set
(an empty directory, emptied at every start), prometheus_client keeps the counts in files
there and a scrape of any worker adds them all up; without it each process has its own.
"""

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Count, Min
from django.http import HttpRequest, HttpResponseBase
from django.utils import timezone
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

# A request that matched no URL (404s, static files, redirects before routing) counts under one
# name: raw paths as labels would let anyone create a new time series per made-up URL.
UNRESOLVED_VIEW = "<unresolved>"

# Not registered anywhere yet: each scrape builds its registry (see `metrics_exposition`).
REQUESTS = Counter(
    "tapestry_http_requests",
    "HTTP requests answered, by view name and status code.",
    ["view", "status"],
    registry=None,
)
REQUEST_SECONDS = Histogram(
    "tapestry_http_request_duration_seconds",
    "Time to answer an HTTP request, by view name.",
    ["view"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
    registry=None,
)
LOGIN_FAILURES = Counter(
    "tapestry_login_failures",
    "Failed sign-ins (Django's user_login_failed signal; allauth sends it).",
    registry=None,
)
_PROCESS_METRICS = (REQUESTS, REQUEST_SECONDS, LOGIN_FAILURES)


@dataclass(frozen=True)
class GaugeSample:
    """One value a domain app reports at scrape time (plain types: no ORM, no personal data
    in labels)."""

    name: str
    documentation: str
    value: float
    labels: dict[str, str] = field(default_factory=dict)


GaugeSource = Callable[[], Iterable[GaugeSample]]
_gauge_sources: list[GaugeSource] = []


def metrics_gauges_register(source: GaugeSource) -> None:
    """Add a function called at every scrape that returns gauge samples."""
    if source not in _gauge_sources:
        _gauge_sources.append(source)


def view_name(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return UNRESOLVED_VIEW
    # The URL name ("network:directory"), or the view's dotted path for an unnamed route:
    # both are fixed by the code, never by what the client sent.
    return match.view_name or UNRESOLVED_VIEW


class RequestMetricsMiddleware:
    """Counts each response and times it by view. Near the top of MIDDLEWARE, so the time
    covers the other middleware too."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        started = time.perf_counter()
        response = self.get_response(request)
        view = view_name(request)
        REQUEST_SECONDS.labels(view=view).observe(time.perf_counter() - started)
        REQUESTS.labels(view=view, status=str(response.status_code)).inc()
        return response


def login_failed_count(sender: Any, **kwargs: Any) -> None:
    """user_login_failed receiver. The credentials it carries are never looked at."""
    LOGIN_FAILURES.inc()


def _task_gauges() -> Iterator[Metric]:
    # Imported here: core's models load after the app registry, this module before it.
    from django_tasks_db.models import DBTaskResult, get_date_max

    now = timezone.now()
    depth = GaugeMetricFamily(
        "tapestry_task_queue_depth",
        "Tasks due and waiting for a worker, by queue.",
        labels=["queue"],
    )
    age = GaugeMetricFamily(
        "tapestry_task_queue_oldest_age_seconds",
        "How long the longest-waiting due task has waited, by queue (0 when none waits).",
        labels=["queue"],
    )
    running = GaugeMetricFamily(
        "tapestry_tasks_running", "Tasks a worker is running, by queue.", labels=["queue"]
    )
    failed = GaugeMetricFamily(
        "tapestry_tasks_failed",
        "Failed task results kept in the database, by task.",
        labels=["task"],
    )
    ready = DBTaskResult.objects.ready()
    queues = {
        row["queue_name"]: row for row in ready.values("queue_name").annotate(waiting=Count("id"))
    }
    # A deferred task waits from its run_after, not from when it was enqueued.
    oldest_deferred = dict(
        ready.exclude(run_after=get_date_max())
        .values("queue_name")
        .annotate(oldest=Min("run_after"))
        .values_list("queue_name", "oldest")
    )
    immediate_oldest = dict(
        ready.filter(run_after=get_date_max())
        .values("queue_name")
        .annotate(oldest=Min("enqueued_at"))
        .values_list("queue_name", "oldest")
    )
    for queue in sorted(set(settings.TASKS["default"].get("QUEUES", ["default"])) | set(queues)):
        row = queues.get(queue)
        depth.add_metric([queue], row["waiting"] if row else 0)
        starts = [s for s in (oldest_deferred.get(queue), immediate_oldest.get(queue)) if s]
        age.add_metric([queue], max((now - min(starts)).total_seconds(), 0.0) if starts else 0.0)
    for queue, count in (
        DBTaskResult.objects.running()
        .values("queue_name")
        .annotate(count=Count("id"))
        .values_list("queue_name", "count")
    ):
        running.add_metric([queue], count)
    for task_path, count in (
        DBTaskResult.objects.failed()
        .values("task_path")
        .annotate(count=Count("id"))
        .order_by("task_path")
        .values_list("task_path", "count")
    ):
        failed.add_metric([task_path], count)
    yield from (depth, age, running, failed)


class DatabaseCollector(Collector):
    """Gauges read at scrape time: the task queue and the registered domain sources."""

    def collect(self) -> Iterator[Metric]:
        yield from _task_gauges()
        families: dict[str, GaugeMetricFamily] = {}
        for source in _gauge_sources:
            for sample in source():
                family = families.get(sample.name)
                if family is None:
                    family = families[sample.name] = GaugeMetricFamily(
                        sample.name, sample.documentation, labels=sorted(sample.labels)
                    )
                family.add_metric(
                    [sample.labels[key] for key in sorted(sample.labels)], sample.value
                )
        yield from families.values()


def metrics_exposition() -> bytes:
    """The text Prometheus reads: every process's counts, and the database's gauges."""
    registry = CollectorRegistry(auto_describe=False)
    if settings.PROMETHEUS_MULTIPROC_DIR:
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry, path=settings.PROMETHEUS_MULTIPROC_DIR)
    else:
        for metric in _PROCESS_METRICS:
            registry.register(metric)
    registry.register(DatabaseCollector())
    return generate_latest(registry)
