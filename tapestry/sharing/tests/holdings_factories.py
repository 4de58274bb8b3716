"""Helpers for the holdings tests: a holdings CSV file as a library would upload it."""

from collections.abc import Iterable, Sequence

HEADER = ("kind", "title", "issn", "isbn", "format", "licence_allows_lending", "holdings")


def holdings_csv(rows: Iterable[Sequence[str]], *, header: Sequence[str] = HEADER) -> bytes:
    """A CSV file (UTF-8, CRLF lines as spreadsheets save them) of these rows under a header."""
    lines = [",".join(header)]
    for row in rows:
        lines.append(
            ",".join(f'"{cell}"' if ("," in cell or ";" in cell) else cell for cell in row)
        )
    return ("\r\n".join(lines) + "\r\n").encode()
