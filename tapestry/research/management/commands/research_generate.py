from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tapestry.research.services import rural_zips_latest
from tapestry.research.warehouse.generate import DEFAULT_CHUNK_SIZE, GenerationError, generate
from tapestry.research.warehouse.rural import RuralListError, parse_lines

# Where data sets go when --out is not given (research_release looks there for the newest).
DEFAULT_ROOT = Path(settings.BASE_DIR) / "var" / "research"


def default_out(participants: int, seed: int) -> Path:
    root = Path(getattr(settings, "RESEARCH_DATA_DIR", DEFAULT_ROOT))
    return root / "generated" / f"{participants}-{seed}"


class Command(BaseCommand):
    help = (
        "Write a deterministic synthetic OMOP data set (Parquet, one folder per table, and "
        "manifest.json) for the research warehouse."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--participants", type=int, required=True, help="How many people.")
        parser.add_argument("--seed", type=int, required=True, help="Random seed (0 or more).")
        parser.add_argument(
            "--out",
            type=Path,
            help="Folder to write (default: var/research/generated/<participants>-<seed>). "
            "An earlier data set there is replaced.",
        )
        parser.add_argument(
            "--chunk-size",
            type=int,
            default=DEFAULT_CHUNK_SIZE,
            help=f"Participants per chunk (default {DEFAULT_CHUNK_SIZE:,}).",
        )
        parser.add_argument(
            "--workers", type=int, help="Worker processes (default: up to 2, one per CPU)."
        )
        parser.add_argument(
            "--rural-zips",
            type=Path,
            help="A FORHP list file ('STATE,ZIP' lines) to place rural participants in "
            "(default: the newest list loaded with research_load_rural_zips; with none, "
            "nobody is placed rurally).",
        )

    def handle(self, *args: object, **options: Any) -> None:
        participants: int = options["participants"]
        seed: int = options["seed"]
        chunk_size: int = options["chunk_size"]
        workers: int | None = options["workers"]
        if participants < 1:
            raise CommandError(f"--participants must be at least 1 (got {participants}).")
        if seed < 0:
            raise CommandError(f"--seed must be zero or more (got {seed}).")
        if chunk_size < 1:
            raise CommandError(f"--chunk-size must be at least 1 (got {chunk_size}).")
        if workers is not None and workers < 1:
            raise CommandError(f"--workers must be at least 1 (got {workers}).")
        out: Path = options["out"] or default_out(participants, seed)
        rural_list, rural_zips = self._rural_zips(options["rural_zips"])
        if not rural_zips:
            self.stdout.write("No rural ZIP list: nobody will be placed in a rural ZIP code.")
        try:
            manifest = generate(
                out,
                participants,
                seed,
                chunk_size,
                workers=workers,
                rural_zips=rural_zips,
                rural_list=rural_list,
            )
        except GenerationError as error:
            raise CommandError(str(error)) from error
        except OSError as error:
            where = f" ({error.filename})" if error.filename else ""
            raise CommandError(
                f"Cannot write to {out}: {error.strerror or error}{where}."
            ) from error
        self.stdout.write(
            f"Generated {manifest['participants']:,} participants (seed {seed}) with "
            f"{manifest['events']:,} events in {manifest['seconds']:.1f} s: {out}"
        )

    def _rural_zips(self, file: Path | None) -> tuple[str | None, frozenset[str]]:
        """The rural ZIP codes to place people in: the file given, else the newest loaded
        list, else none."""
        if file is not None:
            try:
                with file.open(encoding="utf-8") as lines:
                    return file.name, frozenset(parse_lines(lines))
            except OSError as error:
                raise CommandError(f"Cannot read {file}: {error.strerror or error}.") from error
            except (RuralListError, UnicodeDecodeError) as error:
                raise CommandError(f"{file}: {error}.") from error
        latest = rural_zips_latest()
        return (None, frozenset()) if latest is None else latest
