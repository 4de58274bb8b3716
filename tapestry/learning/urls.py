"""The training pages, under /learning/, one block per views module."""

from django.urls import URLPattern, URLResolver, path

from tapestry.learning.views import authoring, credentials

app_name = "learning"

urlpatterns: list[URLPattern | URLResolver] = []

# Certificates' public side (credentials, status list, verification): views/credentials.py
urlpatterns += [
    path("issuer/", credentials.issuer, name="issuer"),
    path("credentials/status/1/", credentials.status_list, name="status_list"),
    path("verify/<str:code>/", credentials.verify_code, name="verify_code"),
]

# Authoring: views/authoring.py
urlpatterns += [
    path("staff/courses/", authoring.authoring_list, name="authoring_list"),
    path("staff/courses/new/", authoring.authoring_new, name="authoring_new"),
    path("staff/courses/<int:course_id>/", authoring.authoring_course, name="authoring_course"),
    path(
        "staff/courses/<int:course_id>/publish/",
        authoring.authoring_publish,
        name="authoring_publish",
    ),
    path(
        "staff/courses/<int:course_id>/retire/", authoring.authoring_retire, name="authoring_retire"
    ),
    path(
        "staff/courses/<int:course_id>/evaluation/",
        authoring.authoring_evaluation,
        name="authoring_evaluation",
    ),
    path(
        "staff/courses/<int:course_id>/modules/",
        authoring.authoring_module_add,
        name="authoring_module_add",
    ),
    path(
        "staff/courses/<int:course_id>/modules/<int:module_id>/",
        authoring.authoring_module,
        name="authoring_module",
    ),
    path(
        "staff/courses/<int:course_id>/modules/<int:module_id>/lessons/new/",
        authoring.authoring_lesson_new,
        name="authoring_lesson_new",
    ),
    path(
        "staff/courses/<int:course_id>/lessons/<int:lesson_id>/",
        authoring.authoring_lesson,
        name="authoring_lesson",
    ),
    path(
        "staff/courses/<int:course_id>/modules/<int:module_id>/quizzes/new/",
        authoring.authoring_quiz_new,
        name="authoring_quiz_new",
    ),
    path(
        "staff/courses/<int:course_id>/quizzes/<int:quiz_id>/",
        authoring.authoring_quiz,
        name="authoring_quiz",
    ),
    path(
        "staff/courses/<int:course_id>/quizzes/<int:quiz_id>/questions/new/",
        authoring.authoring_question_new,
        name="authoring_question_new",
    ),
    path(
        "staff/courses/<int:course_id>/questions/<int:question_id>/",
        authoring.authoring_question,
        name="authoring_question",
    ),
    path("staff/requirements/", authoring.requirements, name="requirements"),
]
