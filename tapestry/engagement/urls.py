"""The community engagement pages, under /engagement/, one block per views module."""

from django.urls import URLPattern, URLResolver, path

from tapestry.engagement.views import events as event_views
from tapestry.engagement.views import events_staff as event_staff_views
from tapestry.engagement.views import kits as kit_views

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
