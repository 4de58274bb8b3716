"""The surveys pages, under /surveys/. Each block belongs to one views module."""

from django.urls import URLPattern, URLResolver, path

app_name = "surveys"

urlpatterns: list[URLPattern | URLResolver] = []

# Interchange (REDCap files, staff): views/interchange.py
from tapestry.surveys.views import interchange  # noqa: E402

urlpatterns += [
    path("staff/import/", interchange.redcap_import, name="redcap_import"),
    path(
        "staff/<slug:slug>/redcap-dictionary.csv",
        interchange.redcap_dictionary,
        name="redcap_dictionary",
    ),
    path("staff/<slug:slug>/redcap-records.csv", interchange.redcap_records, name="redcap_records"),
]
