"""The surveys pages, under /surveys/. Each block belongs to one views module."""

from django.urls import URLPattern, URLResolver, path

app_name = "surveys"

urlpatterns: list[URLPattern | URLResolver] = []

# Results
from tapestry.surveys.views import results as results_views  # noqa: E402

urlpatterns += [
    path(
        "staff/<slug:slug>/results/",
        results_views.instrument_results,
        name="instrument_results",
    ),
]
