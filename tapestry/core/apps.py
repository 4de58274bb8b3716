from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "tapestry.core"
    label = "core"
