from typing import Any

from django import template
from django.forms import BoundField
from django.utils.translation import get_language

register = template.Library()


@register.filter
def localized(value: Any) -> str:
    """A record's name in the current language, for models with `display_name(language)`."""
    display_name = getattr(value, "display_name", None)
    return display_name(get_language()) if callable(display_name) else str(value)


@register.filter
def select_options(field: BoundField) -> list[tuple[str, str, bool, str]]:
    """(value, label, selected, language) for a select field's options; the language is
    what the widget's `option_language(value)` says (a course title in English on a Spanish
    page), else "".

    Far cheaper than iterating the bound field, which renders a widget context per option;
    the directory's filter form has about a hundred options on every page view.
    """
    current = field.value()
    current = "" if current is None else str(current)
    language_of = getattr(field.field.widget, "option_language", None)
    return [
        (
            "" if value is None else str(value),
            str(label),
            str(value) == current,
            language_of(value) if language_of else "",
        )
        for value, label in getattr(field.field, "choices", [])
    ]
