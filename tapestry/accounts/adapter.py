from allauth.account.adapter import DefaultAccountAdapter
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string

from tapestry.core.api import email_send_rendered


class AccountAdapter(DefaultAccountAdapter):
    """Hands allauth's messages (verification, password reset) to the background worker."""

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        context = {**context, "email": email}
        subject = self.format_email_subject(
            " ".join(render_to_string(f"{template_prefix}_subject.txt", context).split())
        )
        body = render_to_string(f"{template_prefix}_message.txt", context, self.request)
        try:
            html = render_to_string(f"{template_prefix}_message.html", context, self.request)
        except TemplateDoesNotExist:
            html = None
        email_send_rendered(to=[email], subject=subject, body=body, html=html)
