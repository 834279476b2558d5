"""Celery tasks of the probe engine: thin wrappers around ``checks.runs``."""

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from checks.runs import probe_run_execute, probe_run_fail, probe_runs_sweep


@shared_task(
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


@shared_task
def probe_runs_sweep_task() -> int:
    """Every minute (``CELERY_BEAT_SCHEDULE``): fail runs whose worker stopped responding."""
    return probe_runs_sweep()
