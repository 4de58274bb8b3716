from pathlib import Path

import pytest
from django.core import mail
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks, Settings

from tapestry.core.api import email_send

pytestmark = pytest.mark.django_db

TEMPLATES_FOR_TESTS = Path(__file__).resolve().parent / "templates"


@pytest.fixture(autouse=True)
def _test_templates(settings: Settings) -> None:
    settings.TEMPLATES = [
        {**engine, "DIRS": [*engine["DIRS"], TEMPLATES_FOR_TESTS]} for engine in settings.TEMPLATES
    ]


def test_email_is_rendered_in_the_recipients_language(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        email_send(
            to=["rosa@example.org"],
            template="core_tests/greeting",
            context={"name": "Rosa"},
            language="es",
            recipient_name="Rosa Delgado",
        )

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["rosa@example.org"]
    assert message.subject == "Hello Rosa [es]"
    assert message.body == (
        "Hola, Rosa Delgado:\n\n"
        "Dear Rosa, this message is in es.\n\n"
        "Gracias por usar Tapestry.\n"
        "http://127.0.0.1:8000\n"
    )


def test_plain_text_email_is_not_html_escaped(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        email_send(
            to=["alice@example.org"],
            template="core_tests/greeting",
            context={"name": "Cheyenne Children's <Hospital> & Clinic"},
            recipient_name="Dr. O'Brien",
        )

    message = mail.outbox[0]
    assert message.subject == "Hello Cheyenne Children's <Hospital> & Clinic [en]"
    assert message.body.splitlines()[:3] == [
        "Hello Dr. O'Brien,",
        "",
        "Dear Cheyenne Children's <Hospital> & Clinic, this message is in en.",
    ]


def test_email_defaults_to_english(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        email_send(to=["alice@example.org"], template="core_tests/greeting", context={"name": "A"})

    assert [(m.to, m.subject) for m in mail.outbox] == [(["alice@example.org"], "Hello A [en]")]


def test_email_is_not_sent_before_the_transaction_commits(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        email_send(to=["alice@example.org"], template="core_tests/greeting", context={"name": "A"})

    assert len(callbacks) == 1
    assert mail.outbox == []


def test_email_comes_from_the_configured_sender(
    settings: Settings, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        email_send(to=["alice@example.org"], template="core_tests/greeting", context={"name": "A"})

    assert mail.outbox[0].from_email == settings.DEFAULT_FROM_EMAIL
