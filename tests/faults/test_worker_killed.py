"""A worker killed in the middle of a PDF: the rendering stops blocking once its heartbeat is
older than the deadline, the next "Make PDF" replaces it, and the new PDF is made. (Probe
runs killed mid-run: tests/integration/checks/test_probe_worker.py.)"""

import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from assessments.reports.models import ReportFile
from assessments.reports.services import REPORT_RENDER_TASK
from config.celery import app
from tests.factories import AssessmentFactory
from tests.integration.checks.test_probe_worker import database_url

pytestmark = [pytest.mark.fault, pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]
BASE_DIR = Path(settings.BASE_DIR)
HTMX = {"HTTP_HX_REQUEST": "true"}
# A worker whose rendering never ends (WeasyPrint hung on a huge report, say): it claims the
# report, writes its heartbeat, then waits until it is killed.
STUCK_WORKER = """
import sys, threading
import django
django.setup()
import assessments.reports.services as services
services.pdf_from_html = lambda *args, **kwargs: threading.Event().wait()
from celery.__main__ import main
sys.argv = ["celery", "-A", "config", "worker", "--pool", "solo", "--queues", sys.argv[1],
            "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel", "WARNING"]
main()
"""


def wait_for(report: ReportFile, status: str, timeout: float, log: Path | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        report.refresh_from_db()
        if report.status == status:
            return report
        time.sleep(0.1)
    output = log.read_text(errors="replace")[-3000:] if log else ""
    pytest.fail(f"report {report.pk} still {report.status}, not {status}\n{output}")


def test_a_pdf_whose_worker_was_killed_is_superseded_by_the_next_request(
    celery_worker, owner, bank_version, login, tmp_path
):
    assessment = AssessmentFactory(system__workspace=owner.workspace, bank_version=bank_version)
    stuck = ReportFile.objects.create(
        assessment=assessment, state_fingerprint="", task_id=str(uuid.uuid4())
    )
    queue = f"scaleready-stuck-pdf-{os.getpid()}"
    log = tmp_path / "worker.log"
    env = {**os.environ, "DATABASE_URL": database_url()}
    with log.open("wb") as output:
        worker = subprocess.Popen(
            [sys.executable, "-c", STUCK_WORKER, queue],
            cwd=BASE_DIR,
            env=env,
            stdout=output,
            stderr=output,
        )
    try:
        app.send_task(REPORT_RENDER_TASK, args=[stuck.pk], queue=queue, ignore_result=True)
        wait_for(stuck, ReportFile.Status.RENDERING, timeout=60, log=log)
        assert stuck.heartbeat_at is not None
        worker.send_signal(signal.SIGKILL)
        assert worker.wait(timeout=10) == -signal.SIGKILL
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(timeout=10)

    client = login(owner.user)
    url = reverse("report_generate", args=[assessment.pk])
    # While its heartbeat is fresh the rendering might still finish: a click joins it.
    client.post(url, **HTMX)
    assert list(assessment.reports.values_list("pk", flat=True)) == [stuck.pk]

    silence = settings.SCALEREADY_REPORT_HEARTBEAT_TIMEOUT_SECONDS + 1
    with time_machine.travel(timezone.now() + timedelta(seconds=silence)):
        page = client.post(url, **HTMX).content.decode()
    stuck.refresh_from_db()
    assert stuck.status == ReportFile.Status.FAILED
    assert "The worker stopped while making this PDF" in stuck.error
    fresh = assessment.reports.exclude(pk=stuck.pk).get()
    assert "every 1s" in page  # the new rendering is followed
    wait_for(fresh, ReportFile.Status.READY, timeout=120)
    assert fresh.file
