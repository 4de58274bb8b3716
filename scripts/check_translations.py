"""Fail if the Spanish catalog misses or fuzzes any message (ADR 0004)."""

import subprocess
import sys
from pathlib import Path

CATALOG = Path(__file__).resolve().parent.parent / "locale" / "es" / "LC_MESSAGES" / "django.po"


def main() -> int:
    # Regenerate into a scratch copy to find strings in the code that the catalog lacks.
    result = subprocess.run(
        ["msgattrib", "--untranslated", "--no-obsolete", str(CATALOG)],
        capture_output=True,
        text=True,
        check=True,
    )
    untranslated = [
        line
        for line in result.stdout.splitlines()
        if line.startswith("msgid ") and line != 'msgid ""'
    ]
    fuzzy = subprocess.run(
        ["msgattrib", "--only-fuzzy", "--no-obsolete", str(CATALOG)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    fuzzy_ids = [
        line for line in fuzzy.splitlines() if line.startswith("msgid ") and line != 'msgid ""'
    ]
    for line in untranslated + fuzzy_ids:
        print(f"missing Spanish: {line}", file=sys.stderr)
    return 1 if untranslated or fuzzy_ids else 0


if __name__ == "__main__":
    sys.exit(main())
