"""Concept search text: one normalization for what is stored and what is typed.

Normalizing in Python (not with a database's own unaccent or collation) is what lets SQLite
and PostgreSQL find the same concepts: the stored `ConceptTerm.normalized` and the query go
through the same `normalize`. See docs/adr/0017-concept-search-index.md.

Imports no Django: the benchmark and the tests use it on their own.
"""

import unicodedata


def normalize(text: str) -> str:
    """Lower case, no accents, words of letters and digits separated by one space.

    NFKD splits "é" into "e" and an accent (dropped) and turns compatibility characters into
    plain ones ("¹" and "①" become "1", "ﬁ" becomes "fi"); casefold lowers ("METFORMINA",
    "ß" → "ss"). Everything else (punctuation, the dot of "E11.9", hyphens) separates words,
    so both the SQLite tokenizer and PostgreSQL's parser see plain alphanumeric words.
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join("".join(c if c.isalnum() else " " for c in plain).split())


def words(text: str) -> list[str]:
    """The query's words, normalized; empty for text with no letter or digit ("?!", "—")."""
    return [word for word in normalize(text).split(" ") if word]
