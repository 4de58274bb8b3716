"""`{{ item|text:"title" }}`: a survey item's text in the page's language (English where the
Spanish is still blank), the template side of `Bilingual.text`."""

from django import template
from django.utils.translation import get_language

from tapestry.surveys.models import Bilingual

register = template.Library()


@register.filter
def text(item: Bilingual, name: str) -> str:
    return item.text(name, get_language())
