from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from tapestry.core.api import database_status, worker_status


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
