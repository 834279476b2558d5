from celery import shared_task
from django.db import connection


@shared_task
def ping() -> dict:
    """Round-trip through the broker and the database, to prove a worker is wired up."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        (value,) = cursor.fetchone()
    return {"pong": value == 1, "database": connection.vendor}


@shared_task(acks_late=True, soft_time_limit=90, time_limit=120)
def report_render_task(report_id: int) -> None:
    """Render a queued PDF report; idempotent (claims the row), so a redelivery is harmless."""
    from assessments.reports import report_render

    report_render(report_id)


@shared_task
def reports_sweep_task() -> int:
    """Every minute (``CELERY_BEAT_SCHEDULE``): fail PDF renderings no worker finished."""
    from assessments.reports import reports_sweep

    return reports_sweep()
