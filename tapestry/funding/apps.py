from django.apps import AppConfig


class FundingConfig(AppConfig):
    name = "tapestry.funding"
    label = "funding"

    def ready(self) -> None:
        # accounts sits below funding: it learns of dashboard panels here.
        from tapestry.accounts.api import dashboard_panel_register
        from tapestry.funding.dashboard import applicant_panels, reviewer_panels, staff_panels

        dashboard_panel_register(applicant_panels)
        dashboard_panel_register(staff_panels)
        dashboard_panel_register(reviewer_panels)
