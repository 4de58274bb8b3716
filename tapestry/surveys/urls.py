"""The surveys pages, under /surveys/, one block per views module."""

from django.urls import URLPattern, URLResolver, path

from tapestry.surveys.views import answering, authoring, interchange, results

app_name = "surveys"

urlpatterns: list[URLPattern | URLResolver] = []

# Authoring (staff build instruments): views/authoring.py
urlpatterns += [
    path("staff/", authoring.instrument_list, name="authoring_list"),
    path("staff/new/", authoring.instrument_new, name="authoring_new"),
    path("staff/<int:instrument_id>/", authoring.instrument_detail, name="authoring_instrument"),
    path(
        "staff/<int:instrument_id>/settings/",
        authoring.instrument_settings,
        name="authoring_settings",
    ),
    path(
        "staff/<int:instrument_id>/publish/",
        authoring.instrument_publish,
        name="authoring_publish",
    ),
    path(
        "staff/<int:instrument_id>/archive/",
        authoring.instrument_archive,
        name="authoring_archive",
    ),
    path("staff/<int:instrument_id>/close/", authoring.instrument_close, name="authoring_close"),
    path(
        "staff/<int:instrument_id>/sections/new/",
        authoring.section_edit,
        name="authoring_section_new",
    ),
    path(
        "staff/<int:instrument_id>/sections/<int:section_id>/",
        authoring.section_edit,
        name="authoring_section",
    ),
    path(
        "staff/<int:instrument_id>/sections/<int:section_id>/move/",
        authoring.section_move,
        name="authoring_section_move",
    ),
    path(
        "staff/<int:instrument_id>/sections/<int:section_id>/delete/",
        authoring.section_delete,
        name="authoring_section_delete",
    ),
    path(
        "staff/<int:instrument_id>/sections/<int:section_id>/questions/new/",
        authoring.question_new,
        name="authoring_question_new",
    ),
    path(
        "staff/<int:instrument_id>/questions/<int:question_id>/",
        authoring.question_edit,
        name="authoring_question",
    ),
    path(
        "staff/<int:instrument_id>/questions/<int:question_id>/move/",
        authoring.question_move,
        name="authoring_question_move",
    ),
    path(
        "staff/<int:instrument_id>/questions/<int:question_id>/delete/",
        authoring.question_delete,
        name="authoring_question_delete",
    ),
    path(
        "staff/<int:instrument_id>/questions/<int:question_id>/condition/",
        authoring.question_condition,
        name="authoring_condition",
    ),
    path(
        "staff/<int:instrument_id>/questions/<int:question_id>/choices/new/",
        authoring.choice_new,
        name="authoring_choice_new",
    ),
    path(
        "staff/<int:instrument_id>/questions/<int:question_id>/choices/preset/",
        authoring.choices_preset,
        name="authoring_choices_preset",
    ),
    path(
        "staff/<int:instrument_id>/choices/<int:choice_id>/",
        authoring.choice_edit,
        name="authoring_choice",
    ),
    path(
        "staff/<int:instrument_id>/choices/<int:choice_id>/move/",
        authoring.choice_move,
        name="authoring_choice_move",
    ),
    path(
        "staff/<int:instrument_id>/choices/<int:choice_id>/delete/",
        authoring.choice_delete,
        name="authoring_choice_delete",
    ),
    path(
        "staff/<int:instrument_id>/translation/",
        authoring.translation,
        name="authoring_translation",
    ),
    path(
        "staff/<int:instrument_id>/translation/<str:kind>/<int:item_id>/",
        authoring.translation_edit,
        name="authoring_translation_edit",
    ),
    path(
        "staff/<int:instrument_id>/translation/<str:kind>/<int:item_id>/confirm/",
        authoring.translation_confirm,
        name="authoring_translation_confirm",
    ),
]

# Interchange (REDCap files, staff): views/interchange.py
urlpatterns += [
    path("staff/import/", interchange.redcap_import, name="redcap_import"),
    path(
        "staff/<slug:slug>/redcap-dictionary.csv",
        interchange.redcap_dictionary,
        name="redcap_dictionary",
    ),
    path("staff/<slug:slug>/redcap-records.csv", interchange.redcap_records, name="redcap_records"),
]

# Results (staff read what respondents said): views/results.py
urlpatterns += [
    path("staff/<slug:slug>/results/", results.instrument_results, name="instrument_results"),
]

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
