from django.apps import AppConfig


class LearningConfig(AppConfig):
    name = "tapestry.learning"
    label = "learning"

    def ready(self) -> None:
        # accounts sits below learning: it learns of role grants and dashboard panels here.
        from tapestry.accounts.api import dashboard_panel_register, role_granted_register
        from tapestry.learning.dashboard import learning_panels
        from tapestry.learning.services import requirements_assign

        dashboard_panel_register(learning_panels)
        role_granted_register(requirements_assign)
