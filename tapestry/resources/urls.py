"""The resources pages, under /resources/: each views module lists its own paths."""

from django.urls import URLPattern

from tapestry.resources.views import case, public, staff

app_name = "resources"

urlpatterns: list[URLPattern] = [
    *staff.urlpatterns,
    *case.urlpatterns,
    *public.urlpatterns,
]
