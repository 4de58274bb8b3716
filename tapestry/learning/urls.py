"""The training pages, under /learning/, one block per views module."""

from django.urls import URLPattern, URLResolver, path

from tapestry.learning.views import archive as archive_views
from tapestry.learning.views import authoring, certificates, compliance, credentials, learner
from tapestry.learning.views import credit as credit_views

app_name = "learning"

urlpatterns: list[URLPattern | URLResolver] = []

# Certificates' public side (credentials, status list, verification): views/credentials.py
urlpatterns += [
    path("issuer/", credentials.issuer, name="issuer"),
    path("credentials/status/1/", credentials.status_list, name="status_list"),
    path("verify/<str:code>/", credentials.verify_code, name="verify_code"),
]

# Certificates: views/certificates.py
urlpatterns += [
    path(
        "certificates/<int:certificate_id>/pdf/",
        certificates.certificate_pdf,
        name="certificate_pdf",
    ),
    path("certificates/<int:certificate_id>/badge.<str:fmt>", certificates.badge, name="badge"),
    path(
        "certificates/<int:certificate_id>/credential.jwt",
        certificates.credential,
        name="credential",
    ),
    path("verify/", certificates.verify, name="verify"),
    path(
        "staff/certificates/<int:certificate_id>/revoke/",
        certificates.certificate_revoke,
        name="certificate_revoke",
    ),
]

# Learner pages (catalog, course, lessons, quizzes, my learning): views/learner.py
urlpatterns += [
    path("", learner.catalog, name="catalog"),
    path("mine/", learner.mine, name="mine"),
    path("profile/", learner.profile, name="profile"),
    path("courses/<slug:slug>/", learner.course, name="course"),
    path("courses/<slug:slug>/enroll/", learner.enroll, name="enroll"),
    path("courses/<slug:slug>/renew/", learner.renew, name="renew"),
    path("courses/<slug:slug>/lessons/<int:lesson_id>/", learner.lesson, name="lesson"),
    path(
        "courses/<slug:slug>/lessons/<int:lesson_id>/file/",
        learner.lesson_file,
        name="lesson_file",
    ),
    path("courses/<slug:slug>/quizzes/<int:quiz_id>/", learner.quiz, name="quiz"),
    path("attempts/<int:attempt_id>/", learner.attempt_result, name="attempt_result"),
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

# Continuing education (my CE ledger, CHIS progress, transcript): views/credit.py
urlpatterns += [
    path("credit/", credit_views.credit_page, name="credit"),
    path("credit/transcript.pdf", credit_views.transcript_pdf, name="transcript_pdf"),
]

# Compliance for staff: views/compliance.py
urlpatterns += [
    path("staff/", compliance.staff_home, name="staff_home"),
    path("staff/people/<int:user_id>/", compliance.person_compliance, name="person_compliance"),
    path("staff/people/<int:user_id>/bypass/", compliance.bypass_new, name="bypass_new"),
    path(
        "staff/people/<int:user_id>/bypasses/<int:bypass_id>/withdraw/",
        compliance.bypass_withdraw,
        name="bypass_withdraw",
    ),
    path("staff/audit/", compliance.audit, name="audit"),
    path("staff/reports/", compliance.reports_page, name="reports"),
    path("staff/reports/compliance.csv", compliance.reports_csv, name="reports_csv"),
]

# Archive: views/archive.py
urlpatterns += [
    path("staff/archive/", archive_views.archive, name="archive"),
    path("staff/archive/download/", archive_views.archive_download, name="archive_download"),
]
