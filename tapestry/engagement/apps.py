from django.apps import AppConfig


class EngagementConfig(AppConfig):
    name = "tapestry.engagement"
    label = "engagement"

    def ready(self) -> None:
        # accounts sits below engagement: it learns of dashboard panels here.
        from tapestry.accounts.api import dashboard_panel_register

        # --- Events ---
        from tapestry.engagement.event_dashboard import events_panels

        dashboard_panel_register(events_panels)
        # --- Program kits ---
        from tapestry.engagement.dashboard import kit_panels

        dashboard_panel_register(kit_panels)
        # --- Outreach dashboard ---
        from tapestry.engagement.dashboard import outreach_panels

        dashboard_panel_register(outreach_panels)
