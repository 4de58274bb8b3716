"""The training pages, under /learning/, one block per views module."""

from django.urls import URLPattern, URLResolver, path

from tapestry.learning.views import credentials
from tapestry.learning.views import credit as credit_views

app_name = "learning"

urlpatterns: list[URLPattern | URLResolver] = []

# Certificates' public side (credentials, status list, verification): views/credentials.py
urlpatterns += [
    path("issuer/", credentials.issuer, name="issuer"),
    path("credentials/status/1/", credentials.status_list, name="status_list"),
    path("verify/<str:code>/", credentials.verify_code, name="verify_code"),
]

# Continuing education (my CE ledger, CHIS progress, transcript): views/credit.py
urlpatterns += [
    path("credit/", credit_views.credit_page, name="credit"),
    path("credit/transcript.pdf", credit_views.transcript_pdf, name="transcript_pdf"),
]
