from django.urls import path

from tapestry.network import views

app_name = "network"

urlpatterns = [
    path("", views.directory, name="directory"),
    path("export.csv", views.directory_export, name="directory_export"),
    path(
        "organizations/<int:organization_id>/",
        views.organization_detail,
        name="organization_detail",
    ),
    path(
        "organizations/<int:organization_id>/review/",
        views.organization_review,
        name="organization_review",
    ),
    path("regions/", views.region_map, name="region_map"),
    path("join/", views.join, name="join"),
    path("my-applications/", views.my_applications, name="my_applications"),
    path(
        "liaison-email/confirm/<str:token>/",
        views.liaison_email_confirm_view,
        name="liaison_email_confirm",
    ),
    path("liaison-email/resend/", views.liaison_email_resend, name="liaison_email_resend"),
    path("specialist/", views.review_queue, name="review_queue"),
    path(
        "specialist/applications/<int:application_id>/",
        views.application_decide,
        name="application_decide",
    ),
]
