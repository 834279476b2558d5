"""Prometheus metrics: HTTP requests, Celery task durations, probe outcomes.

Web and worker processes each count for themselves; prometheus_client's multiprocess mode
keeps every process's samples in files under ``PROMETHEUS_MULTIPROC_DIR`` and ``/metrics``
sums them, so one scrape of any web process sees the whole deployment on this machine.
The directory must be in the environment before prometheus_client is first imported; the
settings module puts it there. ``/metrics`` is off unless ``METRICS_TOKEN`` is set (or in
DEBUG); scrapers send it as a bearer token.
"""

import secrets
import time

from django.conf import settings
from django.http import Http404, HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

HTTP_REQUESTS = Counter(
    "scaleready_http_requests_total",
    "HTTP requests answered, by method, view (URL name) and status code.",
    ["method", "view", "status"],
)
HTTP_SECONDS = Histogram(
    "scaleready_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and view.",
    ["method", "view"],
)
TASK_SECONDS = Histogram(
    "scaleready_task_duration_seconds",
    "Celery task run time, by task name and final state.",
    ["task", "state"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
)
PROBE_RUNS = Counter(
    "scaleready_probe_runs_total", "Probe runs that ended, by final status.", ["status"]
)
PROBE_CHECK_RESULTS = Counter(
    "scaleready_probe_check_results_total",
    "Check results stored by probe runs, by check id and status.",
    ["check_id", "status"],
)


class MetricsMiddleware:
    """Counts and times every request; the view label is the URL name, so it stays bounded."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        view = (match.url_name or match.view_name) if match else "unmatched"
        HTTP_SECONDS.labels(request.method, view).observe(time.perf_counter() - started)
        HTTP_REQUESTS.labels(request.method, view, str(response.status_code)).inc()
        return response


def metrics_view(request):
    token = settings.METRICS_TOKEN
    if not token and not settings.DEBUG:
        raise Http404("Metrics are not enabled (set METRICS_TOKEN).")
    if token:
        sent = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not secrets.compare_digest(sent.encode(), token.encode()):
            response = HttpResponse("A valid bearer token is required.\n", status=401)
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


_task_started: dict[str, float] = {}


def task_started(task_id=None, **_):
    _task_started[task_id] = time.perf_counter()


def task_finished(task_id=None, task=None, state=None, **_):
    started = _task_started.pop(task_id, None)
    if started is not None and task is not None:
        TASK_SECONDS.labels(task.name, state or "UNKNOWN").observe(time.perf_counter() - started)
