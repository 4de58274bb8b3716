"""The disk full while writing an upload or a research release: a clear error, nothing corrupt.

A small tmpfs is mounted for the media folder and for the research data folder, and filled to
the last byte with a real file. Then an applicant uploads an attachment through the funding
form, and staff build a research release with the operator's command.
"""

import errno
import hashlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import translation
from pytest_django.fixtures import Settings

from tapestry.accounts.api import Role
from tapestry.accounts.tests.factories import UserFactory
from tapestry.funding.models import Attachment
from tapestry.funding.tests.factories_applicant import PDF_BYTES, draft_make, upload
from tapestry.network.tests.factories import OrganizationFactory
from tapestry.research import selectors as research_selectors
from tapestry.research.models import Release
from tapestry.research.warehouse.generate import generate

pytestmark = pytest.mark.django_db

# Room for one release of the participants below (about 3 MB) and what building it needs.
DISK_SIZE = "16m"
PARTICIPANTS = 200
FILLER_CHUNK = 64 * 1024


def _mount_small_disk(folder: Path) -> None:
    folder.mkdir(parents=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK_SIZE}", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(
            "a full disk needs a small file system of the test's own, and mounting a tmpfs "
            f"is not permitted here ({mounted.stderr.strip()})"
        )


def _fill(folder: Path) -> Path:
    """Write a real file until the disk refuses even one more byte."""
    filler = folder / "filler"
    descriptor = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        for size in (FILLER_CHUNK, 4096, 1):
            while True:
                try:
                    os.write(descriptor, b"\0" * size)
                except OSError as error:
                    assert error.errno == errno.ENOSPC
                    break
    finally:
        os.close(descriptor)
    return filler


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    disk = tmp_path / "disk"
    _mount_small_disk(disk)
    try:
        yield disk
    finally:
        subprocess.run(["umount", "--lazy", str(disk)], check=False, capture_output=True)


def _files(folder: Path) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file())


def test_an_upload_to_a_full_disk_is_refused_with_a_clear_page_and_nothing_is_kept(
    settings: Settings, small_disk: Path
) -> None:
    # Given an applicant who reads Spanish with a draft, and the media disk full
    settings.MEDIA_ROOT = small_disk
    alice = UserFactory.create(
        email="alice@example.org", roles=[Role.LIAISON], preferred_language="es"
    )
    library = OrganizationFactory.create(liaison=alice, liaison_email="alice@example.org")
    draft = draft_make(liaison=alice, organization=library)
    client = Client()
    client.force_login(alice)
    _fill(small_disk)

    # When she attaches a file
    response = client.post(
        f"/funding/applications/{draft.public_id}/attachments/",
        {"file": upload("letter.pdf", PDF_BYTES)},
    )

    # Then she is told, in her language, that nothing was saved; no row, no partial file
    with translation.override("es"):
        heading = translation.gettext("There is no room to store this right now")
    assert response.status_code == 507
    assert response["Content-Language"] == "es"
    assert heading in response.content.decode()
    assert Attachment.objects.count() == 0
    assert _files(small_disk) == ["filler"]


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("generated") / "data"
    generate(out, participants=PARTICIPANTS, seed=7)
    return out


def _checksums(folder: Path) -> dict[str, str]:
    return {
        name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in _files(folder)
    }


def test_a_release_on_a_full_disk_fails_with_its_reason_and_the_current_one_stays(
    settings: Settings, small_disk: Path, generated: Path
) -> None:
    # Given a ready release on the research disk, and then the disk full
    settings.RESEARCH_DATA_DIR = small_disk
    call_command("research_release", source=generated, release_version="R1")
    current = Release.objects.get(version="R1")
    published = _checksums(small_disk / "releases" / "R1")
    _fill(small_disk)

    # When the next release is built
    with pytest.raises(CommandError) as refused:
        call_command("research_release", source=generated, release_version="R2")

    # Then it failed with a readable reason, and nothing of it is left to be taken as ready
    failed = Release.objects.get(version="R2")
    assert failed.status == Release.Status.FAILED
    assert failed.error.startswith("The disk is full")
    assert str(refused.value) == failed.error
    assert failed.warehouse_path == ""
    assert not (small_disk / "releases" / "R2").exists()
    # ...and the previous release is still the one served, unchanged and readable
    assert research_selectors.release_current() == current
    assert _checksums(small_disk / "releases" / "R1") == published
    with duckdb.connect(current.warehouse_path, read_only=True) as warehouse:
        participants = warehouse.execute("SELECT count(*) FROM participant").fetchone()
    assert participants == (current.participants,)
    assert Client().get("/data/").status_code == 200
