from django.apps import AppConfig


class SharingConfig(AppConfig):
    name = "tapestry.sharing"
    label = "sharing"

    def ready(self) -> None:
        # accounts sits below sharing: it learns of the dashboard panel here.
        from tapestry.accounts.api import dashboard_panel_register
        from tapestry.sharing.dashboard import liaison_panels

        dashboard_panel_register(liaison_panels)
