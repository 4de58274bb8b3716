"""Full-text search of published texts. PLACEHOLDER being replaced by the search work: a plain
`icontains` over published titles and summaries, with the final signatures."""

from django.db.models import Q, QuerySet

from tapestry.resources.models import ResourceText


def text_index(text: ResourceText) -> None:
    """Make a newly published text findable (called inside the publishing transaction)."""


def text_remove(text: ResourceText) -> None:
    """Make a withdrawn text unfindable (called inside the withdrawing transaction)."""


def texts_find(*, query: str, language: str) -> QuerySet[ResourceText]:
    """Published texts in `language` matching `query`, best match first; filterable further."""
    return ResourceText.objects.filter(language=language, published_at__isnull=False).filter(
        Q(published_title__icontains=query) | Q(published_summary__icontains=query)
    )
