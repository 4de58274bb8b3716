import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tapestry.core.geography import unit_vector

BEFORE = [("network", "0007_organization_location_vector")]
AFTER = [("network", "0008_fill_organization_location_vector")]


# Migrations commit for real; conftest loads the reference data again after the flush.
@pytest.mark.django_db(transaction=True)
def test_members_saved_before_the_location_vector_get_theirs() -> None:
    # Given a member saved when the location vector columns were new (still zero)
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old_apps = executor.loader.project_state(BEFORE).apps
    Organization = old_apps.get_model("network", "Organization")
    member = Organization.objects.create(
        name="Chicago Public Library",
        org_type="public_library",
        address_line1="400 S State St",
        city="Chicago",
        state_id="IL",
        zip_code="60601",
        liaison_name="Alice Liaison",
        liaison_email="alice@example.org",
        latitude=41.8858,
        longitude=-87.6181,
        joined_on=datetime.date(2020, 1, 1),
        last_reviewed_on=datetime.date(2026, 1, 1),
    )

    # When the data migration runs
    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes("network"))

    # Then its vector is the one the application computes
    new_apps = executor.loader.project_state(AFTER).apps
    filled = new_apps.get_model("network", "Organization").objects.get(pk=member.pk)
    assert (filled.location_x, filled.location_y, filled.location_z) == pytest.approx(
        unit_vector(41.8858, -87.6181), abs=1e-12
    )
