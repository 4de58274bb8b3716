from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "tapestry.surveys"
    label = "surveys"

    def ready(self) -> None:
        # accounts may not import surveys, so the dashboard learns of the staff panel here.
        from tapestry.accounts.api import dashboard_panel_register
        from tapestry.surveys.dashboard import authoring_panels

        dashboard_panel_register(authoring_panels)
