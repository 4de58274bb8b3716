"""The staff's REDCap pages: import a data dictionary, download it back, stream the records."""

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.test import Client, override_settings
from django.utils import timezone

from tapestry.accounts.api import Role
from tapestry.accounts.tests.factories import UserFactory
from tapestry.surveys import logic
from tapestry.surveys.demo import answer_rows
from tapestry.surveys.models import Answer, Choice, Instrument, Question, Response, Section
from tapestry.surveys.selectors import instrument_structure
from tapestry.surveys.tests.factories import instrument_make
from tapestry.surveys.tests.test_redcap_dictionary import fixture_csv

pytestmark = pytest.mark.django_db

IMPORT_URL = "/surveys/staff/import/"


def audit_events() -> QuerySet:  # type: ignore[type-arg]
    # The audit log is core's model; surveys reaches it only through core.api, so the tests
    # read it by name.
    return apps.get_model("core", "AuditEvent").objects.order_by("pk")


def upload(data: bytes, name: str = "Intake_DataDictionary.csv", **fields: str) -> dict:  # type: ignore[type-arg]
    return {
        "dictionary": SimpleUploadedFile(name, data, content_type="text/csv"),
        "language": "en",
        "mode": "anonymous",
        **fields,
    }


def nothing_stored() -> tuple[int, int, int, int]:
    return (
        Instrument.objects.count(),
        Section.objects.count(),
        Question.objects.count(),
        Choice.objects.count(),
    )


@pytest.fixture
def paula_client(paula_program_staff: Any, staff_signed_in: Callable[[Any], Client]) -> Client:
    return staff_signed_in(paula_program_staff)


def respond(instrument: Instrument, answers: dict[str, logic.Answer], language: str = "en") -> None:
    structure = instrument_structure(instrument=instrument)
    response = Response.objects.create(
        instrument=instrument,
        revision=instrument.revision,
        language=language,
        submitted_at=timezone.now(),
    )
    Answer.objects.bulk_create(answer_rows(structure, response, answers))


def test_staff_import_a_dictionary_as_a_draft_and_read_the_report(
    paula_client: Client, paula_program_staff: Any
) -> None:
    response = paula_client.post(IMPORT_URL, upload(fixture_csv()))

    assert response.status_code == 200
    instrument = Instrument.objects.get()
    assert (instrument.slug, instrument.status) == ("intake", Instrument.Status.DRAFT)
    page = response.content.decode()
    assert "line 7, field bmi: calculated fields are not supported; skipped" in page
    assert "line 4, field visit_date: imported as date" in page
    assert Question.objects.filter(instrument=instrument).count() == 16
    # The Spanish is for the translators: every item whose Spanish is blank is flagged.
    assert set(
        Question.objects.filter(instrument=instrument).values_list(
            "translation_outdated", flat=True
        )
    ) == {"es"}
    assert list(
        Choice.objects.filter(question__code="smoker").values_list(
            "label_es", "translation_outdated"
        )
    ) == [("Sí", ""), ("No", "")]
    assert instrument.translation_outdated == "es"
    event = audit_events().get(action="surveys.instrument_import")
    assert (event.actor_id, event.target_id) == (paula_program_staff.pk, str(instrument.pk))
    assert event.data == {"form": "intake", "language": "en", "imported": 17, "not_imported": 12}


def test_the_import_page_shows_the_form_to_staff(paula_client: Client) -> None:
    instrument_make()

    response = paula_client.get(IMPORT_URL)

    assert response.status_code == 200
    assert b'enctype="multipart/form-data"' in response.content
    assert b"/surveys/staff/sample-needs/redcap-records.csv" in response.content


def test_a_taken_link_name_creates_nothing_and_shows_the_report(paula_client: Client) -> None:
    instrument_make(slug="intake")
    before = nothing_stored()

    response = paula_client.post(IMPORT_URL, upload(fixture_csv()))

    assert response.status_code == 400
    assert "The link name intake is already used." in response.content.decode()
    assert "line 7, field bmi: calculated fields are not supported; skipped" in (
        response.content.decode()
    )
    assert nothing_stored() == before
    assert not audit_events().filter(action="surveys.instrument_import").exists()


def test_a_dictionary_without_a_usable_question_creates_nothing(paula_client: Client) -> None:
    data = fixture_csv(
        [["record_id", "f", "", "text", "Record ID"], ["bmi", "f", "", "calc", "BMI"]]
    )

    response = paula_client.post(IMPORT_URL, upload(data))

    assert response.status_code == 400
    assert "No field of the form could be imported as a question." in response.content.decode()
    assert nothing_stored() == (0, 0, 0, 0)


def test_a_file_that_is_not_csv_text_is_refused_whatever_its_name(paula_client: Client) -> None:
    response = paula_client.post(IMPORT_URL, upload(b"PK\x03\x04\x14\x00\x00\x00\x08\x00"))

    assert response.status_code == 400
    assert "The file is not a CSV text file." in response.content.decode()
    assert nothing_stored() == (0, 0, 0, 0)
    assert not audit_events().exists()


def test_a_spreadsheet_that_is_not_a_dictionary_is_refused(paula_client: Client) -> None:
    response = paula_client.post(IMPORT_URL, upload(b"name,email\r\nAna,ana@example.org\r\n"))

    assert response.status_code == 400
    assert "This is not a REDCap data dictionary" in response.content.decode()
    assert nothing_stored() == (0, 0, 0, 0)


@override_settings(SURVEYS_IMPORT_MAX_BYTES=200)
def test_a_file_over_the_limit_is_refused(paula_client: Client) -> None:
    response = paula_client.post(IMPORT_URL, upload(fixture_csv()))

    assert response.status_code == 413
    assert "The file is larger than 200" in response.content.decode()
    assert nothing_stored() == (0, 0, 0, 0)


@override_settings(SURVEYS_IMPORT_MAX_BYTES=10)
def test_an_upload_far_over_the_limit_is_refused_before_it_is_read(paula_client: Client) -> None:
    response = paula_client.post(IMPORT_URL, upload(b"x" * 70_000))

    assert response.status_code == 413
    assert "The file is too large" in response.content.decode()
    assert nothing_stored() == (0, 0, 0, 0)


def test_a_liaison_is_refused_and_nothing_is_audited(alice_client: Client) -> None:
    instrument = instrument_make()
    respond(instrument, {"role": "liaison", "staff": "3"})

    pages = [
        alice_client.get(IMPORT_URL),
        alice_client.post(IMPORT_URL, upload(fixture_csv())),
        alice_client.get("/surveys/staff/sample-needs/redcap-dictionary.csv"),
        alice_client.get("/surveys/staff/sample-needs/redcap-records.csv"),
    ]

    assert [page.status_code for page in pages] == [403, 403, 403, 403]
    assert Instrument.objects.count() == 1
    assert not audit_events().filter(action__startswith="surveys.responses").exists()


def test_a_visitor_is_sent_to_sign_in(visitor: Client) -> None:
    response = visitor.get(IMPORT_URL)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_dictionary_downloads_in_english_and_spanish(paula_client: Client) -> None:
    instrument_make()

    english = paula_client.get("/surveys/staff/sample-needs/redcap-dictionary.csv?language=en")
    spanish = paula_client.get("/surveys/staff/sample-needs/redcap-dictionary.csv?language=es")
    wrong = paula_client.get("/surveys/staff/sample-needs/redcap-dictionary.csv?language=fr")
    missing = paula_client.get("/surveys/staff/nothing-here/redcap-dictionary.csv")

    assert english.status_code == 200
    assert english["Content-Type"] == "text/csv; charset=utf-8"
    assert english["Content-Disposition"] == (
        'attachment; filename="sample_needs_DataDictionary_en.csv"'
    )
    assert "What is your role?" in english.content.decode()
    assert "¿Cuál es su función?" in spanish.content.decode()
    assert (wrong.status_code, missing.status_code) == (400, 404)


def records(response: Any) -> list[list[str]]:
    assert isinstance(response, StreamingHttpResponse)
    text = b"".join(response.streaming_content).decode()  # type: ignore[arg-type]
    return list(csv.reader(io.StringIO(text)))


def test_the_records_stream_as_redcaps_flat_csv(paula_client: Client) -> None:
    instrument = instrument_make()
    respond(
        instrument,
        {
            "role": "liaison",
            "state": "PR",
            "staff": "12",
            "offers_health": "1",
            "topics": ["1", "4"],
            "research_detail": '=HYPERLINK("x")',
            "confident": "4",
            "last_program": "2026-03-05",
            "comments": "Más, por favor",
        },
        language="es",
    )
    # "No" hides the topics, the research detail and the last program.
    respond(
        instrument,
        {"role": "community_partner", "staff": "2", "offers_health": "0", "confident": "5"},
    )

    response = paula_client.get("/surveys/staff/sample-needs/redcap-records.csv")

    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Disposition"] == 'attachment; filename="sample_needs_records.csv"'
    assert records(response) == [
        [
            "record_id",
            "role",
            "state",
            "staff",
            "offers_health",
            "topics___1",
            "topics___2",
            "topics___3",
            "topics___4",
            "research_detail",
            "confident",
            "last_program",
            "comments",
        ],
        [
            "1",
            "liaison",
            "PR",
            "12",
            "1",
            "1",
            "0",
            "0",
            "1",
            '\'=HYPERLINK("x")',
            "4",
            "2026-03-05",
            "Más, por favor",
        ],
        ["2", "community_partner", "", "2", "0", "", "", "", "", "", "5", "", ""],
    ]
    event = audit_events().get(action="surveys.responses_export")
    assert (event.target_id, event.data) == (str(instrument.pk), {"language": "all"})


def test_the_records_filter_by_language(paula_client: Client) -> None:
    instrument = instrument_make()
    respond(instrument, {"role": "liaison", "staff": "4"}, language="en")
    respond(instrument, {"role": "community_partner", "staff": "7"}, language="es")

    response = paula_client.get("/surveys/staff/sample-needs/redcap-records.csv?language=es")

    rows = records(response)
    assert [row[:4] for row in rows[1:]] == [["1", "community_partner", "", "7"]]
    assert audit_events().get(action="surveys.responses_export").data == {"language": "es"}


def test_every_records_column_is_a_field_of_the_exported_dictionary(paula_client: Client) -> None:
    instrument = instrument_make()
    respond(instrument, {"role": "liaison", "staff": "4"})

    dictionary = paula_client.get("/surveys/staff/sample-needs/redcap-dictionary.csv")
    header = records(paula_client.get("/surveys/staff/sample-needs/redcap-records.csv"))[0]

    fields = list(csv.reader(io.StringIO(dictionary.content.decode())))[1:]
    columns = set()
    for variable, _form, _section, kind, _label, choices, *_rest in fields:
        if kind == "checkbox":
            columns |= {
                f"{variable}___{item.split(',')[0].strip().lower()}" for item in choices.split("|")
            }
        elif kind != "descriptive":
            columns.add(variable)
    assert set(header) <= columns
    assert header[0] == fields[0][0] == "record_id"


def test_an_imported_dictionary_round_trips_through_the_pages(paula_client: Client) -> None:
    paula_client.post(IMPORT_URL, upload(fixture_csv()))

    exported = paula_client.get("/surveys/staff/intake/redcap-dictionary.csv?language=en")
    again = paula_client.post(IMPORT_URL, upload(exported.content, slug="intake-copy"))

    assert again.status_code == 200
    first, second = Instrument.objects.order_by("pk")
    assert second.slug == "intake-copy"
    assert list(
        Question.objects.filter(instrument=first).values_list("code", "kind", "show_if", "required")
    ) == list(
        Question.objects.filter(instrument=second).values_list(
            "code", "kind", "show_if", "required"
        )
    )


def test_a_spanish_speaking_administrator_reads_the_pages_and_report_in_spanish(
    staff_signed_in: Callable[[Any], Client],
) -> None:
    ana = UserFactory.create(
        email="ana@example.org",
        roles=[Role.ADMINISTRATOR],
        preferred_language="es",
        two_factor=True,
    )
    client = staff_signed_in(ana)

    page = client.get(IMPORT_URL)
    imported = client.post(IMPORT_URL, upload(fixture_csv()))

    assert '<h1 class="margin-top-4">Archivos de REDCap</h1>' in page.content.decode()
    assert imported.status_code == 200
    assert (
        "línea 7, campo bmi: no se admiten campos calculados; se omitió"
        in imported.content.decode()
    )


def test_a_spanish_dictionary_stands_in_for_the_english_until_translated(
    paula_client: Client,
) -> None:
    rows = [
        ["record_id", "evaluacion", "", "text", "Record ID"],
        ["util", "evaluacion", "Su opinión", "radio", "¿Le fue útil?", "1, Sí | 0, Poco"],
        ["comentario", "evaluacion", "", "notes", "Comentarios"],
    ]

    response = paula_client.post(IMPORT_URL, upload(fixture_csv(rows), language="es"))

    assert response.status_code == 200
    assert list(
        Question.objects.order_by("position").values_list(
            "label_en", "label_es", "translation_outdated"
        )
    ) == [
        ("¿Le fue útil?", "¿Le fue útil?", "en"),
        ("Comentarios", "Comentarios", "en"),
    ]
    assert list(Choice.objects.values_list("label_en", "label_es", "translation_outdated")) == [
        ("Sí", "Sí", "en"),
        ("Poco", "Poco", "en"),
    ]
