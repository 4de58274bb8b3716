from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.utils import translation

GetResponse = Callable[[HttpRequest], HttpResponseBase]


class PreferredLanguageMiddleware:
    """Use a signed-in person's preferred language unless they chose one with the switcher.

    Runs before LocaleMiddleware, which only reads the cookie, so the preference is applied by
    setting the cookie value the switcher would have set.
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
            preferred = self._preferred_language(request)
            if preferred:
                request.COOKIES[settings.LANGUAGE_COOKIE_NAME] = preferred
        return self.get_response(request)

    @staticmethod
    def _preferred_language(request: HttpRequest) -> str | None:
        # Authentication runs later, so read the user straight from the session.
        from django.contrib.auth import get_user

        user = get_user(request)
        request._cached_user = user  # type: ignore[attr-defined]  # AuthenticationMiddleware reuses it
        language = getattr(user, "preferred_language", "")
        return language if translation.check_for_language(language) else None


class PermissionsPolicyMiddleware:
    """Turn off browser features Tapestry never uses, so injected content cannot use them."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response
