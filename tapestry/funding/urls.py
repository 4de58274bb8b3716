"""The funding pages, under /funding/: each views module lists its own paths."""

from django.urls import URLPattern

from tapestry.funding.views import applicant, awards, review, staff

app_name = "funding"

urlpatterns: list[URLPattern] = [
    *applicant.urlpatterns,
    *staff.urlpatterns,
    *review.urlpatterns,
    *awards.urlpatterns,
]
