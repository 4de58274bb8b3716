"""The training pages, under /learning/, one block per views module."""

from django.urls import URLPattern, URLResolver, path

from tapestry.learning.views import certificates, credentials, learner

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
