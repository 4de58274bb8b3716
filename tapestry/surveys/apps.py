from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "tapestry.surveys"
    label = "surveys"
