"""The Celery application; tasks live in each app's ``tasks.py``."""

import os

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("scaleready")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
def _task_started(**kwargs):
    from config.metrics import task_started

    task_started(**kwargs)


@task_postrun.connect
def _task_finished(**kwargs):
    from config.metrics import task_finished

    task_finished(**kwargs)
