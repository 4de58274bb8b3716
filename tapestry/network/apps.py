from django.apps import AppConfig


class NetworkConfig(AppConfig):
    name = "tapestry.network"
    label = "network"

    def ready(self) -> None:
        # accounts may not import network, so the dashboard learns of the review panel here.
        from tapestry.accounts.api import dashboard_panel_register
        from tapestry.network.dashboard import review_due_panels

        dashboard_panel_register(review_due_panels)
