"""The surveys pages, under /surveys/. Each block belongs to one views module."""

from django.urls import URLPattern, URLResolver, path  # noqa: F401 - the blocks below add paths

app_name = "surveys"

urlpatterns: list[URLPattern | URLResolver] = []
