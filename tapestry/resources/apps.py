from django.apps import AppConfig


class ResourcesConfig(AppConfig):
    name = "tapestry.resources"
    label = "resources"

    def ready(self) -> None:
        # accounts sits below resources: it learns of the "My Tapestry" panel here.
        from tapestry.accounts.api import dashboard_panel_register
        from tapestry.resources.dashboard import writer_panels

        dashboard_panel_register(writer_panels)
