"""The training pages, under /learning/, one block per views module."""

from django.urls import URLPattern, URLResolver, path

from tapestry.learning.views import compliance, credentials

app_name = "learning"

urlpatterns: list[URLPattern | URLResolver] = []

# Certificates' public side (credentials, status list, verification): views/credentials.py
urlpatterns += [
    path("issuer/", credentials.issuer, name="issuer"),
    path("credentials/status/1/", credentials.status_list, name="status_list"),
    path("verify/<str:code>/", credentials.verify_code, name="verify_code"),
]

# Compliance for staff: views/compliance.py
urlpatterns += [
    path("staff/", compliance.staff_home, name="staff_home"),
    path("staff/people/<int:user_id>/", compliance.person_compliance, name="person_compliance"),
    path("staff/people/<int:user_id>/bypass/", compliance.bypass_new, name="bypass_new"),
    path(
        "staff/people/<int:user_id>/bypasses/<int:bypass_id>/withdraw/",
        compliance.bypass_withdraw,
        name="bypass_withdraw",
    ),
    path("staff/audit/", compliance.audit, name="audit"),
    path("staff/reports/", compliance.reports_page, name="reports"),
    path("staff/reports/compliance.csv", compliance.reports_csv, name="reports_csv"),
]
