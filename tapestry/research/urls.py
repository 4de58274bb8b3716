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

# The cohort builder (views/cohorts.py)
from tapestry.research.views import cohorts  # noqa: E402

urlpatterns += [
    path(
        "research/workspaces/<uuid:workspace_id>/cohorts/new/",
        cohorts.cohort_new,
        name="cohort_new",
    ),
    path(
        "research/workspaces/<uuid:workspace_id>/cohorts/<int:cohort_id>/",
        cohorts.cohort_edit,
        name="cohort_edit",
    ),
    path(
        "research/workspaces/<uuid:workspace_id>/cohorts/<int:cohort_id>/rename/",
        cohorts.cohort_rename,
        name="cohort_rename",
    ),
    path(
        "research/workspaces/<uuid:workspace_id>/cohorts/<int:cohort_id>/delete/",
        cohorts.cohort_delete,
        name="cohort_delete",
    ),
]
