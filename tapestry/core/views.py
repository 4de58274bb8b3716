import secrets

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST

from tapestry.core.api import database_status, worker_status
from tapestry.core.observability.metrics import metrics_exposition
from tapestry.core.observability.readiness import readiness_report


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html")


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers and crawlers ask for /favicon.ico whatever the page links to. Looked up per
    request, not when the URLs load: in production the name carries the file's content hash,
    and a permanent redirect would pin browsers to a hash the next release no longer has."""
    return redirect(static("favicon.svg"))


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 while the database answers; the worker's state is reported beside it."""
    database = database_status()
    worker = worker_status() if database["status"] == "ok" else {"status": "unknown"}
    healthy = database["status"] == "ok"
    return JsonResponse(
        {"status": "ok" if healthy else "error", "database": database, "worker": worker},
        status=200 if healthy else 503,
    )


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """200 when this process may take traffic: the database, the cache, the worker's heartbeat
    and every check the apps registered (research: the current release) are ok; else 503."""
    ready, checks = readiness_report()
    return JsonResponse(
        {"status": "ok" if ready else "error", "checks": checks}, status=200 if ready else 503
    )


def _metrics_allowed(request: HttpRequest) -> bool:
    token = settings.TAPESTRY_METRICS_TOKEN
    scheme, _, offered = request.headers.get("Authorization", "").partition(" ")
    if token and scheme.lower() == "bearer" and offered:
        # Constant time: how much of a guess matched must not show in the response time.
        return secrets.compare_digest(offered.encode(), token.encode())
    user = request.user
    return user.is_authenticated and user.is_active and user.is_staff


# No form, no side effect; and a CSRF refusal would tell an anonymous POST that it exists.
@csrf_exempt
@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus metrics, for the scraper's token or a signed-in staff member. Anyone else is
    told there is nothing here (whatever the method), so the endpoint is not advertised."""
    if not _metrics_allowed(request):
        raise Http404
    if request.method not in {"GET", "HEAD"}:
        return HttpResponseNotAllowed(["GET", "HEAD"])
    return HttpResponse(metrics_exposition(), content_type=CONTENT_TYPE_LATEST)


def error_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", status=403)


def error_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


def error_400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "400.html", status=400)


def error_500(request: HttpRequest) -> HttpResponse:
    return render(request, "500.html", status=500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A stale or replayed form: explain, keep the person's place, change nothing."""
    return render(request, "403_csrf.html", status=403)
