"""Strings that Django's own Spanish catalogues leave untranslated (Django 6.1).

Our catalogue (LOCALE_PATHS) takes precedence over Django's, so listing the messages here
puts them in `locale/es/LC_MESSAGES/django.po`, where the Spanish is kept and checked with
ours. This module is never imported; makemessages reads it. Remove an entry once Django
ships its translation.
"""

from django.utils.translation import gettext_noop, ngettext_lazy

UPSTREAM_MESSAGES = [
    # django/conf/locale
    gettext_noop("- Select an option -"),
    gettext_noop("“%(value)s” is not a valid binary value."),
    gettext_noop("No %s matches the given query."),
    # django/contrib/admin/locale
    gettext_noop('The app "%s" could not be found.'),
    gettext_noop(", "),  # separator between list items
    gettext_noop("Run"),
    gettext_noop("Filter by %(field_name)s"),
    gettext_noop(
        "Deleting the %(object_name)s “%(escaped_object)s” would require deleting the "
        "following protected related objects:"
    ),
    gettext_noop(
        "Are you sure you want to delete the %(object_name)s “%(escaped_object)s”? "
        "All of the following related items will be deleted:"
    ),
    gettext_noop("Pagination %(name)s entries"),
    gettext_noop("Pagination %(name)s"),
    gettext_noop("Search %(name)s"),
    gettext_noop("Logout"),
    ngettext_lazy("…and %(count)d more object.", "…and %(count)d more objects.", "count"),
]
