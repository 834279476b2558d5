"""The drift watch's reads: who is told, and the system page's watch panel (status, alerts
with their events, the history chart) in a constant number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.formats import date_format

from assessments.watch.domain.history import grade_chart, latency_chart
from assessments.watch.models import DriftAlert, DriftEvent, SystemWatch
from assessments.workspaces.access import EDIT, PERMISSIONS
from checks.engine.drift import snapshot
from checks.models import ProbeRun
from checks.selectors import SNAPSHOT_FIELDS, grade_runs, result_rows

ALERTS_SHOWN = 10
HISTORY_RUNS = 12
SWEEP_EVERY = timedelta(minutes=5)  # CELERY_BEAT_SCHEDULE["drift-watch-sweep"]


def watch_of(system) -> SystemWatch:
    """The system's watch row, unsaved (not watched) when it has none yet."""
    return SystemWatch.objects.filter(system=system).first() or SystemWatch(system=system)


def drift_recipients(system) -> list[str]:
    """Who gets a drift e-mail: the people who may edit the system (owners and consultants
    of its workspace; never client staff), with an address, read when the mail is sent."""
    users = get_user_model().objects.filter(
        memberships__workspace_id=system.workspace_id,
        memberships__role__in=PERMISSIONS[EDIT],
        is_active=True,
    )
    return sorted(set(users.exclude(email="").values_list("email", flat=True)))


@dataclass(frozen=True)
class HistoryRow:
    finished_at: datetime
    letter: str  # "" when nothing could be judged
    score: int | None
    latency_ms: float | None
    by_watch: bool


@dataclass(frozen=True)
class WatchPanel:
    watch: SystemWatch
    next_check: datetime | None  # None: not watched; <= now: at the next sweep
    alerts: list[DriftAlert]
    history: list[HistoryRow]  # oldest first
    grade_chart: dict
    latency_chart: dict

    @property
    def next_check_soon(self) -> bool:
        return self.next_check is not None and self.next_check <= timezone.now() + SWEEP_EVERY


def watch_panel(system) -> WatchPanel:
    """Everything the system page shows of the watch, in six queries whatever the history."""
    watch = watch_of(system)
    events = Prefetch("events", queryset=DriftEvent.objects.order_by("pk"))
    alerts = list(
        DriftAlert.objects.filter(system=system)
        .select_related("previous_run")
        .prefetch_related(events)
        .order_by("-created_at", "-pk")[:ALERTS_SHOWN]
    )
    next_check = None
    if watch.is_on:
        last = ProbeRun.objects.filter(system=system).order_by("-created_at")
        last_at = last.values_list("created_at", flat=True).first()
        next_check = last_at + watch.length if last_at else timezone.now()
    history = _history(system)
    labels = [date_format(timezone.localtime(row.finished_at), "j M") for row in history]
    if len(set(labels)) < len(labels):  # several runs a day: the time tells them apart
        labels = [date_format(timezone.localtime(r.finished_at), "j M H:i") for r in history]
    return WatchPanel(
        watch=watch,
        next_check=next_check,
        alerts=alerts,
        history=history,
        grade_chart=grade_chart(zip(labels, [row.score for row in history], strict=True)),
        latency_chart=latency_chart(zip(labels, [row.latency_ms for row in history], strict=True)),
    )


def _history(system) -> list[HistoryRow]:
    """The latest succeeded runs, oldest first, with grade and the slowest judged latency."""
    runs = ProbeRun.objects.filter(system=system, status=ProbeRun.Status.SUCCEEDED)
    runs = grade_runs(list(runs.order_by("-finished_at", "-pk")[:HISTORY_RUNS]))
    rows = result_rows([run.pk for run in runs], SNAPSHOT_FIELDS, check_id="latency_percentiles")
    # The drift comparison's own reading of a run's latency (``checks.engine.drift.snapshot``).
    latency = {
        run_id: max(measured.values())
        for run_id, run_rows in rows.items()
        if (measured := snapshot(run_rows).latency_ms)
    }
    return [
        HistoryRow(
            finished_at=run.finished_at,
            letter=run.grade.letter if run.grade else "",
            score=run.grade.score if run.grade else None,
            latency_ms=latency.get(run.pk),
            by_watch=run.started_by_watch,
        )
        for run in reversed(runs)
    ]
