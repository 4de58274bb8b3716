"""Template filters for the program kits' pages: a kit, a checklist line or a photo's
description in the page's language (`{{ kit|in_language:language }}`)."""

from typing import Any

from django import template

register = template.Library()


@register.filter
def in_language(value: Any, language: str) -> str:
    """The name (kit, checklist item) or description (photo) in the reader's language."""
    if hasattr(value, "display_name"):
        return str(value.display_name(language))
    return str(value.display_alt(language))


@register.filter
def description_in(kit: Any, language: str) -> str:
    return str(kit.display_description(language))


@register.filter
def lang_of(language: str) -> str:
    """The language the localized text is in: Spanish for Spanish readers, else English."""
    return "es" if (language or "").startswith("es") else "en"


@register.filter
def lookup(mapping: dict[Any, Any], key: Any) -> Any:
    return mapping.get(key, "")
