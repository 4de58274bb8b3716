"""The surveys forms, one module per activity, like the views: answering, authoring, results
and interchange. Here: what more than one of them says the same way."""

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# A condition's operators in words ("topics includes Research"): the condition builder's
# choices and `logic.describe`'s words, on staff pages and on the respondent's page alike.
OPERATOR_LABELS: dict[str, Any] = {
    "=": gettext_lazy("is"),
    "!=": gettext_lazy("is not"),
    "<": gettext_lazy("is less than"),
    "<=": gettext_lazy("is at most"),
    ">": gettext_lazy("is more than"),
    ">=": gettext_lazy("is at least"),
    "checked": gettext_lazy("includes"),
    "unchecked": gettext_lazy("does not include"),
}


def describe_words() -> dict[str, str]:
    """The words `logic.describe` uses, in the active language."""
    return {
        **{op: str(label) for op, label in OPERATOR_LABELS.items()},
        "and": _("and"),
        "or": _("or"),
        "blank": _("not answered"),
    }
