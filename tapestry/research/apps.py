from django.apps import AppConfig


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
        from tapestry.research.observability import (
            release_backup_roots,
            release_gauges,
            release_readiness,
        )
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
