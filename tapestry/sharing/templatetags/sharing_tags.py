from typing import Any

from django import template

from tapestry.sharing.ledger import dollars as _dollars

register = template.Library()


@register.filter
def dollars(cents: int | None) -> str:
    """Cents as dollars: 1250 → "$12.50"."""
    return _dollars(cents or 0)


@register.filter
def get_item(mapping: dict[Any, Any], key: Any) -> Any:
    return mapping.get(key)
