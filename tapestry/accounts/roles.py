from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """Roles are Django groups with these names; a person may hold several."""

    LIAISON = "liaison", _("Library liaison")
    ENGAGEMENT_SPECIALIST = "engagement_specialist", _("Engagement specialist")
    REVIEWER = "reviewer", _("Reviewer")
    PROGRAM_STAFF = "program_staff", _("Program staff")
    RESEARCHER = "researcher", _("Researcher")
    HEALTH_CARE_PROVIDER = "health_care_provider", _("Health-care provider")
    COMMUNITY_PARTNER = "community_partner", _("Community partner")
    CONSORTIUM_STAFF = "consortium_staff", _("Consortium staff")
    ADMINISTRATOR = "administrator", _("Administrator")
