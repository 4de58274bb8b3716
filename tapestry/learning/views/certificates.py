"""Certificates: the PDF, the Open Badges credential and badge image, the public verification
form (rate limited per client address) and the staff page that revokes a certificate.

A learner gets only their own certificates (another person's is a 404); liaisons and
engagement specialists those of the people in their scope (`reports.scope_of`); program staff
and administrators, in a two-factor session (the accounts middleware enforces it for those
roles), anyone's, and only they revoke.
"""

from __future__ import annotations

from typing import Any

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from tapestry.accounts.api import AuthenticatedRequest, Role, person_get, user_has_role
from tapestry.core.api import client_address
from tapestry.learning import baking, reports, selectors, services
from tapestry.learning.forms.certificates import RevokeForm, VerifyForm
from tapestry.learning.models import Certificate

TEMPLATES = "learning/certificates"


def can_see_everyones(user: Any) -> bool:
    """Program staff and administrators may open and revoke anyone's certificate."""
    return user_has_role(user, Role.PROGRAM_STAFF, Role.ADMINISTRATOR)


def _certificate_of(request: AuthenticatedRequest, certificate_id: int) -> Certificate:
    """The certificate if it is the caller's own or of someone in their staff scope; a 404
    otherwise, so an id says nothing about whether it exists."""
    certificates = Certificate.objects.select_related("completion__course").filter(
        pk=certificate_id
    )
    if not can_see_everyones(request.user):
        allowed = Q(completion__user=request.user)
        if reports.is_staff(request.user):
            people = reports.people_in_scope(reports.scope_of(request.user))
            allowed |= Q(completion__user__in=people.values("pk"))
        certificates = certificates.filter(allowed)
    certificate = certificates.first()
    if certificate is None:
        raise Http404
    return certificate


def _revoked(request: HttpRequest, certificate: Certificate) -> HttpResponse:
    return render(
        request,
        f"{TEMPLATES}/revoked.html",
        {"certificate": certificate, "course": certificate.completion.course},
        status=410,
    )


def verification_url(certificate: Certificate) -> str:
    return settings.SITE_URL + reverse("learning:verify_code", kwargs={"code": certificate.code})


def certificate_html(certificate: Certificate) -> str:
    """The certificate as the HTML WeasyPrint prints, in the course's language."""
    completion = certificate.completion
    course = completion.course
    person = person_get(user_id=completion.user_id)
    url = verification_url(certificate)
    with translation.override(course.language):
        return render_to_string(
            f"{TEMPLATES}/pdf.html",
            {
                "certificate": certificate,
                "completion": completion,
                "course": course,
                "learner_name": person.name if person else "",
                # 1.50 shows as 1.5 (1,5 in Spanish), 2.00 as 2
                "ce_hours": course.ce_hours.normalize() if course.ce_hours else None,
                "issuer_name": settings.LEARNING_ISSUER_NAME,
                "verification_url": url,
                "verify_page_url": settings.SITE_URL + reverse("learning:verify"),
                "qr_svg": segno.make(url, error="m").svg_inline(scale=3, dark="#1b1b1b"),
            },
        )


@login_required
@require_GET
def certificate_pdf(request: AuthenticatedRequest, certificate_id: int) -> HttpResponse:
    # Imported here: WeasyPrint takes seconds to import, which every process serving any
    # page would otherwise pay on its first request.
    import weasyprint

    certificate = _certificate_of(request, certificate_id)
    if certificate.revoked_at is not None:
        return _revoked(request, certificate)
    pdf = weasyprint.HTML(
        string=certificate_html(certificate), base_url=request.build_absolute_uri("/")
    ).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="certificate-{certificate.code}.pdf"'
    return response


@login_required
@require_GET
def credential(request: AuthenticatedRequest, certificate_id: int) -> HttpResponse:
    """The Open Badges 3.0 credential as its stored VC-JWT (compact JWS)."""
    certificate = _certificate_of(request, certificate_id)
    if certificate.revoked_at is not None:
        return _revoked(request, certificate)
    response = HttpResponse(certificate.credential_jwt, content_type="application/vc+jwt")
    response["Content-Disposition"] = f'attachment; filename="credential-{certificate.code}.jwt"'
    return response


@login_required
@require_GET
def badge(request: AuthenticatedRequest, certificate_id: int, fmt: str) -> HttpResponse:
    """The badge image (PNG or SVG) with the credential baked in (Open Badges 3.0, 5.3)."""
    if fmt not in {"png", "svg"}:
        raise Http404
    certificate = _certificate_of(request, certificate_id)
    if certificate.revoked_at is not None:
        return _revoked(request, certificate)
    course = certificate.completion.course
    if fmt == "png":
        image = baking.png_bake(baking.badge_png(), certificate.credential_jwt)
        content_type = "image/png"
    else:
        with translation.override(course.language):
            label = _("Completed")
        drawn = baking.badge_svg(
            title=course.title, issuer=settings.LEARNING_ISSUER_NAME, label=label
        )
        image = baking.svg_bake(drawn, certificate.credential_jwt)
        content_type = "image/svg+xml"
    response = HttpResponse(image, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="badge-{certificate.code}.{fmt}"'
    return response


# ---------------------------------------------------------------------------------------------
# Verification


def verify_lookup_allowed(request: HttpRequest) -> bool:
    """At most LEARNING_VERIFY_PER_ADDRESS_PER_HOUR lookups per client address and hour, so
    codes cannot be guessed; each call counts one."""
    hour = timezone.now().strftime("%Y%m%d%H")
    key = f"learning:verify:{client_address(request)}:{hour}"
    cache.add(key, 0, timeout=3600)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr: count this lookup as the first
        count = 1
    return bool(count <= settings.LEARNING_VERIFY_PER_ADDRESS_PER_HOUR)


def verdict_page(request: HttpRequest, typed: str) -> HttpResponse:
    """Look a typed code up and say what the certificate says: 429 past the limit, 400 for
    something that cannot be a code, 404 for no such certificate, else 200 with the verdict."""
    form = VerifyForm({"code": typed})
    context: dict[str, Any] = {"form": form, "verdict": None, "looked_up": False}
    if not verify_lookup_allowed(request):
        context["form"] = VerifyForm()
        context["refusal"] = _(
            "Many codes were checked from your connection in the last hour. Please try again "
            "in an hour."
        )
        response = render(request, "learning/verify.html", context, status=429)
        now = timezone.now()
        response["Retry-After"] = str(3600 - now.minute * 60 - now.second)
        return response
    if not form.is_valid():
        return render(request, "learning/verify.html", context, status=400)
    verdict = selectors.certificate_verdict(code=form.cleaned_data["code"])
    context.update(verdict=verdict, looked_up=True)
    return render(request, "learning/verify.html", context, status=200 if verdict else 404)


@require_GET
def verify(request: HttpRequest) -> HttpResponse:
    """The public form: type a code; `?code=` shows the verdict on the same page."""
    if "code" not in request.GET:
        return render(
            request, "learning/verify.html", {"form": VerifyForm(), "verdict": None}, status=200
        )
    return verdict_page(request, request.GET["code"])


# ---------------------------------------------------------------------------------------------
# Revoking (program staff and administrators)


@login_required
@require_http_methods(["GET", "POST"])
def certificate_revoke(request: AuthenticatedRequest, certificate_id: int) -> HttpResponse:
    if not can_see_everyones(request.user):
        raise PermissionDenied
    certificate = _certificate_of(request, certificate_id)
    person = person_get(user_id=certificate.completion.user_id)
    form = RevokeForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.certificate_revoke(
                certificate_id=certificate.pk,
                actor=request.user,
                reason=form.cleaned_data["reason"],
            )
        except services.Conflict as error:
            messages.error(request, str(error))
            status = 409
        except services.LearningError as error:
            form.add_error("reason", str(error))
            status = 400
        else:
            messages.success(request, _("The certificate is revoked."))
            return redirect("learning:certificate_revoke", certificate_id=certificate.pk)
        certificate.refresh_from_db()
    elif request.method == "POST":
        status = 400
    return render(
        request,
        f"{TEMPLATES}/revoke.html",
        {
            "certificate": certificate,
            "completion": certificate.completion,
            "course": certificate.completion.course,
            "learner_name": person.name if person else "",
            "form": form,
        },
        status=status,
    )
