from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tapestry.research.models import Release
from tapestry.research.services import ReleaseInProgress, release_create
from tapestry.research.warehouse.release import ReleaseError


class Command(BaseCommand):
    help = (
        "Build a versioned release from generated data: the DuckDB warehouse, every "
        "participant's underrepresentation categories and the public summaries."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--source",
            type=Path,
            help="A folder written by research_generate (default: the newest one).",
        )
        parser.add_argument("--name", dest="release_version", help="The release's version name.")
        parser.add_argument(
            "--if-missing",
            action="store_true",
            help="Do nothing if a release with this name is already ready.",
        )

    def handle(
        self, *args: object, source: Path | None, release_version: str | None, **options: Any
    ) -> None:
        if options["if_missing"] and release_version:
            existing = Release.objects.filter(
                version=release_version, status=Release.Status.READY
            ).first()
            if existing:
                self.stdout.write(f"Release {existing} is already ready.")
                return
        source = source or self._newest_source()
        if not source.is_dir():
            raise CommandError(f"{source} is not a folder of generated data.")
        self.stdout.write(f"Building a release from {source} …")
        try:
            release = release_create(source=source, version=release_version)
        except (ReleaseError, ReleaseInProgress) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Release {release.version} is ready: {release.participants:,} participants, "
                f"{release.events:,} events, built in {release.seconds:.1f} s."
            )
        )

    def _newest_source(self) -> Path:
        generated = Path(settings.RESEARCH_DATA_DIR) / "generated"
        candidates = sorted(
            (path for path in generated.glob("*") if (path / "manifest.json").is_file()),
            key=lambda path: path.stat().st_mtime,
        )
        if not candidates:
            raise CommandError(
                f"No generated data in {generated}; run research_generate first or pass --source."
            )
        return candidates[-1]
