from django.apps import AppConfig


class SharingConfig(AppConfig):
    name = "tapestry.sharing"
    label = "sharing"
