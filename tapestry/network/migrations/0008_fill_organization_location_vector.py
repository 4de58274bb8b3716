import math

from django.db import migrations


def fill(apps, schema_editor):
    # The formula is written out here, not imported: a migration must not depend on app code
    # that may change after it (it is core.geography.unit_vectors for one point).
    Organization = apps.get_model("network", "Organization")
    organizations = list(Organization.objects.only("pk", "latitude", "longitude"))
    for organization in organizations:
        latitude = math.radians(organization.latitude)
        longitude = math.radians(organization.longitude)
        organization.location_x = math.cos(latitude) * math.cos(longitude)
        organization.location_y = math.cos(latitude) * math.sin(longitude)
        organization.location_z = math.sin(latitude)
    Organization.objects.bulk_update(
        organizations, ["location_x", "location_y", "location_z"], batch_size=1000
    )


class Migration(migrations.Migration):
    dependencies = [("network", "0007_organization_location_vector")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
