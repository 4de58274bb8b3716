"""Full-text search of published texts: the same tests on SQLite (FTS5) and PostgreSQL
(tsvector and GIN), whichever DATABASE_URL names."""

import datetime
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tapestry.resources import clear_communication, search, services
from tapestry.resources.models import Resource, ResourceText

pytestmark = pytest.mark.django_db

ALL_YES = {str(item.number): "yes" for item in clear_communication.items()}
REASON = "Published for the search tests, whatever its grade."

ENGLISH_SCREENING = (
    "<p>A screening test looks for a disease before you feel sick. Your doctor can tell you "
    "which screening is right for you and when you should have it. Many people get a "
    "screening for cancer at the clinic near their home. It is quick and it can save your "
    "life.</p>"
)
SPANISH_DIABETES = (
    "<p>La diabetes es una enfermedad que sube el azúcar en la sangre. Con el tiempo, el "
    "azúcar alto daña los ojos, los riñones y los pies. Hable con su médico sobre la prueba "
    "de azúcar. Comer bien y caminar todos los días ayuda mucho a la salud de la familia.</p>"
)


def _through_services(
    author: Any, reviewer: Any, *, language: str, title: str, body: str
) -> ResourceText:
    """A text written, reviewed and published through the services, as on the staff pages."""
    text = services.resource_create(
        actor=author,
        kind="article",
        focus_areas=["health-literacy"],
        audiences=["public"],
        critical=False,
        language=language,
        title=title,
        body=body,
    )
    return _review_and_publish(author, reviewer, text)


def _review_and_publish(author: Any, reviewer: Any, text: ResourceText) -> ResourceText:
    text = services.text_submit(actor=author, text=text)
    services.clear_communication_record(actor=reviewer, text=text, answers=ALL_YES)
    return services.text_publish(actor=reviewer, text=text, above_target_reason=REASON)


def _published(
    author: Any,
    *,
    language: str,
    title: str,
    summary: str = "",
    body: str = "",
    transcript: str = "",
    published_at: datetime.datetime | None = None,
    focus_area: str = "health-literacy",
) -> ResourceText:
    """A published text made directly (its working and published copies the same), indexed."""
    resource = Resource.objects.create(kind="article", created_by=author)
    resource.focus_areas.set(
        [resource.focus_areas.model.objects.get(slug=focus_area)]  # type: ignore[attr-defined]
    )
    when = published_at or timezone.now()
    text = ResourceText.objects.create(
        resource=resource,
        language=language,
        status="published",
        title=title,
        summary=summary,
        body=body,
        transcript=transcript,
        author=author,
        last_edited_by=author,
        content_changed_at=when,
        slug=f"text-{resource.pk}",
        published_title=title,
        published_summary=summary,
        published_body=body,
        published_transcript=transcript,
        first_published_at=when,
        published_at=when,
    )
    search.text_index(text)
    return text


def _found(query: str, language: str) -> list[str]:
    return [text.published_title for text in search.texts_find(query=query, language=language)]


# --- stemming and accents ---------------------------------------------------------------------


def test_an_english_plural_finds_the_singular_of_a_text_published_through_the_services(
    sam_specialist: Any, paula_program_staff: Any
) -> None:
    # Given a text about screening, published through review
    _through_services(
        sam_specialist,
        paula_program_staff,
        language="en",
        title="Cancer screening",
        body=ENGLISH_SCREENING,
    )

    # When someone searches the English site for "screenings"
    found = _found("screenings", "en")

    # Then the text is found
    assert found == ["Cancer screening"]


def test_diabetico_finds_a_spanish_text_about_diabetes(
    sam_specialist: Any, paula_program_staff: Any
) -> None:
    # Given a Spanish text about diabetes, published through review
    _through_services(
        sam_specialist,
        paula_program_staff,
        language="es",
        title="Qué es la diabetes",
        body=SPANISH_DIABETES,
    )

    # When someone searches the Spanish site for "diabético" (and without its accent)
    found = _found("diabético", "es")
    found_unaccented = _found("DIABETICO", "es")

    # Then the text is found both times
    assert found == ["Qué es la diabetes"]
    assert found_unaccented == ["Qué es la diabetes"]


def test_a_query_without_accents_finds_the_words_with_them(sam_specialist: Any) -> None:
    # Given Spanish texts on the heart and on children's vaccines, with their accents
    _published(sam_specialist, language="es", title="Cuide su corazón", body="<p>Camine.</p>")
    _published(sam_specialist, language="es", title="Vacunas", summary="La vacunación de los niños")

    # When someone types the words without accents (or with accents on the plain words)
    # Then the texts are found
    assert _found("corazon", "es") == ["Cuide su corazón"]
    assert _found("vacunacion nino", "es") == ["Vacunas"]
    assert _found("vácunas", "es") == ["Vacunas"]


def test_the_transcript_and_the_body_without_its_tags_are_searched(sam_specialist: Any) -> None:
    # Given a video whose transcript speaks of asthma, and a text whose markup says "strong"
    _published(sam_specialist, language="en", title="A video", transcript="Asthma inhalers.")
    _published(
        sam_specialist, language="en", title="Marked up", body="<p><strong>Sleep</strong></p>"
    )

    # When someone searches for a word of the transcript, a word of the body, a tag's name
    # Then the first two are found, the tag is not a word of the text
    assert _found("inhaler", "en") == ["A video"]
    assert _found("sleeping", "en") == ["Marked up"]
    assert _found("strong", "en") == []


# --- languages ----------------------------------------------------------------------------


def test_a_search_on_the_english_site_finds_no_spanish_text(sam_specialist: Any) -> None:
    # Given only a Spanish text about diabetes
    _published(sam_specialist, language="es", title="La diabetes", body="<p>La diabetes.</p>")

    # When someone searches the English site for the same word
    found_in_english = _found("diabetes", "en")
    found_in_spanish = _found("diabetes", "es")

    # Then nothing is found in English, the text in Spanish
    assert found_in_english == []
    assert found_in_spanish == ["La diabetes"]


# --- what is published, and only that -------------------------------------------------------


def test_a_withdrawn_text_is_not_found(sam_specialist: Any, paula_program_staff: Any) -> None:
    # Given a published text
    text = _through_services(
        sam_specialist,
        paula_program_staff,
        language="en",
        title="Cancer screening",
        body=ENGLISH_SCREENING,
    )

    # When a reviewer withdraws it
    services.text_withdraw(actor=paula_program_staff, text=text, reason="Out of date advice.")

    # Then it is not found
    assert _found("screening", "en") == []


def test_a_republished_text_is_found_once_by_its_new_words_only(
    sam_specialist: Any, paula_program_staff: Any
) -> None:
    # Given a published text about screening
    text = _through_services(
        sam_specialist,
        paula_program_staff,
        language="en",
        title="Cancer screening",
        body=ENGLISH_SCREENING,
    )

    # When its words change to mammograms and it is published again
    text = services.text_save(
        actor=sam_specialist,
        text=text,
        title="Breast cancer mammograms",
        summary="",
        body=ENGLISH_SCREENING.replace("screening", "mammogram"),
    )
    _review_and_publish(sam_specialist, paula_program_staff, text)

    # Then the new words find it once, the old ones no longer do
    assert _found("mammograms", "en") == ["Breast cancer mammograms"]
    assert _found("cancer", "en") == ["Breast cancer mammograms"]
    assert _found("screening", "en") == []


def test_a_drafts_words_are_never_found(sam_specialist: Any, paula_program_staff: Any) -> None:
    # Given a published text whose author has since drafted new words, and a text never
    # published
    text = _through_services(
        sam_specialist,
        paula_program_staff,
        language="en",
        title="Cancer screening",
        body=ENGLISH_SCREENING,
    )
    services.text_save(
        actor=sam_specialist,
        text=text,
        title="Colonoscopy",
        summary="",
        body=ENGLISH_SCREENING.replace("screening", "colonoscopy"),
    )
    services.resource_create(
        actor=sam_specialist,
        kind="article",
        focus_areas=["health-literacy"],
        audiences=["public"],
        critical=False,
        language="en",
        title="Colonoscopy draft",
        body=ENGLISH_SCREENING.replace("screening", "colonoscopy"),
    )

    # When someone searches for the drafted word, and for the published one
    # Then the draft's word finds nothing; the published copy is still found
    assert _found("colonoscopy", "en") == []
    assert _found("screening", "en") == ["Cancer screening"]


# --- ranking, filtering, paging ---------------------------------------------------------


def test_a_title_match_comes_before_a_body_only_match(sam_specialist: Any) -> None:
    # Given an older text with the word in its title, a newer one with it in its body only,
    # and the newest with it in its summary
    long_ago = timezone.now() - datetime.timedelta(days=400)
    _published(
        sam_specialist,
        language="en",
        title="Flu shots",
        body="<p>Get one every fall.</p>",
        published_at=long_ago,
    )
    _published(
        sam_specialist,
        language="en",
        title="Staying well in winter",
        body="<p>Wash your hands. Get your flu shot. Sleep well.</p>",
        published_at=long_ago + datetime.timedelta(days=200),
    )
    _published(
        sam_specialist,
        language="en",
        title="Winter health",
        summary="What to know about the flu this year.",
        body="<p>Stay home when sick.</p>",
    )

    # When someone searches for "flu"
    found = _found("flu", "en")

    # Then the title match comes first, the summary match next, the body-only match last
    assert found == ["Flu shots", "Winter health", "Staying well in winter"]


def test_equal_matches_come_newest_first(sam_specialist: Any) -> None:
    # Given two texts that match alike, published a week apart
    week_ago = timezone.now() - datetime.timedelta(days=7)
    _published(sam_specialist, language="en", title="Sleep", published_at=week_ago)
    _published(sam_specialist, language="en", title="Sleep")

    # When someone searches for them
    found = [text.published_at for text in search.texts_find(query="sleep", language="en")]

    # Then the newest comes first
    assert len(found) == 2
    assert found[0] is not None and found[0] > week_ago
    assert found[1] == week_ago


def test_callers_filter_count_and_page_the_results(sam_specialist: Any) -> None:
    # Given three texts on sleep, two of them in the health literacy area
    for index in range(2):
        _published(sam_specialist, language="en", title=f"Sleep {index}")
    _published(sam_specialist, language="en", title="Sleep data", focus_area="digital-literacy")

    # When a caller narrows the search to health literacy, counts it and takes a page of one
    found = search.texts_find(query="sleep", language="en").filter(
        resource__focus_areas__slug="health-literacy"
    )

    # Then the filter, the count and the page hold
    assert found.count() == 2
    assert len(found[:1]) == 1
    assert sorted(text.published_title for text in found) == ["Sleep 0", "Sleep 1"]


def test_every_word_of_the_query_must_be_found(sam_specialist: Any) -> None:
    # Given texts on heart health and on lung health
    _published(sam_specialist, language="en", title="Heart health")
    _published(sam_specialist, language="en", title="Lung health")

    # When someone searches for both words of one title
    # Then only that text is found; the language's little words are not required
    assert _found("heart health", "en") == ["Heart health"]
    assert _found("the health of the heart", "en") == ["Heart health"]


def test_reindexing_indexes_every_published_text_once(sam_specialist: Any) -> None:
    # Given two published texts, one of them indexed twice
    text = _published(sam_specialist, language="en", title="Sleep")
    search.text_index(text)
    _published(sam_specialist, language="es", title="Dormir")

    # When the whole index is rebuilt
    count = search.texts_reindex()

    # Then each text is found once
    assert count == 2
    assert _found("sleep", "en") == ["Sleep"]
    assert _found("dormir", "es") == ["Dormir"]


def _index_rows() -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {search.INDEX_TABLE}")  # noqa: S608
        return int(cursor.fetchone()[0])


def test_deleting_a_resource_drops_its_texts_from_the_index(
    transactional_db: None, sam_specialist: Any
) -> None:
    # Given two published resources, indexed; this test commits, so the flush after it
    # (TRUNCATE on PostgreSQL) must get past the index table too
    text = _published(sam_specialist, language="en", title="Sleep")
    _published(sam_specialist, language="en", title="Sleep well")
    assert _index_rows() == 2

    # When the first resource is deleted
    Resource.objects.filter(pk=text.resource_id).delete()

    # Then its text's row is gone from the index; the other is still found
    assert _index_rows() == 1
    assert _found("sleep", "en") == ["Sleep well"]


def test_the_search_reads_the_full_text_index(sam_specialist: Any) -> None:
    # Given a published text (and, on PostgreSQL, the plans a table of one row favours priced
    # out: reading it whole, or from the texts' side; at 20,000 texts the planner picks the
    # GIN index by itself, as benchmarks/resources_search.py records)
    _published(sam_specialist, language="en", title="Heart health")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_indexscan = off")
            cursor.execute("SET LOCAL enable_nestloop = off")

        # When the database plans the first page of a search
        sql, parameters = search.texts_find(query="hearts", language="en")[
            :20
        ].query.sql_with_params()
        prefix = "EXPLAIN " if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN "
        cursor.execute(prefix + sql, parameters)
        plan = " ".join(str(row[-1]) for row in cursor.fetchall())

    # Then it reads the index: FTS5's virtual table, or the GIN index of the tsvectors
    expected = {
        "sqlite": "SCAN resources_textsearch VIRTUAL TABLE INDEX",
        "postgresql": "Bitmap Index Scan on resources_textsearch_vector",
    }
    assert expected[connection.vendor] in plan


# --- queries with nothing to look for ---------------------------------------------------


@pytest.mark.parametrize(
    "query",
    ["", "   ", '"', "*", "AND", "OR NOT", '" OR "', "-", "()", "'", "\\", "the of", "%_"],
)
def test_a_query_with_no_word_to_look_for_finds_nothing(sam_specialist: Any, query: str) -> None:
    # Given a published text with the words "and", "or", "not"
    _published(sam_specialist, language="en", title="And or not")

    # When someone searches only punctuation, operators, spaces or little words
    found = search.texts_find(query=query, language="en")

    # Then nothing is found, and nothing fails
    assert list(found) == []


def test_fts_operators_are_plain_words(sam_specialist: Any) -> None:
    # Given a text with the word "near" and one about the heart and the lungs
    _published(sam_specialist, language="en", title="Clinics near you")
    _published(sam_specialist, language="en", title="Heart and lungs")

    # When the words FTS5 reads as operators (unquoted) are searched
    # Then they are words like any other ("and", "not", "or" are little words, dropped)
    assert search.words("NEAR(heart, lung*) AND NOT OR", "en") == ["near", "heart", "lung"]
    assert _found("NEAR(", "en") == ["Clinics near you"]
    assert _found('heart* AND "lung"', "en") == ["Heart and lungs"]
    assert _found("NEAR(heart lung)", "en") == []


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    query=st.one_of(
        st.text(max_size=80),
        st.lists(
            st.sampled_from(
                [
                    '"',
                    "*",
                    "NEAR(",
                    ")",
                    "AND",
                    "OR",
                    "NOT",
                    "-",
                    ":",
                    "^",
                    "+",
                    "{",
                    "}",
                    "col:",
                    "heart",
                    "corazón",
                    "&",
                    "|",
                    "!",
                    "<->",
                    "'",
                    "\x00",
                    " ",
                    "niño",
                ]
            ),
            max_size=12,
        ).map("".join),
    ),
    language=st.sampled_from(["en", "es"]),
)
def test_no_query_ever_fails(sam_specialist: Any, query: str, language: str) -> None:
    # Given a published text in each language
    if not ResourceText.objects.exists():
        _published(sam_specialist, language="en", title="Heart health and near sight")
        _published(sam_specialist, language="es", title="Salud del corazón del niño")

    # When anything at all is searched
    found = list(search.texts_find(query=query, language=language))

    # Then the search answers, and finds nothing when the query has no word to look for
    assert len(found) <= 1
    if not search.words(query, language):
        assert found == []
