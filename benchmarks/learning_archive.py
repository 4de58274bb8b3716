"""How fast, and in how much memory, does the training archive export 100,000 learners, and how
long does importing it take as one transaction?

Builds its own database (a throwaway SQLite file under var/bench/ unless --database-url names
another, which must be named *bench*), migrates it, makes one compliance course (the tests'
`course_make`) and, in steps (10,000 learners, then up to 100,000 by default), bulk-creates for
each learner a person, an enrollment, a completion with its certificate and two xAPI statements
(registered, completed; bodies as `statements.statement_record` writes them). Every certificate
carries the same real signed VC-JWT (signing 100,000 RSA credentials would only measure RSA).
At each step it:

- writes the archive with `archive.archive_write` to var/bench/learning_archive.zip and reports
  the wall-clock and CPU seconds, the size, and the rows in each member;
- writes it once more under tracemalloc and reports the peak of memory allocated meanwhile,
  which must not grow with the number of learners (the export streams).

After the last step it deletes every training record and the learners (as a fresh Tapestry
would be) and times `archive.archive_import` of that file (one transaction), then checks that
the counts came back. It also reports the process's peak resident memory (ru_maxrss).

Prints one JSON document on stdout.

    .venv/bin/python benchmarks/learning_archive.py
    .venv/bin/python benchmarks/learning_archive.py --database-url postgres://postgres@127.0.0.1:5432/tapestry_bench_archive
"""

import argparse
import datetime
import json
import os
import resource
import sys
import time
import tracemalloc
import uuid
import zipfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import BENCH_DIR, analyze, django_setup, log, machine, migrate

SLUG = "bench-archive"
EMAIL = "bench-learner-{}@example.org"
BATCH = 5000
# The export's peak memory at the largest step may be at most this many times the first's.
MEMORY_GROWTH_AT_MOST = 1.5


def wipe(*, learners_too: bool) -> None:
    """Delete every training record (and the bench learners): the database is a bench one."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from tapestry.learning.models import (
        Certificate,
        Completion,
        Course,
        CreditEntry,
        Enrollment,
        LearnerProfile,
        Requirement,
        SigningKey,
        Statement,
    )

    with transaction.atomic():
        with connection.cursor() as cursor:
            # The trail refuses deletes (a trigger on PostgreSQL); TRUNCATE fires no row trigger.
            if connection.vendor == "postgresql":
                cursor.execute("TRUNCATE learning_auditentry")
            else:
                cursor.execute("DELETE FROM learning_auditentry")
        for model in (
            Statement,
            CreditEntry,
            Certificate,
            Completion,
            Requirement,
            Enrollment,
            LearnerProfile,
        ):
            model.objects.all()._raw_delete(model.objects.db)  # type: ignore[attr-defined]
        Course.objects.all().delete()
        SigningKey.objects.all().delete()
        if learners_too:
            users = get_user_model().objects.filter(email__startswith="bench-learner-")
            from allauth.account.models import EmailAddress

            EmailAddress.objects.filter(user__in=users)._raw_delete(EmailAddress.objects.db)  # type: ignore[attr-defined]
            users._raw_delete(users.db)  # type: ignore[attr-defined]


def statement_body(
    *, user_id: int, verb: str, course_id: int, registration: uuid.UUID, when: datetime.datetime
) -> dict[str, Any]:
    from django.conf import settings

    from tapestry.learning.statements import ACTIVITY_TYPES, VERBS, XAPI_VERSION, agent_for

    moment = when.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    body: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "actor": agent_for(user_id),
        "verb": {"id": VERBS[verb], "display": {"en-US": verb}},
        "object": {
            "objectType": "Activity",
            "id": f"{settings.SITE_URL}/learning/activities/course/{course_id}",
            "definition": {"type": ACTIVITY_TYPES["course"], "name": {"en-US": "Bench course"}},
        },
        "context": {"registration": str(registration), "platform": "Tapestry", "language": "en-US"},
        "timestamp": moment,
        "stored": moment,
        "authority": {
            "objectType": "Agent",
            "name": "Tapestry",
            "account": {"homePage": settings.SITE_URL, "name": "tapestry"},
        },
        "version": XAPI_VERSION,
    }
    if verb == "completed":
        body["result"] = {"completion": True, "score": {"scaled": 0.9}}
    return body


def learners_add(*, start: int, stop: int, course: Any, credential: str) -> None:
    """Learners start..stop-1, each with an enrollment, a completion, its certificate and two
    statements, in batches of BATCH rows."""
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from tapestry.learning.models import Certificate, Completion, Enrollment, Statement
    from tapestry.learning.services import certificate_code_new
    from tapestry.learning.statements import VERBS

    user_model = get_user_model()
    base = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
    for first in range(start, stop, BATCH):
        numbers = range(first, min(first + BATCH, stop))
        with transaction.atomic():
            users = user_model.objects.bulk_create(
                user_model(
                    email=EMAIL.format(number),
                    full_name=f"Learner {number}",
                    preferred_language="es" if number % 5 == 0 else "en",
                    password="!",  # noqa: S106 - "!" is Django's unusable password
                )
                for number in numbers
            )
            enrollments = Enrollment.objects.bulk_create(
                Enrollment(user_id=user.pk, course=course, registration=uuid.uuid4())
                for user in users
            )
            moments = [base + datetime.timedelta(minutes=number) for number in numbers]
            completions = Completion.objects.bulk_create(
                Completion(
                    user_id=user.pk,
                    course=course,
                    course_version=1,
                    completed_at=moment,
                    expires_at=moment + datetime.timedelta(days=365),
                    score=90,
                )
                for user, moment in zip(users, moments, strict=True)
            )
            Certificate.objects.bulk_create(
                Certificate(
                    completion=completion,
                    code=certificate_code_new(),
                    issued_at=completion.completed_at,
                    status_index=number + 2,  # 1 is the real certificate the JWT was signed for
                    credential_jwt=credential,
                )
                for completion, number in zip(completions, numbers, strict=True)
            )
            statements = []
            for user, enrollment, moment in zip(users, enrollments, moments, strict=True):
                for verb, when in (
                    ("registered", moment - datetime.timedelta(days=1)),
                    ("completed", moment),
                ):
                    body = statement_body(
                        user_id=user.pk,
                        verb=verb,
                        course_id=course.pk,
                        registration=enrollment.registration,
                        when=when,
                    )
                    statements.append(
                        Statement(
                            id=uuid.UUID(body["id"]),
                            stored=when,
                            timestamp=when,
                            user_id=user.pk,
                            agent_key=f"account:{body['actor']['account']['homePage']}|{user.pk}",
                            verb=VERBS[verb],
                            activity=body["object"]["id"],
                            registration=enrollment.registration,
                            body=body,
                        )
                    )
            Statement.objects.bulk_create(statements)


def export(path: Path) -> tuple[float, float, int]:
    from tapestry.learning.archive import archive_write

    started = time.perf_counter()
    cpu_started = time.process_time()
    with path.open("wb") as target:
        size = archive_write(target=target)
    return time.perf_counter() - started, time.process_time() - cpu_started, size


def member_rows(path: Path) -> dict[str, int]:
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read("manifest.json"))["counts"]


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument(
        "--database-url",
        help="Database to build (default: a fresh SQLite file in var/bench/). Its training "
        "records are deleted first.",
    )
    parser.add_argument(
        "--steps",
        default="10000,100000",
        help="Learner counts to measure the export at, in increasing order (comma-separated).",
    )
    args = parser.parse_args()
    steps = [int(step) for step in args.steps.split(",")]

    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    if args.database_url:
        database_url = args.database_url
        if "bench" not in database_url.rsplit("/", 1)[-1]:
            parser.error("refusing to delete the training records of a database not named *bench*")
    else:
        path = BENCH_DIR / "learning_archive.sqlite3"
        for stale in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            stale.unlink(missing_ok=True)
        database_url = f"sqlite:///{path}"

    django_setup(database_url)
    from django.conf import settings

    settings.MEDIA_ROOT = str(BENCH_DIR / "media")
    from tapestry.learning import credentials
    from tapestry.learning.archive import archive_import
    from tapestry.learning.models import Certificate, Completion, Enrollment
    from tapestry.learning.tests.factories import course_make

    log(f"migrating {database_url}")
    migrate()
    wipe(learners_too=True)
    machine_info = machine()
    course = course_make(slug=SLUG, title="Bench course", compliance=True)
    # One real certificate, signed; every generated one carries a copy of its credential.
    from django.contrib.auth import get_user_model

    signer = get_user_model().objects.create_user(email=EMAIL.format("signer"), password=None)
    real = Completion.objects.create(
        user_id=signer.pk,
        course=course,
        course_version=1,
        completed_at=datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC),
        score=100,
    )
    Enrollment.objects.create(user_id=signer.pk, course=course)
    certificate = Certificate.objects.create(
        completion=real,
        code="BNCH-0000-0000-0001",
        issued_at=real.completed_at,
        status_index=1,
    )
    certificate.credential_jwt = credentials.credential_sign(certificate=certificate)
    certificate.save(update_fields=["credential_jwt"])

    archive_path = BENCH_DIR / "learning_archive.zip"
    results: list[dict[str, Any]] = []
    written = 0
    for step in steps:
        log(f"writing learners up to {step}")
        started = time.perf_counter()
        learners_add(start=written, stop=step, course=course, credential=certificate.credential_jwt)
        generate_seconds = time.perf_counter() - started
        written = step
        analyze()
        log("exporting")
        seconds, cpu_seconds, size = export(archive_path)
        log("exporting under tracemalloc")
        tracemalloc.start()
        tracemalloc.reset_peak()
        export(archive_path)
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        result = {
            "learners": step,
            "generate_seconds": round(generate_seconds, 1),
            "export_seconds": round(seconds, 2),
            "export_cpu_seconds": round(cpu_seconds, 2),
            "archive_bytes": size,
            "counts": member_rows(archive_path),
            "export_tracemalloc_peak_kib": round(peak / 1024),
        }
        log(json.dumps(result))
        results.append(result)

    log("deleting every training record and the learners, then importing")
    wipe(learners_too=True)
    started = time.perf_counter()
    cpu_started = time.process_time()
    with archive_path.open("rb") as source:
        imported = archive_import(file=source, actor=None)
    import_seconds = time.perf_counter() - started
    import_cpu_seconds = time.process_time() - cpu_started
    expected = results[-1]["counts"]
    came_back = {key: imported.counts.get(key) for key in expected}
    log(json.dumps({"import_seconds": round(import_seconds, 1), "counts": came_back}))

    first, last = results[0], results[-1]
    print(
        json.dumps(
            {
                "benchmark": "learning_archive",
                "commit": machine_info["commit"],
                "machine": machine_info,
                "results": results,
                "import": {
                    "learners": last["learners"],
                    "seconds": round(import_seconds, 1),
                    "cpu_seconds": round(import_cpu_seconds, 1),
                    "one_transaction": True,
                    "counts": came_back,
                    "counts_match": came_back == expected,
                },
                # ru_maxrss is in KiB on Linux: the whole process, data generation included.
                "max_resident_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                "load_average_1m_at_end": round(os.getloadavg()[0], 2),
                "target": {
                    "memory_constant": last["export_tracemalloc_peak_kib"]
                    <= MEMORY_GROWTH_AT_MOST * first["export_tracemalloc_peak_kib"],
                    "import_complete": came_back == expected,
                },
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
