"""Celery tasks of the probes: thin wrappers around ``checks.execution`` and ``checks.services``."""

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from checks.execution import probe_run_execute
from checks.services import (
    PROBE_RUN_TASK,
    PROBE_RUNS_SWEEP_TASK,
    probe_run_fail,
    probe_runs_sweep,
)


@shared_task(
    name=PROBE_RUN_TASK,
    acks_late=True,  # idempotent: a redelivered run is not queued any more and is skipped
    soft_time_limit=settings.CELERY_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.CELERY_TASK_TIME_LIMIT,
)
def probe_run_task(run_id: int) -> None:
    try:
        probe_run_execute(run_id)
    except SoftTimeLimitExceeded:
        seconds = settings.CELERY_TASK_SOFT_TIME_LIMIT
        probe_run_fail(
            run_id,
            f"The run took longer than its {seconds}-second limit and was stopped. "
            "A target may be very slow to answer; running the probes again is safe.",
        )


@shared_task(name=PROBE_RUNS_SWEEP_TASK)
def probe_runs_sweep_task() -> int:
    """Every minute (``CELERY_BEAT_SCHEDULE``): fail runs whose worker stopped responding."""
    return probe_runs_sweep()
