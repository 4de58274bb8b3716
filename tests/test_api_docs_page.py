"""The API documentation page: the site's language, Swagger UI marked as English, no deep
links (which nested links inside buttons), and the stylesheet whose colours pass axe-core.
The browser tour (tests/browser/test_every_page.py) scans it with axe at both widths."""

import json
import re

import pytest
from django.test import Client


@pytest.mark.parametrize(
    ("language", "heading"), [("en", "API documentation"), ("es", "Documentación de la API")]
)
def test_the_docs_page_says_its_language_and_marks_the_english_part(
    language: str, heading: str
) -> None:
    response = Client(headers={"accept-language": language}).get("/api/v1/docs")

    assert response.status_code == 200
    html = response.text
    assert f'<html lang="{language}">' in html
    assert f'<main id="swagger-ui" lang="en" aria-label="{heading}">' in html
    assert "/static/css/api-docs.css" in html
    settings_json = re.search(
        r'<script type="application/json" id="swagger-settings">(.*?)</script>', html, re.S
    )
    assert settings_json is not None
    settings = json.loads(settings_json.group(1))
    assert settings["deepLinking"] is False
    assert settings["url"] == "/api/v1/openapi.json"
