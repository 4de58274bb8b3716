"""Full-text search of published texts, through each database's own full-text index.

What is indexed: only what the public reads, the `published_*` copy of a text (title, summary,
body with its HTML tags dropped, transcript), and only while the text is published:
`text_index` is called by `services.text_publish` inside its transaction (a re-publication
replaces the text's row, never adds one) and `text_remove` by `services.text_withdraw`. A
draft's words are never indexed. `texts_find` returns published texts in one language, best
match first.

Where: one table, `resources_textsearch`, one row per published text, made by migration 0003
for the database it runs on (Django cannot declare either kind portably, as for concept search,
ADR 0017). It sits beside `resources_resourcetext` rather than in a model field, so the pages
that list texts never load an index they do not show, and SQLite carries no empty tsvector
column:

- **PostgreSQL**: a stored tsvector per text, `setweight(to_tsvector(config, title), 'A') ||
  … summary 'B' || … body and transcript 'C'`, in the text's own language configuration
  (`english` for en, `spanish` for es), under a GIN index, beside the text's language. A
  query is `plainto_tsquery(config of the language searched, words)`, ranked by `ts_rank`
  (title above summary above body), then newest first.
- **SQLite**: an FTS5 virtual table with three columns (title, summary, body and transcript)
  holding accent-free Snowball stems (the `snowballstemmer` package, the same algorithms as
  PostgreSQL's `english_stem` and `spanish_stem`). A query is its words, stemmed the same way
  in the language searched, every word required; ranked by `bm25` with the title weighted
  10, the summary 4, the body 1, then newest first.

Accents: both databases see the words with their accents taken off in Python (Unicode NFKD,
combining marks dropped) before stemming, on both sides of the match, so "corazon" finds
"corazón", "nino" finds "niño", and "diabético", "diabetica" and "diabetes" all stem to
`diabet`. (Stemming first would not do: Snowball stems "información" to `inform` but the
unaccented "informacion" to `informacion` in PostgreSQL's version of the algorithm.)

The query: its words are the runs of letters and digits, accents off; the language's little
words ("the", "of" / "el", "de", from data/function_words.csv) are dropped, as the PostgreSQL
configurations drop their stop words; at most `MAX_QUERY_WORDS` are kept. Every remaining word
must be found (`plainto_tsquery` semantics; no operators: quotes, `*`, `-`, `OR`, `NEAR(` are
punctuation to both databases). `plainto_tsquery` rather than `websearch_to_tsquery` because
FTS5 has no equivalent of the latter's rules ("or", "-word", quoted phrases): with plain
words, both databases find the same texts. **A query with no word left (empty, only spaces,
punctuation or operators, only little words) finds nothing**: `texts_find` returns an empty
QuerySet, never raises, on either database.

Where the two differ: PostgreSQL's stop word lists are longer than data/function_words.csv,
so a query made only of, say, "those" finds nothing there and what has "those" on SQLite;
ts_rank and bm25 weigh repeated words differently, so the order of close matches may differ
(a title match still comes before a body-only one on both). Rows leave the index with their
texts (triggers, on delete and, on PostgreSQL, on truncate); texts loaded in bulk, or
published before the index existed, are indexed with `texts_reindex()`.

The QuerySet `texts_find` returns can be filtered further (`.filter(resource__focus_areas__
slug=…)`), counted, sliced and paginated; it carries `search_rank` and its order. It joins
the index table by name (`QuerySet.extra`), so use it as the outer query: do not nest it
in another query (`pk__in=texts_find(...)`), which renames its tables.
"""

import csv
import re
import unicodedata
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import snowballstemmer
from django.db import connection
from django.db.models import QuerySet

from tapestry.resources.models import Language, ResourceText
from tapestry.resources.readability import plain_text

INDEX_TABLE = "resources_textsearch"
TEXT_TABLE = ResourceText._meta.db_table
FUNCTION_WORDS_FILE = Path(__file__).resolve().parent / "data" / "function_words.csv"
MAX_QUERY_WORDS = 32
# PostgreSQL's text search configuration and Snowball's stemmer per language.
CONFIGURATION = {Language.ENGLISH: "english", Language.SPANISH: "spanish"}
# bm25 weights of the FTS5 columns (title, summary, body), as the tsvector's A, B and C.
BM25_WEIGHTS = (10.0, 4.0, 1.0)

_WORD = re.compile(r"[^\W_]+")


def unaccented(text: str) -> str:
    """`text` with accents and other combining marks taken off ("corazón" → "corazon")."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(character for character in decomposed if not unicodedata.combining(character))


@cache
def _little_words() -> dict[str, frozenset[str]]:
    with FUNCTION_WORDS_FILE.open(newline="", encoding="utf-8") as file:
        return {
            row["language"]: frozenset(unaccented(row["words"]).casefold().split())
            for row in csv.DictReader(file)
        }


def words(text: str, language: str) -> list[str]:
    """The words of plain `text` that search looks at: lower case, accents off, little words
    of `language` dropped."""
    little = _little_words().get(language, frozenset())
    return [word for word in _WORD.findall(unaccented(text).casefold()) if word not in little]


@cache
def _stemmer(language: str) -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer(CONFIGURATION[Language(language)])


@cache
def _stem(language: str, word: str) -> str:
    return str(_stemmer(language).stemWord(word))


def stems(text: str, language: str) -> list[str]:
    """The Snowball stems of the words of plain `text` in `language` (what FTS5 stores)."""
    return [_stem(language, word) for word in words(text, language)]


def _configuration(language: str) -> str:
    if language not in CONFIGURATION:
        raise ValueError(f"no search configuration for language {language!r}")
    return CONFIGURATION[Language(language)]


def _published_parts(text: ResourceText) -> tuple[str, str, str]:
    """The published title, summary, and body with transcript, as plain text, accents off."""
    body = plain_text(f"{text.published_body}<p>{text.published_transcript}</p>")
    return (
        unaccented(text.published_title),
        unaccented(text.published_summary),
        unaccented(body),
    )


def _index_rows(texts: Iterable[ResourceText]) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            vectors: list[tuple[int, str, str, str, str, str, str, str]] = []
            for text in texts:
                configuration = _configuration(text.language)
                title, summary, body = _published_parts(text)
                vectors.append(
                    (
                        text.pk,
                        text.language,
                        configuration,
                        title,
                        configuration,
                        summary,
                        configuration,
                        body,
                    )
                )
            cursor.executemany(
                f"INSERT INTO {INDEX_TABLE} (text_id, language, vector) VALUES (%s, %s, "  # noqa: S608
                "setweight(to_tsvector(%s::regconfig, %s), 'A') || "
                "setweight(to_tsvector(%s::regconfig, %s), 'B') || "
                "setweight(to_tsvector(%s::regconfig, %s), 'C')) "
                "ON CONFLICT (text_id) DO UPDATE "
                "SET language = EXCLUDED.language, vector = EXCLUDED.vector",
                vectors,
            )
        else:
            rows: list[tuple[int, str, str, str]] = []
            for text in texts:
                _configuration(text.language)
                title, summary, body = _published_parts(text)
                rows.append(
                    (
                        text.pk,
                        " ".join(stems(title, text.language)),
                        " ".join(stems(summary, text.language)),
                        " ".join(stems(body, text.language)),
                    )
                )
            cursor.executemany(
                f"DELETE FROM {INDEX_TABLE} WHERE rowid = %s",  # noqa: S608
                [(row[0],) for row in rows],
            )
            cursor.executemany(
                f"INSERT INTO {INDEX_TABLE} (rowid, title, summary, body) "  # noqa: S608
                "VALUES (%s, %s, %s, %s)",
                rows,
            )


def text_index(text: ResourceText) -> None:
    """Make a newly published text findable (called inside the publishing transaction).

    Indexes its `published_*` words only; a text indexed before is replaced, not duplicated.
    """
    _index_rows([text])


def text_remove(text: ResourceText) -> None:
    """Make a withdrawn text unfindable (called inside the withdrawing transaction)."""
    column = "text_id" if connection.vendor == "postgresql" else "rowid"
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {INDEX_TABLE} WHERE {column} = %s", [text.pk])  # noqa: S608


def texts_reindex(*, batch_size: int = 1000) -> int:
    """Index every published text afresh (after a bulk load, or for texts published before
    the index existed); return how many. Run it in a transaction for an all-or-nothing swap."""
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {INDEX_TABLE}")  # noqa: S608
    published = ResourceText.objects.filter(published_at__isnull=False).only(
        "pk",
        "language",
        "published_title",
        "published_summary",
        "published_body",
        "published_transcript",
    )
    count = 0
    batch: list[ResourceText] = []
    for text in published.order_by("pk").iterator(chunk_size=batch_size):
        batch.append(text)
        if len(batch) == batch_size:
            _index_rows(batch)
            count += len(batch)
            batch = []
    _index_rows(batch)
    return count + len(batch)


def texts_find(*, query: str, language: str) -> QuerySet[ResourceText]:
    """Published texts in `language` matching every word of `query`, best match first (title,
    then summary, then body; then the newest), as a QuerySet callers may filter further and
    paginate. A query without a word to look for finds nothing (an empty QuerySet)."""
    configuration = _configuration(language)
    query_words = words(query, language)[:MAX_QUERY_WORDS]
    published = ResourceText.objects.filter(language=language, published_at__isnull=False)
    if not query_words:
        return published.none()
    if connection.vendor == "postgresql":
        tsquery = "plainto_tsquery(%s::regconfig, %s)"
        parameters = [configuration, " ".join(query_words)]
        # Only fixed names are formatted into the SQL; the words are parameters.
        return published.extra(  # noqa: S610
            select={"search_rank": f"ts_rank({INDEX_TABLE}.vector, {tsquery})"},
            select_params=parameters,
            tables=[INDEX_TABLE],
            where=[
                f"{INDEX_TABLE}.text_id = {TEXT_TABLE}.id",
                # The language here too, so only the language's texts are ranked: English
                # and Spanish share stems ("diabet", "clinic").
                f"{INDEX_TABLE}.language = %s",
                f"{INDEX_TABLE}.vector @@ {tsquery}",
            ],
            params=[language, *parameters],
            order_by=["-search_rank", "-published_at", "-id"],
        )
    # Stems hold only letters and digits, so quoting each is all FTS5's syntax needs; a
    # stem its tokenizer splits in two becomes a phrase, and nothing can read as an operator.
    match = " AND ".join(f'"{_stem(language, word)}"' for word in query_words)
    weights = ", ".join(str(weight) for weight in BM25_WEIGHTS)
    return published.extra(  # noqa: S610 (fixed names formatted in; the query a parameter)
        # bm25 is lower for a better match.
        select={"search_rank": f"bm25({INDEX_TABLE}, {weights})"},
        tables=[INDEX_TABLE],
        where=[f"{INDEX_TABLE}.rowid = {TEXT_TABLE}.id", f"{INDEX_TABLE} MATCH %s"],
        params=[match],
        order_by=["search_rank", "-published_at", "-id"],
    )
