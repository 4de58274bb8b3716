from django.apps import AppConfig


class ResourcesConfig(AppConfig):
    name = "tapestry.resources"
    label = "resources"
