from django.apps import AppConfig


class NetworkConfig(AppConfig):
    name = "tapestry.network"
    label = "network"
