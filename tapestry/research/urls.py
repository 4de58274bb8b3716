"""Mounted at the site root (config/urls.py): the public Data Browser under /data/, the
program's diversity dashboard and the researcher workbench under /research/.

Each area appends its own block of routes below (access, cohorts, datasets)."""

from django.urls import path

from tapestry.research.views import browser

app_name = "research"

urlpatterns = [
    path("data/", browser.browser_home, name="browser_home"),
    path("data/concepts/", browser.concept_search, name="concept_search"),
    path("data/concepts/<int:concept_id>/", browser.concept_detail, name="concept_detail"),
    path("data/surveys/", browser.survey_index, name="survey_index"),
    path("data/surveys/<slug:question_code>/", browser.survey_detail, name="survey_detail"),
    path("research/diversity/", browser.diversity_dashboard, name="diversity"),
    path("research/diversity.csv", browser.diversity_export, name="diversity_export"),
]

# Datasets (views/datasets.py)
from tapestry.research.views import datasets  # noqa: E402

urlpatterns += [
    path(
        "research/workspaces/<uuid:public_id>/datasets/new/",
        datasets.dataset_new,
        name="dataset_new",
    ),
    path(
        "research/workspaces/<uuid:public_id>/datasets/concepts/",
        datasets.dataset_concepts,
        name="dataset_concepts",
    ),
    path(
        "research/workspaces/<uuid:public_id>/datasets/concept/",
        datasets.dataset_concept,
        name="dataset_concept",
    ),
    path(
        "research/workspaces/<uuid:public_id>/datasets/<int:dataset_id>/",
        datasets.dataset_detail,
        name="dataset_detail",
    ),
    path(
        "research/workspaces/<uuid:public_id>/datasets/<int:dataset_id>/status/",
        datasets.dataset_status,
        name="dataset_status",
    ),
    path(
        "research/workspaces/<uuid:public_id>/datasets/<int:dataset_id>/preview/",
        datasets.dataset_preview,
        name="dataset_preview",
    ),
    path(
        "research/workspaces/<uuid:public_id>/datasets/<int:dataset_id>/download/",
        datasets.dataset_download,
        name="dataset_download",
    ),
]
