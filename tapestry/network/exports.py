"""The member directory as data: the public fields of a member, and the staff's CSV export."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from tapestry.core.api import audit_record, csv_lines
from tapestry.network import selectors
from tapestry.network.models import DETAIL_FIELDS, Organization
from tapestry.network.permissions import regions_for_export

if TYPE_CHECKING:
    from tapestry.accounts.api import User

# Where the CSV and the API name a field differently from the model.
PUBLIC_NAMES = {"org_type": "type"}
# A member's public fields, in the order the CSV and the API list them.
PUBLIC_FIELDS: tuple[str, ...] = (
    "id",
    *(PUBLIC_NAMES.get(name, name) for name in DETAIL_FIELDS),
    "joined_on",
)
# The CSV's columns: the public fields, then the review dates staff follow up on.
CSV_HEADER: tuple[str, ...] = (*PUBLIC_FIELDS, "last_reviewed_on", "review_due_on")


def organization_fields(organization: Organization) -> dict[str, Any]:
    """A member's PUBLIC_FIELDS by name: the CSV export and the API both start from these."""
    fields: dict[str, Any] = {"id": organization.pk}
    for name in DETAIL_FIELDS:
        # The state is shown by its code, which the row already holds; a liaison email only
        # once its owner confirmed it (ADR 0009).
        if name == "state":
            value = organization.state_id
        elif name == "liaison_email":
            value = organization.public_liaison_email
        else:
            value = getattr(organization, name)
        fields[PUBLIC_NAMES.get(name, name)] = value
    fields["joined_on"] = organization.joined_on
    return fields


def _services_text(services: dict[str, list[str]]) -> str:
    """`collections: public; reference: affiliated, public`: services in code order."""
    return "; ".join(
        f"{service}: {', '.join(audiences)}" for service, audiences in sorted(services.items())
    )


def _csv_row(organization: Organization) -> list[Any]:
    fields = organization_fields(organization)
    fields["services"] = _services_text(organization.services)
    return [*fields.values(), organization.last_reviewed_on, organization.review_due_on]


def directory_csv(
    *, actor: User, filters: selectors.DirectoryFilters, query: dict[str, str]
) -> Iterator[str]:
    """The members matching the filters as CSV lines, within the regions `actor` may export.

    The caller has checked that `actor` is network staff. The export is audited, with the
    query as typed, when this is called, before the first line is read.
    """
    organizations = selectors.organization_export_rows(
        filters=filters, regions=regions_for_export(actor)
    )
    audit_record(actor=actor, action="directory.export", data={"filters": query})
    rows = (_csv_row(organization) for organization in organizations.iterator(chunk_size=1000))
    return csv_lines(itertools.chain([CSV_HEADER], rows))
