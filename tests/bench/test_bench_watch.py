"""Benchmarks of the drift watch: the beat sweep over 500 watched systems against 5 (queries
and time, same run), and comparing two stored runs of 10 targets from the database against the
pure comparison of the same rows."""

import statistics
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assessments.watch.models import DriftAlert, SystemWatch
from assessments.watch.services import drift_compare, watch_sweep
from assessments.workspaces.models import System
from checks.engine.catalog import CHECKS
from checks.engine.drift import compare_runs, snapshot
from checks.models import ProbeResult, ProbeRun
from tests.bench.measure import report
from tests.factories import WorkspaceFactory

pytestmark = pytest.mark.django_db


def watched_workspace(count: int) -> list[int]:
    workspace = WorkspaceFactory()
    systems = System.objects.bulk_create(
        System(workspace=workspace, name=f"S{i}", current_users=10, target_users=1000)
        for i in range(count)
    )
    SystemWatch.objects.bulk_create(SystemWatch(system=s, period="daily") for s in systems)
    return [s.pk for s in systems]


def sweep_once(system_ids) -> tuple[int, int, float]:
    """(systems queued, queries, seconds) of one sweep with every watch due."""
    SystemWatch.objects.filter(system_id__in=system_ids).update(queued_at=None)
    with CaptureQueriesContext(connection) as captured:
        start = time.perf_counter()
        queued = watch_sweep()
        seconds = time.perf_counter() - start
    return queued, len(captured), seconds


def test_the_sweep_over_500_watched_systems_issues_as_many_queries_as_over_5():
    small = watched_workspace(5)
    SystemWatch.objects.exclude(system_id__in=small).delete()
    timings = {"5": [], "500": []}
    queries = {}
    for _ in range(5):
        queued, queries["5"], seconds = sweep_once(small)
        assert queued == 5
        timings["5"].append(seconds)
    large = watched_workspace(495) + small
    for _ in range(5):
        queued, queries["500"], seconds = sweep_once(large)
        assert queued == 500
        timings["500"].append(seconds)
    medians = {size: statistics.median(values) * 1000 for size, values in timings.items()}
    report(
        "Drift watch sweep, every watch due",
        [
            ("SQL queries, 5 watched systems", str(queries["5"])),
            ("SQL queries, 500 watched systems", f"{queries['500']} (asserted equal)"),
            ("sweep of 5", f"{medians['5']:.1f} ms"),
            ("sweep of 500", f"{medians['500']:.1f} ms"),
            ("ratio 500 / 5", f"{medians['500'] / medians['5']:.1f}"),
        ],
    )
    assert queries["5"] == queries["500"]


def stored_run(system, failing=()) -> ProbeRun:
    run = ProbeRun.objects.create(system=system, status="succeeded", finished_at=timezone.now())
    ProbeResult.objects.bulk_create(
        ProbeResult(
            run=run,
            target_url=f"https://t{n}.example.com/",
            check_id=check_id,
            category=check.category,
            status="fail" if check_id in failing else "pass",
            score=0 if check_id in failing else 100,
            message="",
            evidence={"judged_ms": 300.0 if check_id in failing else 120.0},
        )
        for n in range(10)
        for check_id, check in CHECKS.items()
    )
    return run


def test_comparing_two_stored_runs_of_10_targets_takes_under_10_ms():
    [system_id] = watched_workspace(1)
    system = System.objects.get(pk=system_id)
    previous = stored_run(system)
    current = stored_run(system, failing={"csp", "hsts", "latency_percentiles"})
    rows = {
        run.pk: list(
            run.results.values("check_id", "category", "status", "score", "evidence", "target_url")
        )
        for run in (previous, current)
    }
    stored, pure = [], []
    for _ in range(20):
        DriftAlert.objects.all().delete()
        start = time.perf_counter()
        alert = drift_compare(current.pk)
        stored.append(time.perf_counter() - start)
        start = time.perf_counter()
        found = compare_runs(snapshot(rows[previous.pk]), snapshot(rows[current.pk]))
        pure.append(time.perf_counter() - start)
    stored_ms, pure_ms = statistics.median(stored) * 1000, statistics.median(pure) * 1000
    report(
        "Comparing two stored runs of 10 targets (watch.services.drift_compare)",
        [
            ("from the database: read, compare, store alert + events", f"{stored_ms:.2f} ms"),
            ("baseline, same rows in memory (checks.engine.drift)", f"{pure_ms:.2f} ms"),
            ("ratio stored / pure", f"{stored_ms / pure_ms:.1f}"),
            ("regressions", str(alert.events.count())),
        ],
    )
    assert alert.events.count() == len(found) > 20
    assert stored_ms < 10
    assert pure_ms < 10
