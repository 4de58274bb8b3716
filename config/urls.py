from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.i18n import JavaScriptCatalog

from config.api import api
from tapestry.core import views as core_views
from tapestry.learning.views import credentials as learning_credentials

# Django's admin signs people in with a password alone: no throttle, no second factor. Send its
# login through allauth instead (throttled, two-factor); the admin then sees a signed-in user.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]
# (Before `admin.site.urls` below, which binds the login view when it is read.)

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    path("metrics", core_views.metrics, name="metrics"),
    path("favicon.ico", core_views.favicon),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("accounts/", include("allauth.urls")),
    path("me/", include("tapestry.accounts.urls")),
    path("network/", include("tapestry.network.urls")),
    path("surveys/", include("tapestry.surveys.urls")),
    path("learning/", include("tapestry.learning.urls")),
    path("engagement/", include("tapestry.engagement.urls")),
    path("funding/", include("tapestry.funding.urls")),
    path("resources/", include("tapestry.resources.urls")),
    path("sharing/", include("tapestry.sharing.urls")),
    path(".well-known/jwks.json", learning_credentials.jwks, name="jwks"),
    # The public Data Browser at data/ and the diversity dashboard at research/diversity/.
    path("", include("tapestry.research.urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]

handler400 = "tapestry.core.views.error_400"
handler403 = "tapestry.core.views.error_403"
handler404 = "tapestry.core.views.error_404"
# A database outage or a full disk answers 503 or 507; anything else the 500 page.
handler500 = "tapestry.core.resilience.server_error"

admin.site.site_header = _("Tapestry administration")
admin.site.site_title = _("Tapestry")
