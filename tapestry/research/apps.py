from pathlib import Path

from django.apps import AppConfig
from django.conf import settings


def release_backup_roots() -> dict[str, Path]:
    """The current release's files for `manage.py backup`: its folder (warehouse.duckdb,
    release.json, the dataset key tables) and the generated Parquet its warehouse's views read.
    Earlier releases are not served, so they are not backed up."""
    from tapestry.research.selectors import release_current

    release = release_current()
    if release is None or not release.warehouse_path:
        return {}
    # A source given as a relative path was relative to the project, where `make demo` runs.
    source = Path(settings.BASE_DIR) / release.source_path
    return {
        f"{release.version}/release": Path(release.warehouse_path).parent,
        f"{release.version}/source": source,
    }


class ResearchConfig(AppConfig):
    name = "tapestry.research"
    label = "research"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from tapestry.accounts.api import dashboard_panel_register
        from tapestry.core.api import (
            backup_part_register,
            metrics_gauges_register,
            readiness_check_register,
            stale_work_register,
        )
        from tapestry.research.dashboard import workbench_panels
        from tapestry.research.observability import release_gauges, release_readiness
        from tapestry.research.services import releases_abandoned_fail, researcher_signed_in

        dashboard_panel_register(workbench_panels)
        # /readyz needs the current release and its warehouse; /metrics shows its build time.
        readiness_check_register("release", release_readiness)
        metrics_gauges_register(release_gauges)
        backup_part_register(name="research", roots=release_backup_roots)
        # A release build runs outside the task queue; recovery asks research about it.
        stale_work_register(name="research-releases", check=releases_abandoned_fail)

        # The research log records each researcher's sign-in (the audit the issue asks for);
        # a receiver, because signing in belongs to allauth, not to a service of ours.
        user_logged_in.connect(researcher_signed_in, dispatch_uid="research_log_sign_in")
