"""Full-text search of published texts (being written: see the search helper's work)."""

from tapestry.resources.models import ResourceText


def text_index(text: ResourceText) -> None:
    """Make a newly published text findable."""


def text_remove(text: ResourceText) -> None:
    """Make a withdrawn text unfindable."""
