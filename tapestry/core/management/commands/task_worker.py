"""manage.py task_worker: django-tasks-db's `db_worker` with a heartbeat, recovering first.

Every option of `db_worker` works the same; `--worker-id` is chosen here (`host:pid:token`) so
recovery can tell whether the worker holding a task is still alive (ADR 0031).
"""

from typing import Any

from django_tasks_db.management.commands.db_worker import Command as DatabaseWorkerCommand

from tapestry.core.task_recovery import process_heartbeat, process_id_make, task_recovery_run


class Command(DatabaseWorkerCommand):
    help = (
        "Run the background worker: settle tasks whose worker died (run again or marked "
        "failed), then run queued tasks while keeping a heartbeat."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        process_id = process_id_make()
        options["worker_id"] = process_id
        with process_heartbeat(process_id=process_id):
            # After the heartbeat exists, so a second worker starting at the same moment
            # never takes this one for dead.
            outcome = task_recovery_run()
            if outcome.rerun or outcome.failed:
                self.stdout.write(
                    f"Recovered tasks whose worker stopped: {len(outcome.rerun)} queued again, "
                    f"{len(outcome.failed)} marked failed."
                )
            super().handle(*args, **options)
