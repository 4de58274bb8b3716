"""Mounted at the site root (config/urls.py): the public Data Browser under /data/ and the
program's diversity dashboard under /research/."""

from django.urls import path

from tapestry.research import views

app_name = "research"

urlpatterns = [
    path("data/", views.browser_home, name="browser_home"),
    path("data/concepts/", views.concept_search, name="concept_search"),
    path("data/concepts/<int:concept_id>/", views.concept_detail, name="concept_detail"),
    path("data/surveys/", views.survey_index, name="survey_index"),
    path("data/surveys/<slug:question_code>/", views.survey_detail, name="survey_detail"),
    path("research/diversity/", views.diversity_dashboard, name="diversity"),
    path("research/diversity.csv", views.diversity_export, name="diversity_export"),
]
