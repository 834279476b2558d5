"""The broker is unreachable when work is queued: the person hears so within seconds, the
row says why, and trying again once the broker is back works at once (real broker, real
worker, real probe target and PDF)."""

import time

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from assessments.reports.models import ReportFile
from checks.models import ProbeRun
from config.enqueue import QUEUE_UNAVAILABLE
from tests.factories import AssessmentFactory, SystemFactory, TargetFactory
from tests.probe_servers import hardened_server

pytestmark = [
    pytest.mark.fault,
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("loopback_network"),
    pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1:DeprecationWarning"),
]
HTMX = {"HTTP_HX_REQUEST": "true"}
# Connecting gives up after SCALEREADY_QUEUE_TIMEOUT_SECONDS (3), not Celery's 20 retries.
ANSWER_WITHIN_SECONDS = 5


def wait_until(condition, timeout: float = 60.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.1)
    pytest.fail(f"{what} not reached within {timeout} s")


def timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_run_probes_with_the_broker_down_fails_at_once_and_a_retry_runs(
    celery_worker, owner, login, local_ca, probe_settings, broker_down
):
    probe_settings.SCALEREADY_PROBE_COOLDOWN_SECONDS = 60  # a failed start must not count
    system = SystemFactory(workspace=owner.workspace)
    client = login(owner.user)
    url = reverse("probe_run_start", args=[system.pk])
    with hardened_server(local_ca) as server:
        TargetFactory(system=system, url=server.url)
        response, seconds = timed(lambda: client.post(url))
        assert seconds < ANSWER_WITHIN_SECONDS
        assert response.status_code == 302
        assert any(QUEUE_UNAVAILABLE in text for text in messages_of(response))
        failed = ProbeRun.objects.get(system=system)
        assert (failed.status, failed.error, failed.started_at) == (
            ProbeRun.Status.FAILED,
            QUEUE_UNAVAILABLE,
            None,
        )

        broker_down.up()
        retry = client.post(url)
        assert retry.status_code == 302
        run = ProbeRun.objects.exclude(pk=failed.pk).get(system=system)
        assert retry.url == run.get_absolute_url()
        wait_until(lambda: ProbeRun.objects.get(pk=run.pk).status == "succeeded", what="rerun")


def test_make_pdf_with_the_broker_down_fails_at_once_and_a_retry_renders(
    celery_worker, owner, login, bank_version, broker_down
):
    assessment = AssessmentFactory(system__workspace=owner.workspace, bank_version=bank_version)
    client = login(owner.user)
    url = reverse("report_generate", args=[assessment.pk])
    fragment, seconds = timed(lambda: client.post(url, **HTMX))
    assert seconds < ANSWER_WITHIN_SECONDS
    assert fragment.status_code == 200
    page = fragment.content.decode()
    assert "The worker queue is unavailable — try again in a moment." in page
    assert "every 1s" not in page  # nothing to wait for
    assert "Generate PDF" in page  # the button is offered again
    plain = client.post(url)
    assert any(QUEUE_UNAVAILABLE in text for text in messages_of(plain))
    assert set(ReportFile.objects.values_list("status", "error")) == {
        (ReportFile.Status.FAILED, QUEUE_UNAVAILABLE)
    }

    broker_down.up()
    client.post(url)
    report = ReportFile.objects.filter(assessment=assessment).order_by("-pk").first()
    wait_until(
        lambda: ReportFile.objects.get(pk=report.pk).status == ReportFile.Status.READY,
        timeout=120,
        what="PDF ready",
    )
