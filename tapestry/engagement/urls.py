"""The community engagement pages, under /engagement/, one block per views module."""

from django.urls import URLPattern, URLResolver, path

from tapestry.engagement.views import events as event_views
from tapestry.engagement.views import events_staff as event_staff_views
from tapestry.engagement.views import kits as kit_views
from tapestry.engagement.views import reports as report_views
from tapestry.engagement.views import requests as request_views

app_name = "engagement"

urlpatterns: list[URLPattern | URLResolver] = []

# --- Events ---

urlpatterns += [
    path("events/", event_views.event_finder, name="event_finder"),
    path("events/<int:event_id>/", event_views.event_detail, name="event_detail"),
    path("events/<int:event_id>/register/", event_views.event_register, name="event_register"),
    path("events/<int:event_id>/event.ics", event_views.event_ics, name="event_ics"),
    path(
        "events/registration/confirm/<str:token>/",
        event_views.registration_confirm,
        name="registration_confirm",
    ),
    path(
        "events/registration/cancel/<str:token>/",
        event_views.registration_cancel,
        name="registration_cancel",
    ),
    path(
        "events/feeds/organization/<int:organization_id>.ics",
        event_views.organization_feed,
        name="organization_feed",
    ),
    path(
        "events/feeds/region/<slug:region_code>.ics",
        event_views.region_feed,
        name="region_feed",
    ),
    path("events/mine/", event_staff_views.my_events, name="my_events"),
    path("events/new/", event_staff_views.event_new, name="event_new"),
    path("events/<int:event_id>/edit/", event_staff_views.event_edit, name="event_edit"),
    path("events/<int:event_id>/publish/", event_staff_views.event_publish, name="event_publish"),
    path("events/<int:event_id>/cancel/", event_staff_views.event_cancel, name="event_cancel"),
    path(
        "events/<int:event_id>/registrants/",
        event_staff_views.event_registrants,
        name="event_registrants",
    ),
    path(
        "events/<int:event_id>/check-in/", event_staff_views.event_check_in, name="event_check_in"
    ),
    path(
        "events/<int:event_id>/check-in/<int:registration_id>/",
        event_staff_views.registration_check_in,
        name="registration_check_in",
    ),
    path(
        "events/<int:event_id>/evaluation/",
        event_staff_views.event_evaluation,
        name="event_evaluation",
    ),
]


# --- Program kits ---

urlpatterns += [
    path("kits/", kit_views.catalog, name="kits_catalog"),
    path("kits/mine/", kit_views.mine, name="kits_mine"),
    path("kits/mine/<int:reservation_id>/", kit_views.mine, name="kits_mine_reservation"),
    path("kits/reservations/<int:reservation_id>/cancel/", kit_views.cancel, name="kits_cancel"),
    path("kits/desk/", kit_views.desk, name="kits_desk"),
    path(
        "kits/desk/<int:reservation_id>/",
        kit_views.desk_reservation,
        name="kits_desk_reservation",
    ),
    path("kits/desk/kits/<int:kit_id>/restock/", kit_views.restock, name="kits_restock"),
    path("kits/photos/<int:photo_id>/", kit_views.photo, name="kits_photo"),
    path("kits/<slug:slug>/", kit_views.kit_page, name="kits_kit"),
    path("kits/<slug:slug>/reserve/", kit_views.reserve, name="kits_reserve"),
]


# --- Activity reports ---

urlpatterns += [
    path("reports/", report_views.my_reports, name="my_reports"),
    path("reports/new/", report_views.report_new, name="report_new"),
    path("reports/template.csv", report_views.report_csv_template, name="report_csv_template"),
    path("reports/review/", report_views.review_queue, name="report_review_queue"),
    path("reports/<int:report_id>/", report_views.report_detail, name="report_detail"),
    path("reports/<int:report_id>/edit/", report_views.report_edit, name="report_edit"),
    path("reports/<int:report_id>/upload/", report_views.report_upload, name="report_upload"),
    path("reports/<int:report_id>/submit/", report_views.report_submit, name="report_submit"),
    path("reports/<int:report_id>/review/", report_views.report_review, name="report_review"),
]

# --- Engagement requests ---

urlpatterns += [
    path("requests/", request_views.request_list, name="request_list"),
    path("requests/new/", request_views.request_new, name="request_new"),
    path("requests/<int:request_id>/", request_views.request_detail, name="request_detail"),
    path(
        "requests/<int:request_id>/message/", request_views.request_message, name="request_message"
    ),
    path("requests/<int:request_id>/status/", request_views.request_status, name="request_status"),
    path(
        "requests/<int:request_id>/milestone/",
        request_views.request_milestone,
        name="request_milestone",
    ),
    path(
        "requests/<int:request_id>/convert/", request_views.request_convert, name="request_convert"
    ),
]

# --- Outreach dashboard ---

from tapestry.engagement.views import outreach as outreach_views  # noqa: E402

urlpatterns += [
    path("outreach/", outreach_views.outreach_dashboard, name="outreach_dashboard"),
    path("outreach/outreach.csv", outreach_views.outreach_csv, name="outreach_csv"),
]
