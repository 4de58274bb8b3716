"""Fail if the Spanish catalog misses or fuzzes any message (ADR 0004).

Extracts the messages from the code first (makemessages), so a string added to a template
or a module but never extracted is caught too; the catalog file is put back as it was, so
the check leaves the working tree unchanged.
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "locale" / "es" / "LC_MESSAGES" / "django.po"


def _message_ids(*msgattrib_options: str) -> list[str]:
    """The msgid of each entry msgattrib selects, long (multi-line) ones included."""
    output = subprocess.run(
        ["msgattrib", *msgattrib_options, "--no-obsolete", "--no-wrap", str(CATALOG)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [
        line
        for entry in output.split("\n\n")
        if "Project-Id-Version" not in entry  # the catalog's header
        for line in entry.splitlines()
        if line.startswith("msgid ")
    ]


def main() -> int:
    original = CATALOG.read_bytes()
    try:
        subprocess.run(
            [
                sys.executable,
                "manage.py",
                "makemessages",
                "-l",
                "es",
                "--add-location=file",
                "--ignore=.venv",
                "--ignore=node_modules",
                "-v",
                "0",
            ],
            cwd=ROOT,
            check=True,
        )
        missing = _message_ids("--untranslated") + _message_ids("--only-fuzzy")
    finally:
        CATALOG.write_bytes(original)
    for line in missing:
        print(f"missing Spanish: {line}", file=sys.stderr)
    if missing:
        print(
            "Run `manage.py makemessages -l es --add-location=file --ignore=.venv "
            "--ignore=node_modules` and translate these in locale/es/LC_MESSAGES/django.po.",
            file=sys.stderr,
        )
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
