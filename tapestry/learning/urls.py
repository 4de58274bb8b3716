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

# Certificates: views/certificates.py
from tapestry.learning.views import certificates  # noqa: E402

urlpatterns += [
    path(
        "certificates/<int:certificate_id>/pdf/",
        certificates.certificate_pdf,
        name="certificate_pdf",
    ),
    path("certificates/<int:certificate_id>/badge.<str:fmt>", certificates.badge, name="badge"),
    path(
        "certificates/<int:certificate_id>/credential.jwt",
        certificates.credential,
        name="credential",
    ),
    path("verify/", certificates.verify, name="verify"),
    path(
        "staff/certificates/<int:certificate_id>/revoke/",
        certificates.certificate_revoke,
        name="certificate_revoke",
    ),
]
