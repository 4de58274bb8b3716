"""The surveys pages, under /surveys/. Each block belongs to one views module."""

from django.urls import URLPattern, URLResolver, path

from tapestry.surveys.views import answering

app_name = "surveys"

urlpatterns: list[URLPattern | URLResolver] = []

# Answering (views/answering.py): the public link and everything a respondent sees. Keep this
# block last: `<slug>/` would otherwise shadow any fixed one-segment path added after it.
urlpatterns += [
    path("<slug:slug>/", answering.landing, name="landing"),
    path("<slug:slug>/start/", answering.start, name="start"),
    path("<slug:slug>/r/<str:secret>/", answering.answer_token, name="answer_token"),
    path("<slug:slug>/answer/", answering.answer_person, name="answer_person"),
    path("<slug:slug>/thanks/", answering.thanks, name="thanks"),
    path("<slug:slug>/qr.svg", answering.qr_code, name="qr_code"),
    path("<slug:slug>/poster/", answering.poster, name="poster"),
]
