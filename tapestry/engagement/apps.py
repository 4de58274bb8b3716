from django.apps import AppConfig


class EngagementConfig(AppConfig):
    name = "tapestry.engagement"
    label = "engagement"
