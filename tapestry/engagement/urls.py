"""The community engagement pages, under /engagement/, one block per views module."""

from django.urls import URLPattern, URLResolver, path

app_name = "engagement"

urlpatterns: list[URLPattern | URLResolver] = []

# --- Program kits ---
from tapestry.engagement.views import kits as kit_views  # noqa: E402

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
