"""What research reports to core's readiness check, metrics and backups (registered in
apps.py)."""

from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.db.models import Count

from tapestry.core.api import CheckResult, GaugeSample
from tapestry.research.models import Release
from tapestry.research.selectors import release_current


def release_readiness() -> CheckResult:
    """Ready when a release is served and its warehouse file is there to query."""
    release = release_current()
    if release is None:
        return {"status": "error", "detail": "no ready research release"}
    if not release.warehouse_path or not Path(release.warehouse_path).is_file():
        return {
            "status": "error",
            "detail": f"release {release.version}: the warehouse file is missing",
        }
    return {"status": "ok", "detail": f"release {release.version}"}


def release_gauges() -> Iterator[GaugeSample]:
    """The last ready build's time, and how many builds stand in each state."""
    release = release_current()
    if release is not None and release.seconds is not None:
        yield GaugeSample(
            name="tapestry_research_release_build_seconds",
            documentation="How long the current research release took to build.",
            value=release.seconds,
        )
    counts = dict(
        Release.objects.order_by()
        .values("status")
        .annotate(count=Count("id"))
        .values_list("status", "count")
    )
    for status in Release.Status.values:
        yield GaugeSample(
            name="tapestry_research_releases",
            documentation="Research releases by state (building, ready, failed).",
            value=counts.get(status, 0),
            labels={"status": status},
        )


def release_backup_roots() -> dict[str, Path]:
    """The current release's files for `manage.py backup`: its folder (warehouse.duckdb,
    release.json, the dataset key tables) and the generated Parquet its warehouse's views read.
    Earlier releases are not served, so they are not backed up."""
    release = release_current()
    if release is None or not release.warehouse_path:
        return {}
    # A source given as a relative path was relative to the project, where `make demo` runs.
    source = Path(settings.BASE_DIR) / release.source_path
    return {
        f"{release.version}/release": Path(release.warehouse_path).parent,
        f"{release.version}/source": source,
    }
