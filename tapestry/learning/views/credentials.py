"""The public, machine-read side of certificates: the issuer profile, the status list and the
verification page a certificate's code and credential point to."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from tapestry.learning import credentials
from tapestry.learning.views.certificates import verdict_page


@require_GET
def issuer(request: HttpRequest) -> JsonResponse:
    return JsonResponse(credentials.issuer_profile())


@require_GET
@cache_control(max_age=300, public=True)
def status_list(request: HttpRequest) -> HttpResponse:
    return HttpResponse(credentials.status_list_credential_jwt(), content_type="application/vc+jwt")


@require_GET
@cache_control(max_age=3600, public=True)
def jwks(request: HttpRequest) -> JsonResponse:
    return JsonResponse(credentials.jwks())


@require_GET
def verify_code(request: HttpRequest, code: str) -> HttpResponse:
    """What a certificate's code says: valid, expired or revoked (or that no such code
    exists, with a 404). Rate limited like the verification form it shares its page with."""
    return verdict_page(request, code)
