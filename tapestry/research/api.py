"""What the other apps may use from research.

The public Data Browser and the diversity dashboard are pages and JSON endpoints of this app
(see README.md). Other apps may ask here for the reference data research keeps:

- `rural_zip_lists()`: every loaded FORHP rural ZIP code list (`manage.py
  research_load_rural_zips`) as (in force from, ZIP codes), oldest first. Community
  engagement's outreach dashboard counts participants from rural ZIP codes with them, each
  activity judged by the list in force on its date.
- `rural_zip_codes(on=date)`: the ZIP codes of the list in force on that date (the latest list
  whose `effective_from` is on or before it), or None when no list applies (rural residence is
  then unknown, not "not rural").

When the researcher workbench arrives it will need, for example, "the current release" and "a
participant count, protected for display"; add them here, backed by `selectors.py`, so no
other app reads the summaries' raw counts.
"""

import datetime

from tapestry.research.models import RuralZipList
from tapestry.research.warehouse.rural import RuralList, list_in_force

__all__ = ["rural_zip_codes", "rural_zip_lists"]


def rural_zip_lists() -> list[tuple[datetime.date, frozenset[str]]]:
    """Every loaded FORHP rural ZIP list as (first day in force, five-digit ZIP codes), oldest
    first; [] when none is loaded."""
    return [
        (effective_from, frozenset(codes))
        for effective_from, codes in RuralZipList.objects.order_by("effective_from").values_list(
            "effective_from", "zip_codes"
        )
    ]


def rural_zip_codes(*, on: datetime.date) -> frozenset[str] | None:
    """The ZIP codes of the FORHP list in force on `on`, or None when no list applies."""
    lists = [
        RuralList(name=str(effective_from), effective_from=effective_from, zip_codes=codes)
        for effective_from, codes in rural_zip_lists()
    ]
    in_force = list_in_force(lists, on)
    return None if in_force is None else in_force.zip_codes
