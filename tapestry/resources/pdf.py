"""A handout as a PDF to print or share (WeasyPrint), in the handout's own language.

The PDF's title is the handout's, so a reader (and the tests) find it in the document's
properties as well as on the page. A rendering takes about a second, and a handout is printed
far more often than it changes, so the PDF is cached per published version: publishing again
changes `published_at` and so the key.

Nothing is fetched while rendering: the body's images point at other sites, and the server
must not reach out to them on a visitor's request (nor hang when it cannot), so the fetcher
refuses every address but inline `data:` images; a refused image prints as its alt text.
"""

import hashlib
import re

from django.conf import settings
from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils import translation

from tapestry.resources.selectors import PublicText

TEMPLATE = "resources/pdf/handout.html"
CACHE_SECONDS = 24 * 3600


def handout_html(text: PublicText, *, page_url: str) -> str:
    """The handout as HTML for WeasyPrint, with its labels in the handout's language."""
    with translation.override(text.language):
        return render_to_string(
            TEMPLATE, {"text": text, "site_name": settings.SITE_NAME, "page_url": page_url}
        )


def handout_filename(text: PublicText) -> str:
    """A filename safe in any header and file system, from the text's slug."""
    name = re.sub(r"[^a-z0-9-]+", "-", text.slug.lower()).strip("-")[:80]
    return f"{name or f'resource-{text.resource_id}'}.pdf"


def handout_pdf(text: PublicText, *, page_url: str) -> bytes:
    version = f"{text.resource_id}:{text.language}:{text.published_at.timestamp()}:{page_url}"
    key = "resources:handout:" + hashlib.sha256(version.encode()).hexdigest()
    document: bytes | None = cache.get(key)
    if document is None:
        # Imported here: WeasyPrint takes seconds to import, which every process serving any
        # page would otherwise pay on its first request.
        import weasyprint

        document = bytes(
            weasyprint.HTML(
                string=handout_html(text, page_url=page_url),
                url_fetcher=weasyprint.URLFetcher(allowed_protocols={"data"}),
            ).write_pdf()
        )
        cache.set(key, document, CACHE_SECONDS)
    return document
