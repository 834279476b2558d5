"""Prometheus metrics and structured logs, as an operator scrapes and reads them."""

import json

import pytest
from django.urls import reverse
from prometheus_client.parser import text_string_to_metric_families

from checks.execution import probe_run_execute
from checks.services import probe_run_start
from config.celery import ping
from tests.factories import SystemFactory, TargetFactory
from tests.integration.config.test_settings import PRODUCTION_ENV, run_django
from tests.probe_servers import loopback_only, naive_server

TOKEN = "scrape-token-for-tests"


@pytest.fixture
def metrics_on(settings):
    settings.METRICS_TOKEN = TOKEN


def scrape(client) -> dict[tuple[str, frozenset], float]:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def value(samples, name: str, **labels) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_metrics_are_off_without_a_token(client, settings):
    settings.METRICS_TOKEN = None
    assert client.get("/metrics").status_code == 404


def test_a_wrong_token_is_refused(client, metrics_on):
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer guess")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/metrics").status_code == 401


@pytest.mark.django_db
def test_requests_are_counted_by_view_and_status(client, metrics_on):
    name = "scaleready_http_requests_total"
    before = scrape(client)
    client.get(reverse("login"))
    client.get(reverse("login"))
    client.get("/no/such/page/")
    after = scrape(client)
    login = {"method": "GET", "view": "login", "status": "200"}
    missing = {"method": "GET", "view": "unmatched", "status": "404"}
    assert value(after, name, **login) - value(before, name, **login) == 2
    assert value(after, name, **missing) - value(before, name, **missing) == 1
    timed = value(
        after, "scaleready_http_request_duration_seconds_count", method="GET", view="login"
    )
    assert timed >= 2


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_task_durations_are_recorded_by_the_worker(client, metrics_on, celery_worker):
    name = "scaleready_task_duration_seconds_count"
    labels = {"task": "scaleready.ping", "state": "SUCCESS"}
    before = value(scrape(client), name, **labels)
    assert ping.delay().get(timeout=30)["pong"] is True
    assert value(scrape(client), name, **labels) == before + 1


@pytest.mark.django_db
def test_probe_runs_and_check_outcomes_are_counted(client, metrics_on, owner, probe_settings):
    before = scrape(client)
    system = SystemFactory(workspace=owner.workspace)
    with loopback_only(), naive_server() as server:
        TargetFactory(system=system, url=server.http_url)
        run = probe_run_start(system, owner.user)
        probe_run_execute(run.pk)
    after = scrape(client)
    runs = "scaleready_probe_runs_total"
    assert value(after, runs, status="succeeded") - value(before, runs, status="succeeded") == 1
    checks = "scaleready_probe_check_results_total"
    csp_fail = {"check_id": "csp", "status": "fail"}
    assert value(after, checks, **csp_fail) - value(before, checks, **csp_fail) == 1


def test_json_logs_are_one_object_per_line(tmp_path):
    env = {**PRODUCTION_ENV, "LOG_FORMAT": "json", "SCALEREADY_VAR_DIR": str(tmp_path)}
    code = "import logging; logging.getLogger('scaleready.test').warning('disk %s', 'full')"
    result = run_django(env, "manage.py", "shell", "-c", code)
    assert result.returncode == 0, result.stderr
    [line] = [line for line in result.stderr.splitlines() if "scaleready.test" in line]
    record = json.loads(line)
    assert record["message"] == "disk full"
    assert record["level"] == "WARNING"
    assert record["logger"] == "scaleready.test"
    assert "time" in record


def test_an_unknown_log_format_is_refused_at_start(tmp_path):
    env = {**PRODUCTION_ENV, "LOG_FORMAT": "xml", "SCALEREADY_VAR_DIR": str(tmp_path)}
    result = run_django(env, "manage.py", "check")
    assert result.returncode != 0
    assert "LOG_FORMAT must be 'plain' or 'json'" in result.stderr
