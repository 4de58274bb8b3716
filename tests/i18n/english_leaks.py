"""Find English words left in a page rendered in Spanish.

A page is read as a person (or a screen reader) meets it: the text of every element and the
attributes that are shown or spoken (`alt`, `title`, `placeholder`, `aria-label`, a button's
`value`). Scripts, styles and `<code>` are skipped, and so is anything inside an element that
declares itself English (`lang="en"`), the way WCAG asks a page to mark a passage in another
language (a SNOMED concept name, the "English" language switch). Words in capitals are
abbreviations and codes ("OR" and "IN" are Oregon and Indiana on the region map), not prose.
"""

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

ENGLISH_WORDS_FILE = Path(__file__).resolve().parent / "english_words.txt"

# Elements never drawn as text, or that hold literal code and data.
_SKIPPED_ELEMENTS = frozenset({"script", "style", "template", "code", "pre", "kbd", "samp"})
# Elements with no end tag: they never enter the open-element stack.
_VOID_ELEMENTS = frozenset(
    {
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr",
    }
)  # fmt: skip
_SPOKEN_ATTRIBUTES = ("alt", "title", "placeholder", "aria-label", "aria-description")
_WORD = re.compile(r"[^\W\d_]+")


def english_words() -> frozenset[str]:
    """The word list: one lower-case word a line, `#` starts a comment."""
    lines = ENGLISH_WORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(
        line.strip().lower() for line in lines if line.strip() and not line.startswith("#")
    )


@dataclass(frozen=True)
class Leak:
    """One English word found, with the text it sits in so the fix is easy to find."""

    word: str
    text: str


class _VisibleText(HTMLParser):
    """Collects the visible and spoken text of a page outside English or code elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        # One entry per open element: (tag, whether its content is excluded from the scan).
        self._open: list[tuple[str, bool]] = []
        self.texts: list[str] = []

    def _excluded(self) -> bool:
        return bool(self._open) and self._open[-1][1]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        language = (attributes.get("lang") or "").lower()
        excluded = (
            self._excluded()
            or tag in _SKIPPED_ELEMENTS
            or language == "en"
            or language.startswith("en-")
            or attributes.get("type") == "hidden"
        )
        if not excluded:
            self.texts.extend(
                value for name in _SPOKEN_ATTRIBUTES if (value := attributes.get(name))
            )
            if tag == "input" and attributes.get("type") in {"submit", "button", "reset"}:
                self.texts.append(attributes.get("value") or "")
        if tag not in _VOID_ELEMENTS:
            self._open.append((tag, excluded))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # `<rect ... />` and other self-closed elements open nothing.
        self.handle_starttag(tag, attrs)
        if tag not in _VOID_ELEMENTS:
            self._open.pop()

    def handle_endtag(self, tag: str) -> None:
        # Close up to the matching element; a stray end tag closes nothing.
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index][0] == tag:
                del self._open[index:]
                return

    def handle_data(self, data: str) -> None:
        if not self._excluded() and data.strip():
            self.texts.append(" ".join(data.split()))


def visible_texts(html: str) -> list[str]:
    """The page's visible and spoken text, one entry per text node or attribute."""
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    return parser.texts


def english_leaks(
    html: str, *, words: frozenset[str], english_data: tuple[str, ...] = ()
) -> list[Leak]:
    """Every English word from `words` in the page's visible text, in page order.

    `english_data` names values that exist only in English and sit where no `lang` attribute
    can mark them (a concept name in the page's `<title>`); they are left out of the scan.
    """
    leaks: list[Leak] = []
    for text in visible_texts(html):
        prose = text
        for value in english_data:
            # Whole words only: a code such as "es" must not cut "Regiones" into "Region".
            prose = re.sub(rf"(?<!\w){re.escape(value)}(?!\w)", " ", prose)
        leaks.extend(
            Leak(word=word, text=text)
            for word in _WORD.findall(prose)
            if word.lower() in words and not word.isupper()
        )
    return leaks
