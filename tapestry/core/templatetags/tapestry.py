from django import template
from django.utils.translation import get_language

register = template.Library()


@register.filter
def localized(value) -> str:
    """A record's name in the current language, for models with `display_name(language)`."""
    display_name = getattr(value, "display_name", None)
    return display_name(get_language()) if callable(display_name) else str(value)
