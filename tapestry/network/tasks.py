from django.tasks import task

from tapestry.network.services import review_reminders_send


@task()
def review_reminders_send_task() -> int:
    return review_reminders_send()
