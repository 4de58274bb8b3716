"""The survey explorer: every survey question of a real small release, its answers protected,
in English and Spanish, as pages and as JSON."""

import re
from pathlib import Path

import pytest
from django.test import Client
from pytest_django.fixtures import Settings

from tapestry.research.models import Release
from tapestry.research.services import release_create
from tapestry.research.warehouse.generate import generate

pytestmark = pytest.mark.django_db

PARTICIPANTS = 400


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("generated") / "data"
    generate(out, participants=PARTICIPANTS, seed=3)
    return out


@pytest.fixture
def release(generated: Path, settings: Settings, tmp_path: Path) -> Release:
    settings.RESEARCH_DATA_DIR = tmp_path / "research"
    return release_create(source=generated, version="R-surveys")


def _cells(html: str) -> list[str]:
    return [
        re.sub(r"<[^>]+>", "", cell).strip()
        for cell in re.findall(r"<td[^>]*>(.*?)</td>", html, re.S)
    ]


def test_smoke(visitor: Client, release: Release) -> None:
    index = visitor.get("/data/surveys/")
    detail = visitor.get("/data/surveys/race_ethnicity/")
    single = visitor.get("/data/surveys/education/")
    print(index.status_code, detail.status_code, single.status_code)
    print(_cells(detail.text))
    print(_cells(single.text))
    assert index.status_code == 200 and detail.status_code == 200 and single.status_code == 200


def test_api_smoke(visitor: Client, release: Release) -> None:
    for path in [
        "/api/v1/public/surveys",
        "/api/v1/public/surveys/race_ethnicity",
        "/api/v1/public/surveys/nope",
        "/api/v1/public/surveys/Bad%20code",
    ]:
        r = visitor.get(path)
        print(path, r.status_code, r.text[:600])
