"""Money as the funding pages write it: U.S. dollars the U.S. way in both languages
("$5,000.00"), as the invoices, letters and emails do and as a bank statement reads; Django's
Spanish number format ("5 000,00") would make one amount look like two."""

from decimal import Decimal

from django import template

from tapestry.funding.awards import dollars as dollars_text

register = template.Library()


@register.filter
def dollars(amount: Decimal | None) -> str:
    return "" if amount is None else dollars_text(Decimal(amount))
