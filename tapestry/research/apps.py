from django.apps import AppConfig


class ResearchConfig(AppConfig):
    name = "tapestry.research"
    label = "research"
