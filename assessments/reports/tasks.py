"""Celery tasks of the reports: thin wrappers around ``assessments.reports.services``."""

from celery import shared_task
from django.conf import settings

from assessments.reports.services import (
    REPORT_RENDER_TASK,
    REPORTS_SWEEP_TASK,
    report_render,
    reports_sweep,
)


@shared_task(
    name=REPORT_RENDER_TASK,
    acks_late=True,  # idempotent: a redelivered rendering is not queued any more and is skipped
    soft_time_limit=settings.SCALEREADY_REPORT_SOFT_TIME_LIMIT,
    time_limit=settings.SCALEREADY_REPORT_TIME_LIMIT,
)
def report_render_task(report_id: int) -> None:
    """Render a queued PDF report; idempotent (claims the row), so a redelivery is harmless."""
    report_render(report_id)


@shared_task(name=REPORTS_SWEEP_TASK)
def reports_sweep_task() -> int:
    """Every minute (``CELERY_BEAT_SCHEDULE``): fail PDF renderings no worker finished."""
    return reports_sweep()
