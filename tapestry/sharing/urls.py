"""The resource-sharing pages, under /sharing/: each views module lists its own paths."""

from django.urls import URLPattern, URLResolver

from tapestry.sharing.views import holdings, money, requests

app_name = "sharing"

urlpatterns: list[URLPattern | URLResolver] = [
    *requests.urlpatterns,
    *holdings.urlpatterns,
    *money.urlpatterns,
]
