"""The public pages of health resources: browse, filter, search, read in either language.

Every resource here is written and published through the services, as staff would: Sam (an
engagement specialist) writes and sends for review, Paula (program staff) fills in the Clear
Communication Index sheet and publishes. The public reads only what was published.
"""

import datetime
import re
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.utils import translation
from django.utils.formats import date_format

from tapestry.resources import search, services
from tapestry.resources.models import Kind, Resource, ResourceText

pytestmark = pytest.mark.django_db

# Every item "yes": 19 of 20 score (item 17 scores a "no"), 95, above the passing 90.
ALL_YES = {str(number): "yes" for number in range(1, 21)}
ABOVE_TARGET_REASON = "Reviewed for the public pages' tests; the words are plain enough."

DIABETES_EN = {
    "title": "Living well with diabetes",
    "summary": "What diabetes is, and the small steps that help you stay well.",
    "body": (
        "<p>Diabetes means there is too much sugar in your blood. Over time, this can hurt "
        "your eyes, your feet and your heart. You can take steps to stay well. Eat more "
        "vegetables and drink water in place of soda. Walk for a few minutes after each meal. "
        "Take your medicine the way your doctor told you.</p>"
    ),
}
DIABETES_ES = {
    "title": "Vivir bien con diabetes",
    "summary": "Qué es la diabetes y los pasos pequeños que le ayudan a estar bien.",
    "body": (
        "<p>La diabetes quiere decir que hay mucha azúcar en la sangre. Con el tiempo, esto "
        "puede dañar los ojos, los pies y el corazón. Usted puede dar pasos para estar bien. "
        "Coma más verduras y tome agua en lugar de refresco. Camine unos minutos después de "
        "cada comida. Tome su medicina como le dijo su médico.</p>"
    ),
}
TRIALS_EN = {
    "title": "What is a clinical trial?",
    "summary": "How research studies work, and what to ask before you join one.",
    "body": (
        "<p>A clinical trial is a study that tests a new way to prevent or treat a disease. "
        "People of every background should take part, so that what we learn works for all of "
        "us. You can ask questions before you say yes, and you can stop at any time. Ask the "
        "team what you will do, how long it takes and who will see your data.</p>"
    ),
}
TRIALS_ES = {
    "title": "¿Qué es un ensayo clínico?",
    "summary": "Cómo funcionan los estudios de investigación y qué preguntar antes de participar.",
    "body": (
        "<p>Un ensayo clínico es un estudio que prueba una nueva forma de prevenir o tratar una "
        "enfermedad. Es importante que participen personas de todos los orígenes, para que lo "
        "que aprendemos sirva para todos. Usted puede hacer preguntas antes de decir que sí, y "
        "puede dejar el estudio cuando quiera. Pregunte al equipo qué hará y quién verá sus "
        "datos.</p>"
    ),
}


# --- building published resources through the services ------------------------------------


def publish(text: ResourceText, *, author: Any, reviewer: Any) -> ResourceText:
    """Send `text` for review, score it and publish it, as its author and a reviewer would."""
    text = services.text_submit(actor=author, text=text)
    services.clear_communication_record(actor=reviewer, text=text, answers=ALL_YES)
    return services.text_publish(actor=reviewer, text=text, above_target_reason=ABOVE_TARGET_REASON)


def published(
    author: Any,
    reviewer: Any,
    *,
    language: str = "en",
    words: dict[str, str] = DIABETES_EN,
    kind: str = Kind.ARTICLE,
    areas: tuple[str, ...] = ("health-literacy",),
    audiences: tuple[str, ...] = ("public",),
    url: str = "",
    transcript: str = "",
    resource: Resource | None = None,
) -> ResourceText:
    """A published text: a new resource's first text, or `resource`'s other language."""
    fields: dict[str, Any] = {**words, "url": url, "transcript": transcript}
    if resource is None:
        text = services.resource_create(
            actor=author,
            kind=kind,
            focus_areas=areas,
            audiences=audiences,
            critical=False,
            language=language,
            **fields,
        )
    else:
        text = services.translation_add(
            actor=author, resource=resource, language=language, **fields
        )
    return publish(text, author=author, reviewer=reviewer)


def in_both_languages(
    author: Any,
    reviewer: Any,
    english: dict[str, str] = DIABETES_EN,
    spanish: dict[str, str] = DIABETES_ES,
    **resource: Any,
) -> tuple[ResourceText, ResourceText]:
    """A resource published in English and in Spanish."""
    text_en = published(author, reviewer, words=english, **resource)
    text_es = published(author, reviewer, language="es", words=spanish, resource=text_en.resource)
    return text_en, text_es


def spanish(client: Client) -> Client:
    """The visitor chose Spanish with the header's switcher (the language cookie)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    return client


def es(text: str, context: str = "") -> str:
    """`text` as the Spanish pages render it, from the same catalog."""
    with translation.override("es"):
        return translation.pgettext(context, text) if context else translation.gettext(text)


def es_count(singular: str, plural: str, count: int) -> str:
    with translation.override("es"):
        return translation.ngettext(singular, plural, count) % {"counter": count}


def page_of(response: Any) -> str:
    assert response.status_code == 200, response.status_code
    return str(response.content.decode())


def titles_listed(html: str) -> list[str]:
    return re.findall(r'<h3 class="usa-collection__heading"[^>]*><a [^>]*>([^<]*)</a>', html)


def detail_url(text: ResourceText, language: str | None = None) -> str:
    return f"/resources/{text.resource_id}/{language or text.language}/"


# --- the browse and search page -------------------------------------------------------------


def test_the_home_page_lists_published_texts_in_the_visitors_language(
    sam_specialist: Any, paula_program_staff: Any, visitor: Client
) -> None:
    # Given a resource in both languages, one in English only, and a draft
    in_both_languages(sam_specialist, paula_program_staff)
    published(
        sam_specialist, paula_program_staff, words=TRIALS_EN, areas=("diversity-in-research",)
    )
    services.resource_create(
        actor=sam_specialist,
        kind=Kind.ARTICLE,
        focus_areas=["health-literacy"],
        audiences=["public"],
        critical=False,
        language="en",
        title="A draft nobody has reviewed",
        body=TRIALS_EN["body"],
    )

    # When an English-speaking visitor opens the resources
    html = page_of(visitor.get("/resources/"))

    # Then the two published English texts show, newest first, and never the draft
    assert titles_listed(html) == ["What is a clinical trial?", "Living well with diabetes"]
    assert "A draft nobody has reviewed" not in html
    assert "Vivir bien con diabetes" not in html
    assert "2 resources" in html
    # each with its summary, kind and focus areas, and the Spanish version when there is one
    assert DIABETES_EN["summary"] in html
    assert html.count('<li class="usa-collection__meta-item usa-tag">Article</li>') == 2
    assert "Diversity in biomedical research</li>" in html
    text_en = ResourceText.objects.get(language="en", published_title=DIABETES_EN["title"])
    assert html.count("Also in Spanish") == 1
    assert f'href="/resources/{text_en.resource_id}/es/" hreflang="es">Also in Spanish' in html
    # and the five focus areas as cards to browse by
    assert html.count('<li class="usa-card ') == 5
    assert 'href="?area=precision-medicine">Precision medicine</a>' in html


def test_a_spanish_speaking_visitor_sees_spanish_texts_and_spanish_labels(
    sam_specialist: Any, paula_program_staff: Any, visitor: Client
) -> None:
    in_both_languages(sam_specialist, paula_program_staff)

    html = page_of(spanish(visitor).get("/resources/"))

    assert '<html lang="es">' in html
    assert titles_listed(html) == ["Vivir bien con diabetes"]
    assert "Living well with diabetes" not in html
    assert es("Health information in plain language") in html
    assert es("Browse by topic") in html
    assert es("Also in English") in html
    assert f">{es('Article', 'resource kind')}</li>" in html
    # the focus areas by their Spanish names
    assert ">Medicina de precisión</a>" in html
    assert "Alfabetización en salud</li>" in html


def test_resources_only_in_the_other_language_are_pointed_to(
    sam_specialist: Any, paula_program_staff: Any, visitor: Client
) -> None:
    # Given one resource in both languages and one in English only
    in_both_languages(sam_specialist, paula_program_staff)
    published(sam_specialist, paula_program_staff, words=TRIALS_EN)

    # When a Spanish reader lists the resources
    html = page_of(spanish(visitor).get("/resources/"))

    # Then a note says one more is in English, with a link to list them
    assert titles_listed(html) == ["Vivir bien con diabetes"]
    assert (
        es_count(
            "%(counter)s more resource here is only in English.",
            "%(counter)s more resources here are only in English.",
            1,
        )
        in html
    )
    assert 'href="?language=en" hreflang="en"' in html

    # And following it lists the English texts, marked as English, with the way back
    html = page_of(visitor.get("/resources/?language=en"))
    assert titles_listed(html) == ["What is a clinical trial?", "Living well with diabetes"]
    assert '<h3 class="usa-collection__heading" lang="en">' in html
    assert 'href="?">' in html  # back to the Spanish ones


def test_filters_by_focus_area_kind_and_audience(
    sam_specialist: Any, paula_program_staff: Any, visitor: Client
) -> None:
    published(
        sam_specialist,
        paula_program_staff,
        areas=("health-literacy",),
        audiences=("families",),
        kind=Kind.HANDOUT,
    )
    published(
        sam_specialist,
        paula_program_staff,
        words=TRIALS_EN,
        areas=("diversity-in-research", "community-science"),
        audiences=("public",),
    )

    by_area = page_of(visitor.get("/resources/?area=diversity-in-research"))
    by_kind = page_of(visitor.get("/resources/?kind=handout"))
    by_audience = page_of(visitor.get("/resources/?audience=families"))
    all_three = page_of(
        visitor.get("/resources/?area=health-literacy&kind=handout&audience=families")
    )
    nothing = page_of(visitor.get("/resources/?area=health-literacy&kind=video"))
    # An unknown value is no filter at all, not an error.
    unknown = page_of(visitor.get("/resources/?area=astrology&kind=<script>&page=x"))

    assert titles_listed(by_area) == ["What is a clinical trial?"]
    assert "1 resource about Diversity in biomedical research" in by_area
    assert titles_listed(by_kind) == ["Living well with diabetes"]
    assert titles_listed(by_audience) == ["Living well with diabetes"]
    assert titles_listed(all_three) == ["Living well with diabetes"]
    assert titles_listed(nothing) == []
    assert "No resources match these filters. Try removing one." in nothing
    assert titles_listed(unknown) == ["What is a clinical trial?", "Living well with diabetes"]
    assert "&lt;script&gt;" not in unknown and "<script>&" not in unknown
    # the chosen filters stay chosen in the form, and the focus-area cards give way to results
    assert '<option value="handout" selected>Handout</option>' in all_three
    assert '<option value="families" selected>Patients and families</option>' in all_three
    assert 'class="usa-card ' not in all_three


def test_search_finds_published_texts_in_the_visitors_language(
    sam_specialist: Any, paula_program_staff: Any, visitor: Client
) -> None:
    in_both_languages(sam_specialist, paula_program_staff)
    in_both_languages(sam_specialist, paula_program_staff, TRIALS_EN, TRIALS_ES)

    english = page_of(visitor.get("/resources/?q=clinical"))
    spanish_results = page_of(spanish(Client()).get("/resources/?q=ensayo"))
    no_match = page_of(visitor.get("/resources/?q=zebra"))

    assert titles_listed(english) == ["What is a clinical trial?"]
    assert "1 resource matches “clinical”" in english
    assert 'value="clinical"' in english
    assert titles_listed(spanish_results) == ["¿Qué es un ensayo clínico?"]
    assert titles_listed(no_match) == []
    assert "No resources match “zebra”. Check the spelling, or try fewer or other words." in (
        no_match
    )
    assert 'href="?">Show all the resources instead</a>' in no_match


def test_results_come_20_to_a_page(
    sam_specialist: Any, paula_program_staff: Any, visitor: Client
) -> None:
    for number in range(21):
        published(
            sam_specialist,
            paula_program_staff,
            words={**DIABETES_EN, "title": f"Diabetes tip {number:02}"},
        )

    first = page_of(visitor.get("/resources/"))
    second = page_of(visitor.get("/resources/?page=2"))
    past_the_end = page_of(visitor.get("/resources/?page=9"))

    assert len(titles_listed(first)) == 20
    assert titles_listed(first)[0] == "Diabetes tip 20"
    assert "21 resources" in first
    assert "Page 1 of 2" in first
    assert 'href="?page=2" class="usa-pagination__link usa-pagination__next-page"' in first
    assert titles_listed(second) == ["Diabetes tip 00"]
    assert "Page 2 of 2" in second
    assert titles_listed(past_the_end) == ["Diabetes tip 00"]


def test_with_nothing_published_the_page_says_so(visitor: Client) -> None:
    html = page_of(visitor.get("/resources/"))
    spanish_html = page_of(spanish(Client()).get("/resources/"))

    assert "There are no resources in English yet. Please come back soon." in html
    assert es("There are no resources in Spanish yet. Please come back soon.") in spanish_html


def test_the_home_page_links_the_feed_of_its_language(visitor: Client) -> None:
    english = visitor.get("/resources/")
    spanish_response = spanish(Client()).get("/resources/")

    assert 'href="/resources/feed/en.atom" type="application/atom+xml"' in page_of(english)
    assert 'href="/resources/feed/es.atom" type="application/atom+xml"' in page_of(spanish_response)
    assert (
        english["Link"] == '</resources/feed/en.atom>; rel="alternate"; type="application/atom+xml"'
    )
    assert spanish_response["Link"] == (
        '</resources/feed/es.atom>; rel="alternate"; type="application/atom+xml"'
    )


# --- a resource's page ----------------------------------------------------------------------


def test_a_resource_in_english_links_to_its_spanish_version(
    sam_specialist: Any, paula_program_staff: Any, visitor: Client
) -> None:
    text_en, text_es = in_both_languages(sam_specialist, paula_program_staff)

    html = page_of(visitor.get(f"/resources/{text_en.resource_id}/"))

    assert '<article class="tablet:grid-col-8 usa-prose" lang="en">' in html
    assert '<h1 class="margin-top-2">Living well with diabetes</h1>' in html
    assert DIABETES_EN["body"] in html
    assert (
        f'<a class="usa-link text-bold" href="/resources/{text_es.resource_id}/es/" '
        'hreflang="es" lang="es">Leer en español</a>'
    ) in html
    assert "<dd>Article</dd>" in html
    assert 'href="/resources/?area=health-literacy">Health literacy</a>' in html
    assert "<dd>General public</dd>" in html
    assert "Last updated" in html
    assert "Print or download (PDF)" not in html  # an article, not a handout


def test_a_resource_in_spanish_links_to_its_english_version(
    sam_specialist: Any, paula_program_staff: Any, visitor: Client
) -> None:
    text_en, text_es = in_both_languages(sam_specialist, paula_program_staff)

    # The visitor's language picks the Spanish text; so does the address naming Spanish.
    from_language = page_of(spanish(visitor).get(f"/resources/{text_es.resource_id}/"))
    by_address = page_of(Client().get(detail_url(text_es)))

    for html in (from_language, by_address):
        assert '<article class="tablet:grid-col-8 usa-prose" lang="es">' in html
        assert '<h1 class="margin-top-2">Vivir bien con diabetes</h1>' in html
        assert DIABETES_ES["body"] in html
        assert (
            f'href="/resources/{text_en.resource_id}/en/" hreflang="en" lang="en">'
            "Read in English</a>"
        ) in html
    # the page around the text speaks the visitor's language
    assert '<html lang="es">' in from_language
    assert f"<dd>{es('Article', 'resource kind')}</dd>" in from_language
    assert "Alfabetización en salud</a>" in from_language
    assert '<html lang="en">' in by_address


def test_without_the_visitors_language_the_other_shows_with_a_note(
    sam_specialist: Any, paula_program_staff: Any, visitor: Client
) -> None:
    text = published(sam_specialist, paula_program_staff, words=TRIALS_EN)

    html = page_of(spanish(visitor).get(f"/resources/{text.resource_id}/"))

    assert '<html lang="es">' in html
    assert es("This resource is not yet available in Spanish. Here it is in English.") in html
    assert '<article class="tablet:grid-col-8 usa-prose" lang="en">' in html
    assert "What is a clinical trial?</h1>" in html
    assert "Leer en español" not in html
    # Its Spanish address has nothing to show
    assert visitor.get(detail_url(text, "es")).status_code == 404


def test_a_video_links_to_the_video_and_shows_the_whole_transcript(
    sam_specialist: Any, paula_program_staff: Any, visitor: Client
) -> None:
    transcript = "Hello. Today we talk about blood sugar.\n\nFirst, what is blood sugar?"
    text = published(
        sam_specialist,
        paula_program_staff,
        kind=Kind.VIDEO,
        url="https://www.youtube.com/watch?v=abc123",
        transcript=transcript,
    )

    html = page_of(visitor.get(detail_url(text)))

    assert (
        '<a class="usa-button" href="https://www.youtube.com/watch?v=abc123" '
        'rel="noopener noreferrer">Watch the video</a>'
    ) in html
    assert "on youtube.com" in html
    assert "<h2>Transcript</h2>" in html
    assert (
        "<p>Hello. Today we talk about blood sugar.</p>\n\n<p>First, what is blood sugar?</p>"
        in (html)
    )


def test_a_link_goes_to_the_trusted_source_and_names_its_domain(
    sam_specialist: Any, paula_program_staff: Any, visitor: Client
) -> None:
    text = published(
        sam_specialist,
        paula_program_staff,
        kind=Kind.LINK,
        url="https://medlineplus.gov/diabetes.html",
    )

    html = page_of(visitor.get(detail_url(text)))

    assert (
        '<a class="usa-button" href="https://medlineplus.gov/diabetes.html" '
        'rel="noopener noreferrer">Go to the trusted source</a>'
    ) in html
    assert '<span class="display-block margin-top-1 text-base">medlineplus.gov</span>' in html


def test_a_handout_offers_its_pdf(
    sam_specialist: Any, paula_program_staff: Any, visitor: Client
) -> None:
    text = published(sam_specialist, paula_program_staff, kind=Kind.HANDOUT)

    html = page_of(visitor.get(detail_url(text)))

    assert (
        f'href="/resources/{text.resource_id}/en/handout.pdf" type="application/pdf">'
        "Print or download (PDF)</a>"
    ) in html


def test_pasted_scripts_never_reach_the_page(
    sam_specialist: Any, paula_program_staff: Any, visitor: Client
) -> None:
    words = {
        **DIABETES_EN,
        "body": DIABETES_EN["body"]
        + '<script>alert("x")</script><p onclick="steal()">Ask your doctor.</p>',
    }
    text = published(sam_specialist, paula_program_staff, words=words)

    html = page_of(visitor.get(detail_url(text)))

    assert "<p>Ask your doctor.</p>" in html
    assert "alert(" not in html
    assert "steal()" not in html


def test_an_edit_after_publishing_stays_off_the_public_pages(
    sam_specialist: Any, paula_program_staff: Any, visitor: Client
) -> None:
    # Given a published text that Sam changes afterwards (a draft again, not yet reviewed)
    text = published(sam_specialist, paula_program_staff)
    services.text_save(
        actor=sam_specialist,
        text=text,
        title="Living well with diabetes, a draft of changes",
        summary="A summary still being written.",
        body=DIABETES_EN["body"].replace("Walk for a few minutes", "Run a marathon"),
    )

    detail = page_of(visitor.get(detail_url(text)))
    listing = page_of(visitor.get("/resources/"))
    search = page_of(visitor.get("/resources/?q=diabetes"))

    # Then the public still reads the published words, everywhere
    for html in (detail, listing, search):
        assert "Living well with diabetes" in html
        assert "a draft of changes" not in html
        assert "still being written" not in html
    assert "Walk for a few minutes" in detail
    assert "marathon" not in detail


def test_drafts_withdrawn_texts_and_unknown_ids_are_not_found(
    sam_specialist: Any, paula_program_staff: Any, visitor: Client
) -> None:
    draft = services.resource_create(
        actor=sam_specialist,
        kind=Kind.HANDOUT,
        focus_areas=["health-literacy"],
        audiences=["public"],
        critical=False,
        language="en",
        title="A secret draft title",
        body=DIABETES_EN["body"],
    )
    withdrawn = published(sam_specialist, paula_program_staff, kind=Kind.HANDOUT)
    services.text_withdraw(actor=paula_program_staff, text=withdrawn, reason="Out of date.")

    for text in (draft, withdrawn):
        for path in (
            f"/resources/{text.resource_id}/",
            detail_url(text),
            f"{detail_url(text)}handout.pdf",
        ):
            response = visitor.get(path)
            assert response.status_code == 404, path
            assert b"A secret draft title" not in response.content
            assert b"Living well with diabetes" not in response.content
    assert visitor.get("/resources/999999/").status_code == 404
    assert visitor.get("/resources/999999/en/").status_code == 404
    assert titles_listed(page_of(visitor.get("/resources/"))) == []


def test_an_unknown_language_is_not_found(
    sam_specialist: Any, paula_program_staff: Any, visitor: Client
) -> None:
    text = published(sam_specialist, paula_program_staff, kind=Kind.HANDOUT)

    assert visitor.get(detail_url(text, "fr")).status_code == 404
    assert visitor.get(f"{detail_url(text, 'fr')}handout.pdf").status_code == 404
    assert visitor.get(detail_url(text, "en")).status_code == 200


def test_the_browsers_language_picks_the_texts_when_no_language_was_chosen(
    sam_specialist: Any, paula_program_staff: Any, visitor: Client
) -> None:
    in_both_languages(sam_specialist, paula_program_staff)

    html = page_of(visitor.get("/resources/", HTTP_ACCEPT_LANGUAGE="es-MX,es;q=0.9"))

    assert '<html lang="es">' in html
    assert titles_listed(html) == ["Vivir bien con diabetes"]


def test_search_goes_through_the_full_text_search_in_the_listed_language(
    sam_specialist: Any,
    paula_program_staff: Any,
    visitor: Client,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    in_both_languages(sam_specialist, paula_program_staff)
    asked: list[tuple[str, str]] = []
    find = search.texts_find

    def texts_find_spy(*, query: str, language: str) -> Any:
        asked.append((query, language))
        return find(query=query, language=language)

    monkeypatch.setattr(search, "texts_find", texts_find_spy)

    html = page_of(spanish(visitor).get("/resources/?q=+diabetes+"))

    assert titles_listed(html) == ["Vivir bien con diabetes"]
    # the listed language, then the other one for the note about what is only there
    assert asked == [("diabetes", "es"), ("diabetes", "en")]


def test_the_last_updated_date_is_written_the_way_the_reader_writes_dates(
    sam_specialist: Any, paula_program_staff: Any, visitor: Client
) -> None:
    with time_machine.travel(datetime.datetime(2027, 5, 3, 15, tzinfo=datetime.UTC), tick=False):
        text_en, _ = in_both_languages(sam_specialist, paula_program_staff)

    english = page_of(visitor.get(detail_url(text_en)))
    spanish_html = page_of(spanish(Client()).get(detail_url(text_en)))

    assert '<time datetime="2027-05-03T11:00:00-04:00">3 May 2027</time>' in english
    with translation.override("es"):
        spanish_date = date_format(datetime.date(2027, 5, 3), "DATE_FORMAT")
    assert f'<time datetime="2027-05-03T11:00:00-04:00">{spanish_date}</time>' in spanish_html
