from django.apps import AppConfig


class FundingConfig(AppConfig):
    name = "tapestry.funding"
    label = "funding"
