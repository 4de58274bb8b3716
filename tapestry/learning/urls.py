"""The training pages, under /learning/, one block per views module."""

from django.urls import URLPattern, URLResolver, path

from tapestry.learning.views import credentials

app_name = "learning"

urlpatterns: list[URLPattern | URLResolver] = []

# Certificates' public side (credentials, status list, verification): views/credentials.py
urlpatterns += [
    path("issuer/", credentials.issuer, name="issuer"),
    path("credentials/status/1/", credentials.status_list, name="status_list"),
    path("verify/<str:code>/", credentials.verify_code, name="verify_code"),
]

# Archive: views/archive.py
from tapestry.learning.views import archive as archive_views  # noqa: E402

urlpatterns += [
    path("staff/archive/", archive_views.archive, name="archive"),
    path("staff/archive/download/", archive_views.archive_download, name="archive_download"),
]
