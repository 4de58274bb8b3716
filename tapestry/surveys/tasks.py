from django.tasks import task

from tapestry.surveys.services import drafts_expire


@task()
def drafts_expire_task() -> int:
    return drafts_expire()
