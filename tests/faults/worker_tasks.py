"""Tasks only the fault tests enqueue; the workers they start import them from here."""

from django.tasks import TaskContext, task

from tapestry.core.api import audit_record, checkpoint


@task(takes_context=True)
def run_recorded(context: TaskContext, *, number: int) -> int:
    """Write one audit row naming this task and the worker that ran it. Task 0 first waits at
    the checkpoint `first-task`, holding its worker, so the other worker must run the rest."""
    if number == 0:
        checkpoint("first-task")
    result = context.task_result
    audit_record(
        actor=None,
        action="faults.task_ran",
        summary=str(number),
        data={"task": result.id, "worker": result.worker_ids[-1]},
    )
    return number
