"""The community engagement pages, under /engagement/, one block per views module."""

from django.urls import URLPattern, URLResolver

app_name = "engagement"

urlpatterns: list[URLPattern | URLResolver] = []
