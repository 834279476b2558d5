"""The drift watch end to end: Celery beat and a real worker, the clock moved by time-machine.

Beat runs for real in a thread (``celery.beat.Service`` with the app's own
``CELERY_BEAT_SCHEDULE``); the in-thread worker (``celery_worker``) consumes what it sends.
A person's run is the baseline; the local site then drops its HSTS header; the clock moves
past the watch's day; beat's sweep queues the watched run, the worker probes, compares, and
delivers the e-mail and the webhook (first answered 500, then 200) to a local receiver that
checks the signature. Waits poll the database against deadlines; nothing sleeps a fixed time.
"""

import threading
import time
from datetime import timedelta

import pytest
import time_machine
from celery.beat import Service
from django.conf import settings
from django.core import mail
from django.utils import timezone

from assessments.watch.models import DriftAlert, SystemWatch
from assessments.watch.services import WATCH_SWEEP_TASK, watch_save
from checks.models import ProbeRun
from checks.services import probe_run_start
from config.celery import app
from tests.factories import SystemFactory, TargetFactory
from tests.integration.watch.receivers import webhook_receiver
from tests.integration.watch.test_watch import changing_server

pytestmark = [
    pytest.mark.usefixtures("loopback_network", "probe_settings"),
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1:DeprecationWarning"),
]
Delivery = DriftAlert.Delivery


def wait_until(condition, what: str, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"still waiting after {timeout} s for {what}")


def run_ended(run_id):
    status = ProbeRun.objects.filter(pk=run_id).values_list("status", flat=True).first()
    return status in (ProbeRun.Status.SUCCEEDED, ProbeRun.Status.FAILED)


def test_the_beat_schedule_sweeps_the_watch_with_a_registered_task():
    app.loader.import_default_modules()  # what a worker does at start: every app's tasks
    entry = settings.CELERY_BEAT_SCHEDULE["drift-watch-sweep"]
    assert entry["task"] == WATCH_SWEEP_TASK
    assert WATCH_SWEEP_TASK in app.tasks


def test_beat_and_a_worker_find_a_regression_and_deliver_it(
    celery_worker, owner, local_ca, probe_settings, tmp_path
):
    probe_settings.SCALEREADY_WEBHOOK_RETRY_BASE_SECONDS = 0
    system = SystemFactory(workspace=owner.workspace, name="Shop")
    beat = Service(app, max_interval=0.2, schedule_filename=str(tmp_path / "beat-schedule"))
    with changing_server(local_ca) as site, webhook_receiver(local_ca, (500,)) as receiver:
        TargetFactory(system=system, url=site.url)
        watch = watch_save(
            system,
            period="daily",
            run_burst=False,
            webhook_url=f"https://localhost:{receiver.port}/hooks",
            new_secret=False,
            user=owner.user,
        )
        receiver.config["secret"] = watch.webhook_secret
        baseline = probe_run_start(system, owner.user)
        wait_until(lambda: run_ended(baseline.pk), "the baseline run")
        site.config["drop_hsts"] = True

        assert beat.scheduler.schedule["drift-watch-sweep"].task == WATCH_SWEEP_TASK
        # Built before the clock moves, so its entries last ran "now" (beat's own start).
        thread = threading.Thread(target=beat.start, name="beat", daemon=True)
        thread.start()
        try:
            # Not due yet: the baseline ran moments ago. A day later, it is.
            with time_machine.travel(timezone.now() + timedelta(days=1, minutes=10), tick=True):
                watched = wait_until(
                    lambda: ProbeRun.objects.filter(system=system, started_by_watch=True).first(),
                    "beat's sweep to start a watched run",
                )
                wait_until(lambda: run_ended(watched.pk), "the watched run")
                alert = wait_until(
                    lambda: DriftAlert.objects.filter(
                        run=watched,
                        webhook_state=Delivery.DELIVERED,
                        email_state=Delivery.DELIVERED,
                    ).first(),
                    "the e-mail and the webhook",
                )
        finally:
            beat.stop()
            thread.join(timeout=20)
        deliveries = list(receiver.config["deliveries"])

    watched.refresh_from_db()
    assert watched.status == ProbeRun.Status.SUCCEEDED, watched.error
    assert watched.requested_by is None
    assert alert.previous_run_id == baseline.pk
    assert alert.webhook_attempts == 2
    summaries = list(alert.events.values_list("summary", flat=True))
    assert any(s.endswith(f"pass before, fail now ({site.url}).") for s in summaries), summaries
    assert [d.signature_valid for d in deliveries] == [True, True]
    assert {r["summary"] for r in deliveries[-1].body["regressions"]} == set(summaries)
    [message] = mail.outbox
    assert message.to == [owner.user.email]
    assert SystemWatch.objects.get().queued_at is not None  # claimed by the sweep
    assert not thread.is_alive()
