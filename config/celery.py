"""The Celery application; tasks live in each app's ``tasks.py``.

Services send tasks by their registered name (``current_app.send_task``), so a task module
may import its services and no service imports a task module.
"""

import os

from celery import Celery
from celery.signals import task_postrun, task_prerun
from django.db import connection

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("scaleready")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="scaleready.ping")
def ping() -> dict:
    """Round-trip through the broker and the database, to prove a worker is wired up."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        (value,) = cursor.fetchone()
    return {"pong": value == 1, "database": connection.vendor}


# config.metrics imports prometheus_client, which reads PROMETHEUS_MULTIPROC_DIR when first
# imported: only the settings set it, so the import waits until a task runs.
@task_prerun.connect
def _task_started(**kwargs):
    from config.metrics import task_started

    task_started(**kwargs)


@task_postrun.connect
def _task_finished(**kwargs):
    from config.metrics import task_finished

    task_finished(**kwargs)
