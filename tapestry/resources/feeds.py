"""An Atom feed of the newest resources in one language, for feed readers and for libraries
that show new health information on their own sites."""

from datetime import datetime
from typing import Any

from django.contrib.syndication.views import Feed
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import feedgenerator, translation
from django.utils.translation import gettext as _

from tapestry.resources import selectors
from tapestry.resources.models import Language
from tapestry.resources.selectors import PublicText


class TextsFeed(Feed[PublicText, str]):
    """The FEED_SIZE texts of a language published most recently (first publication)."""

    feed_type = feedgenerator.Atom1Feed

    def __call__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        language = kwargs.get("language", "")
        if language not in Language.values:
            raise Http404
        # The feed's own words (its title, its subtitle) are in the feed's language, and so
        # is the language it declares (Feed reads get_language()).
        with translation.override(language):
            return super().__call__(request, *args, **kwargs)

    def get_object(self, request: HttpRequest, *args: Any, **kwargs: Any) -> str:
        return str(kwargs["language"])

    def title(self, obj: str) -> str:
        return _("New health resources from Tapestry")

    def subtitle(self, obj: str) -> str:
        return (
            _("Health information in plain Spanish, newest first.")
            if obj == Language.SPANISH
            else _("Health information in plain English, newest first.")
        )

    def link(self, obj: str) -> str:
        return reverse("resources:home") + f"?language={obj}"

    def feed_url(self, obj: str) -> str:
        return reverse("resources:feed", args=[obj])

    def items(self, obj: str) -> list[PublicText]:
        return selectors.texts_newest(language=obj)

    def item_title(self, item: PublicText) -> str:
        return item.title

    def item_description(self, item: PublicText) -> str:
        return item.summary

    def item_link(self, item: PublicText) -> str:
        return reverse("resources:detail_language", args=[item.resource_id, item.language])

    def item_pubdate(self, item: PublicText) -> datetime:
        return item.first_published_at

    def item_updateddate(self, item: PublicText) -> datetime:
        return item.published_at

    def item_categories(self, item: PublicText) -> list[str]:
        return [area.name for area in item.focus_areas]
