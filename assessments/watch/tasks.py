"""Celery tasks of the drift watch: thin wrappers around ``assessments.watch.services``."""

from celery import shared_task

from assessments.watch.services import (
    DRIFT_EMAIL_TASK,
    DRIFT_WEBHOOK_TASK,
    WATCH_START_TASK,
    WATCH_SWEEP_TASK,
    drift_deliveries_resume,
    drift_email_send,
    drift_webhook_deliver,
    watch_sweep,
    watched_run_start,
)
from checks.engine.drift import WEBHOOK_ATTEMPTS


@shared_task(name=WATCH_SWEEP_TASK)
def watch_sweep_task() -> int:
    """Every five minutes (``CELERY_BEAT_SCHEDULE``): queue the watched runs that are due, and
    the notifications a stopped worker left pending."""
    drift_deliveries_resume()
    return watch_sweep()


@shared_task(name=WATCH_START_TASK)
def watched_run_start_task(system_id: int) -> int | None:
    run = watched_run_start(system_id)
    return run.pk if run else None


@shared_task(name=DRIFT_EMAIL_TASK)
def drift_email_task(alert_id: int) -> bool:
    return drift_email_send(alert_id)


@shared_task(name=DRIFT_WEBHOOK_TASK, bind=True, max_retries=WEBHOOK_ATTEMPTS)
def drift_webhook_task(self, alert_id: int) -> None:
    """One attempt; the alert row counts attempts and says when to try again."""
    retry_in = drift_webhook_deliver(alert_id)
    if retry_in is not None:
        raise self.retry(countdown=retry_in)
