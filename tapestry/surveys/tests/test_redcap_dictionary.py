"""REDCap data dictionaries in and out: the mapping, the report, and the round trips."""

import csv
import io
from typing import Any

import pytest

from tapestry.surveys.redcap import (
    HEADER,
    DictionaryError,
    csv_text,
    dictionary_export,
    dictionary_import,
)
from tapestry.surveys.schemas import InstrumentSpec
from tapestry.surveys.tests.factories import SAMPLE_SPEC

FIXTURE_ROWS = [
    # variable, form, section, type, label, choices, note, validation, min, max, identifier,
    # branching, required, alignment, number, matrix, ranking, annotation
    ["record_id", "intake", "", "text", "Record ID"],
    ["welcome", "intake", "Your visit", "descriptive", "Welcome to the intake form."],
    ["visit_date", "intake", "", "text", "Date of visit", "", "", "date_ymd", "", "", "", "", "y"],
    ["age", "intake", "", "text", "Age", "", "In years", "integer", "0", "120", "", "", "y"],
    ["weight", "intake", "", "text", "Weight (kg)", "", "", "number_1dp", "1", "300.5"],
    ["bmi", "intake", "", "calc", "BMI", "round([weight] / 3, 1)"],
    ["smoker", "intake", "Habits", "yesno", "Do you smoke?", "", "", "", "", "", "", "", "y"],
    ["packs", "intake", "", "text", "Packs a day", "", "", "number", "", "", "", "[smoker] = '1'"],
    [
        "sources",
        "intake",
        "",
        "checkbox",
        "Where do you find health information?",
        "1, Doctor | 2, Library | 3, Internet, social media | 4, Other",
    ],
    [
        "other_source",
        "intake",
        "",
        "text",
        "Which other?",
        "",
        "",
        "",
        "",
        "",
        "",
        "[sources(4)] = '1'",
    ],
    [
        "library_topics",
        "intake",
        "",
        "dropdown",
        "Which library topic?",
        "a, Nutrition|b, Medicines | c, Research",
        "",
        "",
        "",
        "",
        "",
        "([sources(2)] = '1' and ([age] >= 18 or [smoker] <> \"0\")) or [sources(3)] = '1'",
    ],
    ["consent", "intake", "", "file", "Signed consent", "", "", "signature"],
    [
        "satisfied",
        "intake",
        "Opinions",
        "radio",
        "I am satisfied with the library.",
        "1, Disagree | 2, Neutral | 3, Agree",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "@TAPESTRY-LIKERT",
    ],
    ["open_sunday", "intake", "", "truefalse", "The library opens on Sundays."],
    ["pain", "intake", "", "slider", "Pain today", "None | Some | Worst", "", "number", "0", "10"],
    ["comments", "intake", "", "notes", "Anything else?"],
    ["email", "intake", "", "text", "Your email", "", "", "email", "", "", "y"],
    [
        "days",
        "intake",
        "",
        "text",
        "Days",
        "",
        "",
        "integer",
        "",
        "",
        "",
        "datediff([visit_date], 'today', 'd') > 5",
    ],
    ["later", "intake", "", "text", "Later", "", "", "", "", "", "", "[zzz] = '1'"],
    ["after_bmi", "intake", "", "text", "After BMI", "", "", "", "", "", "", "[bmi] > 25"],
    ["between", "intake", "", "descriptive", "Thank you so far."],
    ["query", "intake", "", "sql", "Pick a library", "select 1"],
    ["follow_up", "followup", "", "text", "How are you now?"],
    ["follow_up2", "followup", "", "yesno", "Better?"],
]


def fixture_csv(rows: list[list[str]] = FIXTURE_ROWS, header: tuple[str, ...] = HEADER) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([*row, *[""] * (len(header) - len(row))] for row in rows)
    return buffer.getvalue().encode()


def blank_spanish(data: Any) -> Any:
    """The spec with every Spanish text blank: an imported dictionary carries one language."""
    if isinstance(data, dict):
        return {key: "" if key == "es" else blank_spanish(value) for key, value in data.items()}
    if isinstance(data, list):
        return [blank_spanish(item) for item in data]
    return data


def round_trip(spec: InstrumentSpec, language: str = "en") -> InstrumentSpec:
    exported = csv_text(dictionary_export(spec, language=language)).encode()
    result = dictionary_import(exported, language=language)
    assert result.spec is not None, result.problems
    return result.spec


def test_the_fixture_imports_every_supported_type() -> None:
    result = dictionary_import(fixture_csv())

    assert result.spec is not None
    sections = result.spec.sections
    assert [section.title.en for section in sections] == ["Your visit", "Habits", "Opinions"]
    assert sections[0].introduction.en == "Welcome to the intake form."
    kinds = {question.code: question.kind for section in sections for question in section.questions}
    assert kinds == {
        "visit_date": "date",
        "age": "number",
        "weight": "number",
        "smoker": "single",
        "packs": "number",
        "sources": "multiple",
        "other_source": "text",
        "library_topics": "single",
        "satisfied": "likert",
        "open_sunday": "single",
        "pain": "number",
        "comments": "text",
        "email": "text",
        "days": "number",
        "later": "text",
        "after_bmi": "text",
    }
    assert result.forms == ["intake", "followup"]
    assert (result.spec.slug, result.spec.title.en) == ("intake", "Intake")


def test_the_fixture_maps_ranges_choices_help_and_required() -> None:
    result = dictionary_import(fixture_csv())

    assert result.spec is not None
    questions = {q.code: q for section in result.spec.sections for q in section.questions}
    age, weight, pain = questions["age"], questions["weight"], questions["pain"]
    assert (str(age.minimum), str(age.maximum), age.whole_number) == ("0", "120", True)
    assert (str(weight.minimum), str(weight.maximum), weight.whole_number) == ("1", "300.5", False)
    assert (str(pain.minimum), str(pain.maximum), pain.whole_number) == ("0", "10", True)
    assert age.help.en == "In years"
    assert [q.code for q in questions.values() if q.required] == ["visit_date", "age", "smoker"]
    assert [(c.code, c.label.en, c.label.es) for c in questions["smoker"].choices] == [
        ("1", "Yes", "Sí"),
        ("0", "No", "No"),
    ]
    assert [(c.code, c.label.en) for c in questions["open_sunday"].choices] == [
        ("1", "True"),
        ("0", "False"),
    ]
    assert [(c.code, c.label.en) for c in questions["sources"].choices] == [
        ("1", "Doctor"),
        ("2", "Library"),
        ("3", "Internet, social media"),
        ("4", "Other"),
    ]
    assert [c.code for c in questions["library_topics"].choices] == ["a", "b", "c"]
    assert questions["age"].label.es == ""


def test_the_fixture_keeps_the_branching_it_understands() -> None:
    result = dictionary_import(fixture_csv())

    assert result.spec is not None
    questions = {q.code: q for section in result.spec.sections for q in section.questions}
    assert questions["packs"].show_if == {"op": "=", "question": "smoker", "value": "1"}
    assert questions["other_source"].show_if == {
        "op": "checked",
        "question": "sources",
        "choice": "4",
    }
    assert questions["library_topics"].show_if == {
        "op": "or",
        "args": [
            {
                "op": "and",
                "args": [
                    {"op": "checked", "question": "sources", "choice": "2"},
                    {
                        "op": "or",
                        "args": [
                            {"op": ">=", "question": "age", "value": "18"},
                            {"op": "!=", "question": "smoker", "value": "0"},
                        ],
                    },
                ],
            },
            {"op": "checked", "question": "sources", "choice": "3"},
        ],
    }
    assert [questions[code].show_if for code in ("days", "later", "after_bmi")] == [None] * 3


def test_the_fixture_report_names_every_line_not_imported() -> None:
    result = dictionary_import(fixture_csv())

    assert result.problems == [
        "line 2, field record_id: the record identifier, not a question",
        "Form followup: 2 fields skipped (one form is imported at a time).",
        "line 7, field bmi: calculated fields are not supported; skipped",
        "line 13, field consent: file upload fields are not supported; skipped",
        "line 16, field pain: the slider's labels are not kept (the question is a number)",
        "line 18, field email: the email validation is not checked here; imported as free text",
        "line 18, field email: marked as an identifier in REDCap, but this survey is anonymous: "
        "consider whether to ask it",
        "line 19, field days: the branching logic is not imported: functions such as datediff() "
        "are not supported",
        "line 20, field later: the branching logic is not imported: it refers to zzz, which is "
        "not an earlier field",
        "line 21, field after_bmi: the branching logic is not imported: it refers to bmi, which "
        "was not imported",
        "line 22, field between: descriptive text between questions is not supported; skipped",
        "line 23, field query: SQL fields are not supported; skipped",
    ]


def test_the_report_says_what_each_imported_line_became() -> None:
    result = dictionary_import(fixture_csv())

    imported = [str(line) for line in result.report if line.imported]
    assert imported[:3] == [
        "line 3, field welcome: descriptive text: the section's introduction",
        "line 4, field visit_date: imported as date",
        "line 5, field age: imported as number",
    ]
    assert "line 9, field packs: imported as number, shown if [smoker] = '1'" in imported


def test_the_user_picks_another_form() -> None:
    result = dictionary_import(fixture_csv(), form="followup")

    assert result.spec is not None
    assert [q.code for q in result.spec.sections[0].questions] == ["follow_up", "follow_up2"]
    assert result.problems[1] == "Form intake: 21 fields skipped (one form is imported at a time)."


def test_a_form_not_in_the_file_is_refused() -> None:
    with pytest.raises(DictionaryError) as refused:
        dictionary_import(fixture_csv(), form="baseline")

    assert str(refused.value) == "The file has no form baseline; its forms are intake, followup."


def test_older_header_names_a_bom_and_columns_in_another_order_are_read_by_name() -> None:
    header = (
        "Field Type",
        "Variable / Field Name",
        "Form Name",
        "Field Label",
        "Choices OR Calculations",
        "Text Validation Type",
        "Branching Logic",
        "Required Field",
    )
    rows = [
        ["text", "record_id", "f", "Record ID"],
        ["radio", "q1", "f", "First", "1, One | 2, Two", "", "", "y"],
        ["text", "q2", "f", "Second", "", "integer", "[q1] = '2'"],
    ]
    data = "\ufeff".encode() + fixture_csv(rows, header)

    result = dictionary_import(data)

    assert result.spec is not None
    first, second = result.spec.sections[0].questions
    assert (first.code, first.kind, first.required, len(first.choices)) == ("q1", "single", True, 2)
    assert (second.kind, second.whole_number, second.show_if) == (
        "number",
        True,
        {"op": "=", "question": "q1", "value": "2"},
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("Variable,Type\nq1,text\n".encode("utf-16"), "The file is not UTF-8 text."),
        (b"PK\x03\x04\x00\x00\x08\x00", "The file is not a CSV text file."),
        (b"name,email\nAna,ana@example.org\n", "This is not a REDCap data dictionary"),
        (b"", "The file is empty."),
        (",".join(HEADER).encode() + b"\r\n", "The data dictionary has no fields."),
    ],
)
def test_a_file_that_is_not_a_dictionary_is_refused_with_a_reason(
    data: bytes, message: str
) -> None:
    with pytest.raises(DictionaryError) as refused:
        dictionary_import(data)

    assert str(refused.value).startswith(message)


def test_a_dictionary_without_a_usable_question_gives_no_spec() -> None:
    rows = [["record_id", "f", "", "text", "Record ID"], ["bmi", "f", "", "calc", "BMI", "1+1"]]

    result = dictionary_import(fixture_csv(rows))

    assert result.spec is None
    assert result.problems[-1] == "No field of the form could be imported as a question."


def test_choice_codes_tapestry_cannot_store_skip_the_field() -> None:
    rows = [
        ["record_id", "f", "", "text", "Record ID"],
        ["q1", "f", "", "radio", "First", "1, One | two words, Two"],
        ["q2", "f", "", "radio", "Second", "1, One | 2"],
        ["q3", "f", "", "text", "Third"],
    ]

    result = dictionary_import(fixture_csv(rows))

    assert result.problems[1:] == [
        "line 3, field q1: the choice code two words is not one Tapestry takes (up to 20 "
        "letters, digits, _ . -); skipped",
        "line 4, field q2: the choice 2 has no “code, label” comma; skipped",
    ]


def test_the_export_has_redcaps_header_and_record_id_first() -> None:
    spec = InstrumentSpec.model_validate(SAMPLE_SPEC)

    rows = list(dictionary_export(spec))

    assert tuple(rows[0]) == HEADER
    assert rows[1][:5] == ["record_id", "sample_needs", "", "text", "Record ID"]
    by_variable = {row[0]: row for row in rows[2:]}
    assert by_variable["role"][2:6] == [
        "About you",
        "radio",
        "What is your role?",
        "liaison, Library staff | community_partner, Community partner",
    ]
    assert by_variable["staff"][7:10] == ["integer", "1", "500"]
    assert by_variable["topics"][3] == "checkbox"
    assert by_variable["research_detail"][11] == "[topics(4)] = '1'"
    assert by_variable["last_program"][7] == "date_ymd"
    assert by_variable["last_program"][11] == "[offers_health] = '1' and [staff] > 2"
    assert by_variable["confident"][3] == "radio"
    assert by_variable["confident"][17] == "@TAPESTRY-LIKERT"
    assert by_variable["offers_health"][2] == "Your needs"
    assert [row[12] for row in rows[2:5]] == ["y", "", "y"]


def test_the_spanish_export_falls_back_to_english_where_blank() -> None:
    data = SAMPLE_SPEC | {"sections": [dict(SAMPLE_SPEC["sections"][0])]}
    data["sections"][0]["title"] = {"en": "About you", "es": ""}
    spec = InstrumentSpec.model_validate(data)

    rows = list(dictionary_export(spec, language="es"))

    role = rows[2]
    assert role[2:6] == [
        "About you",
        "radio",
        "¿Cuál es su función?",
        "liaison, Personal de biblioteca | community_partner, Organización comunitaria",
    ]


def test_the_sample_spec_survives_a_round_trip() -> None:
    spec = InstrumentSpec.model_validate(SAMPLE_SPEC)

    again = round_trip(spec)

    assert blank_spanish(again.model_dump()) == blank_spanish(spec.model_dump())
    assert again.title == spec.title


def test_the_sample_spec_survives_a_round_trip_in_spanish() -> None:
    spec = InstrumentSpec.model_validate(SAMPLE_SPEC)

    again = round_trip(spec, language="es")

    questions = [q for section in again.sections for q in section.questions]
    # The Spanish stands in for the English until it is translated.
    assert questions[0].label.model_dump() == {
        "en": "¿Cuál es su función?",
        "es": "¿Cuál es su función?",
    }
    assert [q.show_if for q in questions] == [
        q.show_if for section in spec.sections for q in section.questions
    ]


def test_the_fixture_survives_a_round_trip() -> None:
    imported = dictionary_import(fixture_csv()).spec
    assert imported is not None

    again = round_trip(imported)

    assert blank_spanish(again.model_dump()) == blank_spanish(imported.model_dump())


def test_sections_without_titles_and_formula_like_labels_survive_a_round_trip() -> None:
    data = SAMPLE_SPEC | {"sections": [dict(section) for section in SAMPLE_SPEC["sections"]]}
    data["sections"][1]["title"] = {"en": "", "es": ""}
    data["sections"][1]["introduction"] = {"en": "=Only a few more.", "es": ""}
    spec = InstrumentSpec.model_validate(data)

    rows = list(dictionary_export(spec))
    again = round_trip(spec)

    assert rows[5][:5] == [
        "section_2_intro",
        "sample_needs",
        "",
        "descriptive",
        "'=Only a few more.",
    ]
    assert blank_spanish(again.model_dump()) == blank_spanish(spec.model_dump())


def test_a_field_without_a_form_name_is_reported() -> None:
    rows = [
        ["record_id", "f", "", "text", "Record ID"],
        ["q1", "f", "", "text", "First"],
        ["q2", "", "", "text", "Second"],
    ]

    result = dictionary_import(fixture_csv(rows))

    assert result.problems[1:] == ["line 4, field q2: the field names no form; skipped"]


def test_a_choice_label_with_a_bar_is_exported_with_a_slash() -> None:
    data = SAMPLE_SPEC | {"sections": [dict(SAMPLE_SPEC["sections"][0])]}
    data["sections"][0]["questions"] = [
        {
            "code": "mode",
            "kind": "single",
            "label": {"en": "How?", "es": ""},
            "choices": [
                {"code": "1", "label": {"en": "Phone | video", "es": ""}},
                {"code": "2", "label": {"en": "In person", "es": ""}},
            ],
        }
    ]

    rows = list(dictionary_export(InstrumentSpec.model_validate(data)))

    assert rows[2][5] == "1, Phone / video | 2, In person"


@pytest.mark.parametrize(
    ("field_type", "validation", "expected"),
    [
        ("text", "", ("text", None, None, False)),
        ("text", "integer", ("number", None, None, True)),
        ("text", "number", ("number", None, None, False)),
        ("text", "number_2dp", ("number", None, None, False)),
        ("text", "date_ymd", ("date", None, None, False)),
        ("text", "date_mdy", ("date", None, None, False)),
        ("text", "date_dmy", ("date", None, None, False)),
        ("notes", "", ("text", None, None, False)),
        ("slider", "", ("number", "0", "100", True)),
    ],
)
def test_each_field_type_and_validation_becomes_a_kind(
    field_type: str, validation: str, expected: tuple[str, str | None, str | None, bool]
) -> None:
    rows = [
        ["record_id", "f", "", "text", "Record ID"],
        ["q1", "f", "", field_type, "First", "", "", validation],
    ]

    result = dictionary_import(fixture_csv(rows))

    assert result.spec is not None
    question = result.spec.sections[0].questions[0]
    minimum = None if question.minimum is None else str(question.minimum)
    maximum = None if question.maximum is None else str(question.maximum)
    assert (question.kind, minimum, maximum, question.whole_number) == expected
