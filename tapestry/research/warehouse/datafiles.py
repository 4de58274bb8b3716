"""Reading the warehouse's data files (CSV and TOML under `data/`) into typed values.

A data file is a list of rows with named fields: a CSV file's lines (the first line names the
columns) or a TOML file's array of tables (`[[condition]]` ...). `csv_rows` and `toml_rows`
return `Row`s, whose typed getters (`integer`, `number`, `text`, ...) convert and check one
field each. Every problem (a missing or unknown field, a value of the wrong type, a number out
of range) raises `DataFileError` naming the file, the row and the field, so a typo in a data
file stops the generator with a message that says where to look, never with a KeyError deep in
the numpy code.

Imports neither Django nor the ORM.
"""

from __future__ import annotations

import csv
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data"


class DataFileError(ValueError):
    """A data file is malformed; the message names the file, the row and the field."""


class Row:
    """One row of a data file. Each getter reads one field, converts it and checks it.

    CSV fields are text and are converted; TOML fields already carry their type and are only
    checked. An empty CSV field counts as absent, so the getter's default applies.
    """

    def __init__(self, *, path: Path, where: str, values: Mapping[str, Any], is_text: bool) -> None:
        self.path = path
        self.where = where  # "row 12" (a CSV line) or "[[condition]] 3" (a TOML table)
        self.values = dict(values)
        self.is_text = is_text
        self._read: set[str] = set()

    def error(self, message: str) -> DataFileError:
        """An error naming this row's file and place, for the caller to raise."""
        return DataFileError(f"{self.path.name}, {self.where}: {message}")

    def _get(self, name: str, default: Any) -> Any:
        self._read.add(name)
        value = self.values.get(name)
        if value is None or (self.is_text and value == ""):
            if default is _REQUIRED:
                raise self.error(f"'{name}' is missing")
            return default
        return value

    def integer(self, name: str, default: int | None = None, *, minimum: int | None = None) -> int:
        """A whole number; `default` when absent (None: the field is required)."""
        value = self._get(name, _REQUIRED if default is None else default)
        if self.is_text and isinstance(value, str):
            try:
                value = int(value)
            except ValueError:
                raise self.error(f"'{name}' must be a whole number, not {value!r}") from None
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(f"'{name}' must be a whole number, not {value!r}")
        if minimum is not None and value < minimum:
            raise self.error(f"'{name}' must be at least {minimum}, not {value}")
        return value

    def number(
        self,
        name: str,
        default: float | None = None,
        *,
        minimum: float | None = None,
        maximum: float | None = None,
    ) -> float:
        value = self._get(name, _REQUIRED if default is None else default)
        if self.is_text and isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                raise self.error(f"'{name}' must be a number, not {value!r}") from None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(f"'{name}' must be a number, not {value!r}")
        value = float(value)
        if minimum is not None and value < minimum:
            raise self.error(f"'{name}' must be at least {minimum}, not {value}")
        if maximum is not None and value > maximum:
            raise self.error(f"'{name}' must be at most {maximum}, not {value}")
        return value

    def text(self, name: str, default: str | None = None, *, choices: tuple[str, ...] = ()) -> str:
        value = self._get(name, _REQUIRED if default is None else default)
        if not isinstance(value, str):
            raise self.error(f"'{name}' must be text, not {value!r}")
        if choices and value not in choices:
            raise self.error(f"'{name}' must be one of {', '.join(choices)}, not {value!r}")
        return value

    def optional_text(self, name: str, *, choices: tuple[str, ...] = ()) -> str | None:
        if self.values.get(name) in (None, ""):
            self._read.add(name)
            return None
        return self.text(name, choices=choices)

    def texts(self, name: str) -> tuple[str, ...]:
        """A list of text: a TOML array, or a CSV field of words separated by spaces."""
        value = self._get(name, ())
        if self.is_text and isinstance(value, str):
            return tuple(value.split())
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise self.error(f"'{name}' must be a list of text, not {value!r}")
        return tuple(value)

    def integers(self, name: str, default: tuple[int, ...] | None = None) -> tuple[int, ...]:
        value = self._get(name, _REQUIRED if default is None else default)
        if self.is_text and isinstance(value, str):
            try:
                return tuple(int(part) for part in value.split())
            except ValueError:
                raise self.error(f"'{name}' must be whole numbers, not {value!r}") from None
        if not isinstance(value, list | tuple) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in value
        ):
            raise self.error(f"'{name}' must be a list of whole numbers, not {value!r}")
        return tuple(value)

    def numbers(
        self, name: str, *, count: int | None = None, minimum: float | None = None
    ) -> tuple[float, ...]:
        """A TOML array of numbers (`count` of them when given, each at least `minimum`)."""
        value = self._get(name, _REQUIRED)
        if (
            not isinstance(value, list)
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
            or (count is not None and len(value) != count)
        ):
            wanted = f"{count} numbers" if count is not None else "numbers"
            raise self.error(f"'{name}' must be a list of {wanted}, not {value!r}")
        if minimum is not None and any(v < minimum for v in value):
            raise self.error(f"'{name}' must hold numbers of at least {minimum}, not {value!r}")
        return tuple(float(v) for v in value)

    def factors(self, name: str) -> dict[str, float]:
        """A TOML inline table of names to non-negative numbers ({ obesity = 2.4, ... })."""
        value = self._get(name, {})
        if not isinstance(value, dict):
            raise self.error(f"'{name}' must be a table of names to numbers, not {value!r}")
        factors: dict[str, float] = {}
        for key, factor in value.items():
            if isinstance(factor, bool) or not isinstance(factor, int | float) or factor < 0:
                raise self.error(f"'{name}.{key}' must be a number of 0 or more, not {factor!r}")
            factors[key] = float(factor)
        return factors

    def rows(self, name: str) -> list[Row]:
        """A TOML array of inline tables, each as a Row (e.g. a treatment's choices)."""
        value = self._get(name, [])
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise self.error(f"'{name}' must be a list of tables, not {value!r}")
        return [
            Row(path=self.path, where=f"{self.where}, {name} {index}", values=item, is_text=False)
            for index, item in enumerate(value, 1)
        ]

    def finish(self) -> None:
        """Refuse fields no getter read: a misspelt field name must not be ignored."""
        unknown = sorted(
            name
            for name, value in self.values.items()
            if name not in self._read and not (self.is_text and value in ("", None))
        )
        if unknown:
            raise self.error(f"unknown field {', '.join(repr(name) for name in unknown)}")


_REQUIRED: Any = object()


def csv_rows(name: str, *, directory: Path = DATA_DIR) -> list[Row]:
    """The rows of `directory/name`, a CSV file whose first line names the columns."""
    path = directory / name
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        rows: list[Row] = []
        for values in reader:
            # Line numbers as an editor shows them: the header is line 1.
            where = f"row {reader.line_num}"
            if None in values:
                raise DataFileError(f"{path.name}, {where}: more fields than columns")
            if any(value is None for value in values.values()):
                raise DataFileError(f"{path.name}, {where}: fewer fields than columns")
            rows.append(Row(path=path, where=where, values=values, is_text=True))
    return rows


def toml_document(name: str, *, directory: Path = DATA_DIR) -> dict[str, Any]:
    path = directory / name
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise DataFileError(f"{path.name}: {error}") from error


def toml_rows(
    name: str, table: str, *, directory: Path = DATA_DIR, document: dict[str, Any] | None = None
) -> list[Row]:
    """The `[[table]]` entries of the TOML file `directory/name`, in file order."""
    path = directory / name
    entries = (document if document is not None else toml_document(name, directory=directory)).get(
        table, []
    )
    if not isinstance(entries, list):
        raise DataFileError(f"{path.name}: '{table}' must be an array of tables ([[{table}]])")
    return [
        Row(path=path, where=f"[[{table}]] {index}", values=values, is_text=False)
        for index, values in enumerate(entries, 1)
    ]
