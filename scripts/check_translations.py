"""Fail if the Spanish is incomplete, off-glossary, or leaves English on the main pages (ADR 0004).

Three checks, each printing what to fix:

1. Completeness: extracts the messages from the code first (makemessages), so a string added
   to a template or a module but never extracted is caught too, then fails on any message
   untranslated or fuzzy. The catalog file is put back as it was, so the check leaves the
   working tree unchanged.
2. Style: every `msgstr` follows docs/glossary-es.md: none of the forms its "Avoid" column
   lists (retired terms, *tú* forms), "Por favor," with its comma, and no Title Case headings.
3. Rendered pages: runs tests/i18n (the main pages rendered in Spanish by the Django test
   client, scanned for English words); `--no-pages` skips it.
"""

import argparse
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "locale" / "es" / "LC_MESSAGES" / "django.po"
GLOSSARY = ROOT / "docs" / "glossary-es.md"
PAGE_TESTS = ROOT / "tests" / "i18n"

# Placeholders and markup are not prose: "%(zip)s" is no Spanish word, nor is "mailto:".
_NOT_PROSE = re.compile(r"%\([^)]*\)[sdfr]|%[sdfr]|\{[^}]*\}|<[^>]*>")
_POR_FAVOR_WITHOUT_COMMA = re.compile(r"\bpor favor\b(?!,)", re.IGNORECASE)
_LONG_WORD = re.compile(r"[^\W\d_]{4,}")
# Proper nouns that keep their capitals in a Spanish phrase.
_PROPER_NOUNS = frozenset(
    {
        "Tapestry",
        "Internet",
        "Estados",
        "Unidos",
        "Oriente",
        "Medio",
        "Norte",
        "África",
        "Hawái",
        "Pacífico",
        "Likert",
        "REDCap",
    }
)


@dataclass(frozen=True)
class Message:
    """One catalog entry's source text and its Spanish (plural forms joined by " | ")."""

    msgid: str
    msgstr: str


@dataclass(frozen=True)
class AvoidedForm:
    """A Spanish form the glossary retires, and the term to use instead."""

    form: str
    instead: str
    pattern: re.Pattern[str]


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


def _unquote(line: str) -> str:
    """The text of a `keyword "..."` line of a .po file, unescaped."""
    quoted = line.split(" ", 1)[1]
    return quoted[1:-1].replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")


def catalog_messages(catalog: Path = CATALOG) -> list[Message]:
    """Every translated, current entry of the catalog, header excluded."""
    output = subprocess.run(
        ["msgattrib", "--translated", "--no-obsolete", "--no-wrap", str(catalog)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    messages = []
    for entry in output.split("\n\n"):
        lines = entry.splitlines()
        msgid = next((_unquote(line) for line in lines if line.startswith("msgid ")), "")
        msgstr = " | ".join(_unquote(line) for line in lines if line.startswith("msgstr"))
        if msgid:
            messages.append(Message(msgid=msgid, msgstr=msgstr))
    return messages


def glossary_avoided_forms(glossary: Path = GLOSSARY) -> list[AvoidedForm]:
    """The forms listed in the "Avoid" column of every table in the glossary."""
    avoided = []
    avoid_column = spanish_column = None
    for line in glossary.read_text(encoding="utf-8").splitlines():
        if not line.startswith("|"):
            avoid_column = spanish_column = None  # a table ended
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if "Avoid" in cells:
            avoid_column, spanish_column = cells.index("Avoid"), cells.index("Spanish")
            continue
        if avoid_column is None or spanish_column is None or set(line) <= set("|-: "):
            continue
        for form in filter(None, (part.strip() for part in cells[avoid_column].split(";"))):
            avoided.append(
                AvoidedForm(
                    form=form,
                    instead=cells[spanish_column],
                    pattern=re.compile(rf"(?<!\w){re.escape(form)}(?!\w)", re.IGNORECASE),
                )
            )
    return avoided


def _is_title_case(text: str) -> bool:
    """True for "Restablecer Contraseña": every long word capitalised, proper nouns aside."""
    if re.search(r"[.:;?!]", text):
        return False  # a sentence, where capitals after punctuation are normal
    words = [word for word in _LONG_WORD.findall(text) if word not in _PROPER_NOUNS]
    return len(words) >= 2 and all(word[0].isupper() for word in words)


def style_problems(message: Message, avoided: list[AvoidedForm]) -> list[str]:
    """Why one catalog entry's Spanish breaks the glossary or the style rules, if it does."""
    prose = _NOT_PROSE.sub(" ", message.msgstr)
    problems = [
        f"uses “{form.form}”; the glossary says “{form.instead}”"
        for form in avoided
        if form.pattern.search(prose)
    ]
    if _POR_FAVOR_WITHOUT_COMMA.search(prose):
        problems.append("“Por favor” needs a comma after it")
    if any(_is_title_case(part) for part in prose.split(" | ")):
        problems.append("Title Case: write it in sentence case")
    return problems


def check_complete() -> list[str]:
    """The msgid lines of messages the code uses that have no confirmed Spanish."""
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
        return _message_ids("--untranslated") + _message_ids("--only-fuzzy")
    finally:
        CATALOG.write_bytes(original)


def check_style() -> list[str]:
    """One line per catalog entry that breaks the glossary or the style rules."""
    avoided = glossary_avoided_forms()
    return [
        f"{message.msgstr!r} (for {message.msgid!r}): {problem}"
        for message in catalog_messages()
        for problem in style_problems(message, avoided)
    ]


def check_pages() -> int:
    """Run the rendered-page scan (tests/i18n); its exit status."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(PAGE_TESTS)],
        cwd=ROOT,
        check=False,
    ).returncode


def main(argv: list[str] | None = None) -> int:
    """Run the checks; 0 if the Spanish is complete, on-glossary and leaves no English."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--no-pages", action="store_true", help="skip rendering the main pages (tests/i18n)"
    )
    options = parser.parse_args(argv)

    missing = check_complete()
    for line in missing:
        print(f"missing Spanish: {line}", file=sys.stderr)
    if missing:
        print(
            "Run `manage.py makemessages -l es --add-location=file --ignore=.venv "
            "--ignore=node_modules` and translate these in locale/es/LC_MESSAGES/django.po.",
            file=sys.stderr,
        )
    off_glossary = check_style()
    for line in off_glossary:
        print(f"Spanish style: {line}", file=sys.stderr)
    if off_glossary:
        print("See docs/glossary-es.md.", file=sys.stderr)
    pages_status = 0 if options.no_pages else check_pages()
    return 1 if missing or off_glossary or pages_status else 0


if __name__ == "__main__":
    sys.exit(main())
