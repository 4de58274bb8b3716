"""Mounted at the site root (config/urls.py): the public Data Browser under /data/, the
program's diversity dashboard and the researcher workbench under /research/.

Each area appends its own block of routes below (access, cohorts, datasets)."""

from django.urls import path

from tapestry.research.views import (
    access,
    browser,
    cohorts,
    datasets,
    workspaces,
)

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

# Researcher access, workspaces and the research log (views/access.py, views/workspaces.py).
urlpatterns += [
    path("research/", access.workbench_home, name="workbench"),
    path("research/access/", access.access_page, name="access"),
    path("research/access/identity/", access.identity_request, name="identity_request"),
    path("research/conduct/", access.conduct, name="conduct"),
    path("research/projects/", access.projects, name="projects"),
    path("research/log/", access.my_log, name="log"),
    path("research/workspaces/new/", workspaces.workspace_new, name="workspace_new"),
    path("research/workspaces/<uuid:public_id>/", workspaces.workspace_detail, name="workspace"),
    path(
        "research/workspaces/<uuid:public_id>/edit/",
        workspaces.workspace_edit,
        name="workspace_edit",
    ),
    path(
        "research/workspaces/<uuid:public_id>/members/",
        workspaces.workspace_member_add,
        name="workspace_member_add",
    ),
    path(
        "research/workspaces/<uuid:public_id>/archive/",
        workspaces.workspace_archive,
        name="workspace_archive",
    ),
    path("research/staff/researchers/", access.staff_researchers, name="staff_researchers"),
    path(
        "research/staff/researchers/<int:user_id>/",
        access.staff_researcher,
        name="staff_researcher",
    ),
    path(
        "research/staff/researchers/<int:user_id>/identity/",
        access.staff_identity_attest,
        name="staff_identity_attest",
    ),
    path(
        "research/staff/researchers/<int:user_id>/identity/withdraw/",
        access.staff_identity_withdraw,
        name="staff_identity_withdraw",
    ),
    path(
        "research/staff/researchers/<int:user_id>/bypasses/",
        access.staff_bypass_grant,
        name="staff_bypass_grant",
    ),
    path(
        "research/staff/researchers/<int:user_id>/bypasses/<int:bypass_id>/withdraw/",
        access.staff_bypass_withdraw,
        name="staff_bypass_withdraw",
    ),
    path("research/staff/log/", access.staff_log, name="staff_log"),
    path("research/staff/log.csv", access.staff_log_csv, name="staff_log_csv"),
]

# Datasets (views/datasets.py)

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

# The cohort builder (views/cohorts.py)

urlpatterns += [
    path(
        "research/workspaces/<uuid:workspace_id>/cohorts/new/",
        cohorts.cohort_new,
        name="cohort_new",
    ),
    path(
        "research/workspaces/<uuid:workspace_id>/cohorts/import/",
        cohorts.cohort_import,
        name="cohort_import",
    ),
    path(
        "research/workspaces/<uuid:workspace_id>/cohorts/export/",
        cohorts.cohort_export,
        name="cohort_export",
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
