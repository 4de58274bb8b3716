"""Background work of the research app, run by the django-tasks-db worker."""

from django.tasks import task

from tapestry.research.services import dataset_build


@task()
def dataset_build_task(*, dataset_id: int) -> str:
    """Build a queued dataset (services.dataset_build) and return its final status; a build
    that fails is marked FAILED with the reason by the service itself."""
    return str(dataset_build(dataset_id=dataset_id).status)
