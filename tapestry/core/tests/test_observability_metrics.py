"""Prometheus metrics at /metrics: who may read them, and what they count."""

import datetime
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
from django.apps import apps
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.management import call_command
from django.http import HttpRequest, HttpResponse
from django.tasks import task
from django.test import Client
from django.urls import include, path
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families
from pytest_django.fixtures import Settings

ROOT = Path(__file__).resolve().parents[3]
TOKEN = "scraper-token-" + "s" * 30
SCRAPER = {"Authorization": f"Bearer {TOKEN}"}

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@task()
def fails_on_purpose() -> None:
    raise RuntimeError("broken on purpose")


@task()
def waits_in_the_queue() -> None:
    """Never run here: it only waits."""


def raises(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("view broke")


urlpatterns = [path("", include("config.urls")), path("raises", raises, name="raises")]


def samples(client: Client) -> Samples:
    response = client.get("/metrics", headers=SCRAPER)
    assert response.status_code == 200
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def value(all_samples: Samples, name: str, **labels: str) -> float:
    return all_samples.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def token(settings: Settings) -> str:
    settings.TAPESTRY_METRICS_TOKEN = TOKEN
    return TOKEN


@pytest.mark.django_db
def test_the_scraper_with_the_token_reads_the_metrics(token: str, visitor: Client) -> None:
    response = visitor.get("/metrics", headers=SCRAPER)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    assert "no-cache" in response["Cache-Control"]
    assert b"# TYPE tapestry_http_requests_total counter" in response.content


@pytest.mark.django_db
@pytest.mark.parametrize(
    "authorization",
    ["", f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", f"Basic {TOKEN}", "Bearer", TOKEN],
)
def test_without_the_right_token_the_metrics_are_not_there(
    token: str, visitor: Client, authorization: str
) -> None:
    response = visitor.get("/metrics", headers={"Authorization": authorization})

    assert response.status_code == 404
    assert b"tapestry_" not in response.content


@pytest.mark.django_db
def test_with_no_token_configured_an_empty_bearer_opens_nothing(visitor: Client) -> None:
    response = visitor.get("/metrics", headers={"Authorization": "Bearer "})

    assert response.status_code == 404


@pytest.mark.django_db
def test_a_signed_in_person_who_is_not_staff_is_told_nothing_is_there(
    token: str, alice_client: Client
) -> None:
    response = alice_client.get("/metrics")

    assert response.status_code == 404


@pytest.mark.django_db
def test_a_staff_administrator_signed_in_with_a_second_factor_reads_the_metrics(
    admin_signed_in: Client,
) -> None:
    response = admin_signed_in.get("/metrics")

    assert response.status_code == 200
    assert b"tapestry_task_queue_depth" in response.content


@pytest.mark.django_db
def test_a_post_to_the_metrics_is_refused_and_without_the_token_not_even_that(
    token: str, visitor: Client
) -> None:
    browser = Client(enforce_csrf_checks=True)

    with_token = browser.post("/metrics", headers=SCRAPER)
    without = browser.post("/metrics")

    assert with_token.status_code == 405
    assert without.status_code == 404


@pytest.mark.urls(__name__)
@pytest.mark.django_db
def test_requests_are_counted_by_view_name_and_status_never_by_path(
    token: str, visitor: Client
) -> None:
    before = samples(visitor)

    visitor.get("/healthz")
    visitor.get("/healthz?probe=1")
    visitor.get("/no-such-page-made-up-by-a-crawler-7d1f")
    Client(raise_request_exception=False).get("/raises")
    after = samples(visitor)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("tapestry_http_requests_total", view="healthz", status="200") == 2
    assert delta("tapestry_http_requests_total", view="<unresolved>", status="404") == 1
    assert delta("tapestry_http_requests_total", view="raises", status="500") == 1
    assert delta("tapestry_http_request_duration_seconds_count", view="healthz") == 2
    assert delta("tapestry_http_request_duration_seconds_bucket", view="healthz", le="+Inf") == 2
    assert not any("made-up" in str(labels) for _, labels in after)


@pytest.mark.django_db
def test_failed_sign_ins_are_counted_without_saying_whose(
    token: str, visitor: Client, alice_liaison: AbstractBaseUser
) -> None:
    before = value(samples(visitor), "tapestry_login_failures_total")

    response = visitor.post(
        "/accounts/login/", {"login": "alice@example.org", "password": "not-her-password"}
    )
    visitor.post("/accounts/login/", {"login": "nobody@example.org", "password": "guess-123"})
    text = visitor.get("/metrics", headers=SCRAPER).content.decode()

    assert response.status_code == 200
    assert value(samples(visitor), "tapestry_login_failures_total") - before == 2
    assert "example.org" not in text


@pytest.mark.django_db(transaction=True)
def test_the_task_queue_depth_age_and_failures_come_from_the_database(
    token: str, database_task_backend: None, visitor: Client
) -> None:
    fails_on_purpose.enqueue()
    call_command(
        "db_worker", "--batch", "--no-startup-delay", stdout=io.StringIO(), stderr=io.StringIO()
    )
    enqueued = timezone.now().replace(microsecond=0) + datetime.timedelta(hours=1)
    with time_machine.travel(enqueued, tick=False):
        waits_in_the_queue.enqueue()
        waits_in_the_queue.enqueue()
        # Deferred to tomorrow: not due, so not waiting yet.
        waits_in_the_queue.using(run_after=enqueued + datetime.timedelta(days=1)).enqueue()

    with time_machine.travel(enqueued + datetime.timedelta(seconds=90), tick=False):
        scraped = samples(visitor)

    module = __name__
    assert value(scraped, "tapestry_task_queue_depth", queue="default") == 2
    assert value(scraped, "tapestry_task_queue_oldest_age_seconds", queue="default") == 90
    assert value(scraped, "tapestry_tasks_failed", task=f"{module}.fails_on_purpose") == 1
    assert value(scraped, "tapestry_tasks_running", queue="default") == 0


@pytest.mark.django_db
def test_an_empty_queue_reports_zero_depth_and_zero_age(token: str, visitor: Client) -> None:
    scraped = samples(visitor)

    assert value(scraped, "tapestry_task_queue_depth", queue="default") == 0
    assert value(scraped, "tapestry_task_queue_oldest_age_seconds", queue="default") == 0


@pytest.mark.django_db
def test_the_current_research_release_build_time_is_a_gauge(token: str, visitor: Client) -> None:
    # Research's models through the app registry: core's tests may not import a domain app.
    release = apps.get_model("research", "Release")
    release.objects.create(
        version="R2026-01", status="ready", source_path="x", finished_at=timezone.now(), seconds=7
    )
    release.objects.create(
        version="R2026-02",
        status="ready",
        source_path="x",
        finished_at=timezone.now(),
        seconds=42.5,
    )
    release.objects.create(version="R2026-03", status="failed", source_path="x")

    scraped = samples(visitor)

    assert value(scraped, "tapestry_research_release_build_seconds") == 42.5
    assert value(scraped, "tapestry_research_releases", status="ready") == 2
    assert value(scraped, "tapestry_research_releases", status="failed") == 1
    assert value(scraped, "tapestry_research_releases", status="building") == 0


SERVE_REDIRECTS = """
import sys, django
django.setup()
from django.test import Client
client = Client()
for _ in range(int(sys.argv[1])):
    assert client.get("/favicon.ico").status_code == 302
"""


@pytest.mark.django_db
def test_with_a_multiprocess_directory_a_scrape_adds_up_every_web_process(
    token: str, settings: Settings, visitor: Client, tmp_path: Path
) -> None:
    # Two web processes count their own requests into the shared directory...
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TAPESTRY_", "DJANGO_"))}
    env = {
        **clean,
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
    }
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", SERVE_REDIRECTS, count],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for count in ("2", "3")
    ]
    for process in processes:
        _, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, stderr
    settings.PROMETHEUS_MULTIPROC_DIR = str(tmp_path)

    # ...and a scrape of any one of them reads the sum.
    scraped = samples(visitor)

    redirect = "tapestry.core.views.favicon"
    assert len(list(tmp_path.glob("counter_*.db"))) == 2
    assert value(scraped, "tapestry_http_requests_total", view=redirect, status="302") == 5
    assert value(scraped, "tapestry_http_request_duration_seconds_count", view=redirect) == 5
