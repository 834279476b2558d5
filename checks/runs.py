"""Probe runs: starting them, running them in a worker, sweeping dead ones, reading results.

Writes are plain functions (``probe_run_start``, ``probe_run_execute``, ``probe_runs_sweep``,
``target_verify``); the Celery tasks in ``checks.tasks`` only call them. Reads for other
parts of the app (scoring) are the selectors at the end: ``latest_run``, ``latest_evidence``,
``latest_burst``.

How a run stays honest:

- one active run per system, enforced by a partial unique index, and a cooldown per host
  across all systems, so a target is not probed over and over;
- a worker claims a run with a conditional ``UPDATE ... WHERE status = 'queued'``, so a
  redelivered task never runs it twice;
- while it runs, the worker writes progress and a heartbeat from its own thread (gatherer
  threads never touch the database); the sweeper fails a run whose heartbeat stopped;
- results are stored in the same transaction that marks the run finished, and only if it is
  still running -- a run the sweeper already failed keeps its reason and stays without results.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, Subquery
from django.utils import timezone
from kombu.exceptions import OperationalError

from checks.artifacts import BurstResult, TargetArtifacts
from checks.catalog import CATEGORIES, CHECKS, CheckResult
from checks.models import ProbedTarget, ProbeResult, ProbeRun, Target
from checks.probe import ProbeOptions, evaluate_checks, plain_json, probe_target
from checks.safety import TargetRefused
from checks.verification import VerificationResult, verify_ownership
from config.metrics import PROBE_CHECK_RESULTS, PROBE_RUNS

logger = logging.getLogger(__name__)

Status = ProbeRun.Status
PASSIVE_GATHERERS = ("http", "tls", "dns", "latency")
BURST_GATHERERS = ("verification", "burst")
MAX_PARALLEL_TARGETS = 10
HEARTBEAT_SECONDS = 5.0  # the worker writes a heartbeat at least this often
PROGRESS_TICK_SECONDS = 0.25  # and progress at most this often
# "Verify now" runs inside a web request: tighter limits than the gatherers'.
VERIFY_LIMITS = {"connect_timeout": 5.0, "read_timeout": 5.0, "deadline_seconds": 8.0}


class ProbeRunRefused(Exception):
    """A run cannot start now; the message says why and what to do."""


class RunInProgress(ProbeRunRefused):
    pass


class NoTargets(ProbeRunRefused):
    pass


class CooldownActive(ProbeRunRefused):
    def __init__(self, host: str, seconds_left: int) -> None:
        self.host = host
        self.seconds_left = seconds_left
        super().__init__(
            f"{host} was probed moments ago; to spare it, wait {seconds_left} more "
            f"second{'s' if seconds_left != 1 else ''} before probing it again."
        )


# --- Starting ------------------------------------------------------------------------------


def probe_run_start(system, user, run_burst: bool = False) -> ProbeRun:
    """Queue a probe run of every base URL of ``system``; the task is sent after commit.

    Raises ``NoTargets``, ``RunInProgress`` or ``CooldownActive``.
    """
    urls = list(system.targets.values_list("url", flat=True))
    if not urls:
        raise NoTargets("This system has no base URLs to probe yet: add one first.")
    now = timezone.now()
    with transaction.atomic():
        if ProbeRun.objects.filter(system=system, status__in=ProbeRun.ACTIVE).exists():
            raise RunInProgress(_in_progress_message())
        host, seconds_left = cooldown_remaining(urls, now)
        if seconds_left:
            raise CooldownActive(host, seconds_left)
        try:
            with transaction.atomic():
                run = ProbeRun.objects.create(
                    system=system,
                    requested_by=user if user and user.is_authenticated else None,
                    run_burst=run_burst,
                    target_urls=urls,
                )
        except IntegrityError:  # another request queued one a moment ago
            raise RunInProgress(_in_progress_message()) from None
        transaction.on_commit(lambda: _enqueue(run.pk))
    return run


def _in_progress_message() -> str:
    return (
        "A probe run of this system is already queued or running; "
        "wait for it to finish before starting another."
    )


def _enqueue(run_id: int) -> None:
    from checks.tasks import probe_run_task  # the task module imports this one

    try:
        probe_run_task.delay(run_id)
    except OperationalError as exc:  # the broker is down: say so now, not in ten minutes
        logger.error("probe run %s could not be queued: %s", run_id, exc)
        probe_run_fail(
            run_id,
            "The task queue could not be reached, so the run was not started. "
            "Try again in a moment.",
        )


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def cooldown_remaining(urls: Sequence[str], now: datetime) -> tuple[str, int]:
    """(host, whole seconds to wait) for the host of ``urls`` probed most recently, any
    system; ("", 0) when none is in its cooldown. A run still active counts as probing now.
    """
    cooldown = settings.SCALEREADY_PROBE_COOLDOWN_SECONDS
    if cooldown <= 0:
        return "", 0
    hosts = {host_of(url) for url in urls}
    since = now - timedelta(seconds=cooldown)
    recent = ProbeRun.objects.filter(
        Q(status__in=ProbeRun.ACTIVE) | Q(finished_at__gte=since) | Q(created_at__gte=since)
    ).only("status", "created_at", "finished_at", "target_urls")
    worst = ("", 0)
    for run in recent:
        last_probed = now if run.is_active else (run.finished_at or run.created_at)
        left = math.ceil(cooldown - (now - last_probed).total_seconds())
        for host in hosts & {host_of(url) for url in run.target_urls}:
            if left > worst[1]:
                worst = (host, left)
    return worst


# --- Running -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetJob:
    """One target to probe in a run, with the options that apply to it."""

    url: str
    options: ProbeOptions
    target_id: int | None = None
    note: str = ""  # known before probing (e.g. the burst is skipped)

    @property
    def gatherers(self) -> tuple[str, ...]:
        return PASSIVE_GATHERERS + (BURST_GATHERERS if self.options.run_burst else ())


@dataclass(frozen=True)
class TargetOutcome:
    job: TargetJob
    artifacts: TargetArtifacts | None  # None when the target was refused
    results: tuple[CheckResult, ...] = ()
    note: str = ""


class RunProgress:
    """Live progress of a run, updated from gatherer threads, read by the writer thread."""

    def __init__(self, jobs: Sequence[TargetJob]) -> None:
        self._lock = threading.Lock()
        self._version = 0
        self._targets = [
            {"url": job.url, "state": "waiting", "expected": list(job.gatherers), "gatherers": {}}
            for job in jobs
        ]
        self._index = {job.url: i for i, job in enumerate(jobs)}

    @property
    def version(self) -> int:
        return self._version

    def gatherer(self, url: str, name: str, state: str) -> None:
        with self._lock:
            entry = self._targets[self._index[url]]
            entry["state"] = "running"
            entry["gatherers"][name] = state
            self._version += 1

    def target_finished(self, url: str, state: str, note: str = "") -> None:
        with self._lock:
            entry = self._targets[self._index[url]]
            entry["state"] = state
            if note:
                entry["note"] = note
            self._version += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            targets = [{**entry, "gatherers": dict(entry["gatherers"])} for entry in self._targets]
        return {"targets": targets}


def probe_options(**overrides: Any) -> ProbeOptions:
    """The options of real runs, from settings (loopback only where allowed, CA bundle)."""
    return ProbeOptions(
        allow_loopback=settings.SCALEREADY_ALLOW_LOOPBACK_TARGETS,
        ca_bundle=settings.SCALEREADY_PROBE_CA_BUNDLE,
        **overrides,
    )


def probe_one(job: TargetJob, progress: RunProgress | None = None) -> TargetOutcome:
    """Probe and evaluate one target; a refusal by the guard is an outcome, not an error.

    Runs in a pool thread: it must not touch the database.
    """

    def on_progress(name: str, state: str) -> None:
        if progress is not None:
            progress.gatherer(job.url, name, state)

    try:
        artifacts = probe_target(job.url, job.options, on_progress)
    except TargetRefused as exc:
        note = f"Not probed: the address was refused ({exc.reason})."
        if progress is not None:
            progress.target_finished(job.url, "refused", note)
        return TargetOutcome(job, None, note=note)
    note = job.note
    burst = artifacts.burst
    if job.options.run_burst and burst is not None and not burst.verified:
        note = f"The capacity burst did not run: {burst.refused_reason}."
    if progress is not None:
        progress.target_finished(job.url, "done")
    return TargetOutcome(job, artifacts, evaluate_checks(artifacts), note)


def probe_targets(
    jobs: Sequence[TargetJob],
    progress: RunProgress | None = None,
    on_tick: Callable[[], None] | None = None,
) -> list[TargetOutcome]:
    """Probe the targets in parallel (each one's gatherers are parallel too), in job order.

    ``on_tick`` is called from the calling thread every ``PROGRESS_TICK_SECONDS`` while the
    targets are probed: the run's heartbeat and progress writer.
    """
    if not jobs:
        return []
    pool = ThreadPoolExecutor(
        max_workers=min(MAX_PARALLEL_TARGETS, len(jobs)), thread_name_prefix="probe-target"
    )
    try:
        futures = [pool.submit(probe_one, job, progress) for job in jobs]
        pending = set(futures)
        while pending:
            done, pending = wait(
                pending, timeout=PROGRESS_TICK_SECONDS, return_when=FIRST_EXCEPTION
            )
            if on_tick is not None:
                on_tick()
            for future in done:
                if future.exception() is not None:
                    raise future.exception()
        return [future.result() for future in futures]
    finally:
        # On a time limit or an error, do not wait for the others: their deadlines end them.
        pool.shutdown(wait=False, cancel_futures=True)


class _Heartbeat:
    """Writes progress and the heartbeat of a running run, from the worker's own thread."""

    def __init__(self, run_id: int, progress: RunProgress) -> None:
        self.run_id = run_id
        self.progress = progress
        self.written_version = -1
        self.written_at = 0.0
        self.lost = False  # the run is no longer ours (the sweeper failed it)

    def __call__(self) -> None:
        due = time.monotonic() - self.written_at >= HEARTBEAT_SECONDS
        if self.lost or (self.progress.version == self.written_version and not due):
            return
        version = self.progress.version
        updated = ProbeRun.objects.filter(pk=self.run_id, status=Status.RUNNING).update(
            progress=self.progress.snapshot(), heartbeat_at=timezone.now()
        )
        self.written_version, self.written_at = version, time.monotonic()
        self.lost = updated == 0


def probe_run_execute(run_id: int) -> None:
    """Run a queued probe run to its end. Safe to call twice: only one call claims the run."""
    now = timezone.now()
    claimed = ProbeRun.objects.filter(pk=run_id, status=Status.QUEUED).update(
        status=Status.RUNNING, started_at=now, heartbeat_at=now
    )
    if not claimed:
        logger.info("probe run %s was not queued any more; nothing to do", run_id)
        return
    run = ProbeRun.objects.get(pk=run_id)
    try:
        _execute(run)
    except SoftTimeLimitExceeded:
        raise  # the task records the time limit as the reason
    except Exception as exc:
        probe_run_fail(run_id, f"The run stopped on an unexpected error: {type(exc).__name__}.")
        raise


def _execute(run: ProbeRun) -> None:
    jobs = run_jobs(run)
    if not jobs:
        probe_run_fail(run.pk, "The system has no base URLs any more; nothing was probed.")
        return
    progress = RunProgress(jobs)
    heartbeat = _Heartbeat(run.pk, progress)
    heartbeat()
    outcomes = probe_targets(jobs, progress, on_tick=heartbeat)
    _finish(run, outcomes, progress)


def run_jobs(run: ProbeRun) -> list[TargetJob]:
    """The run's targets that still exist; bursts only where ownership is verified."""
    targets = Target.objects.filter(system_id=run.system_id, url__in=run.target_urls)
    jobs = []
    for target in targets:
        burst = run.run_burst and target.is_verified
        note = ""
        if run.run_burst and not burst:
            note = "The capacity burst was skipped: ownership of this target is not verified."
        options = probe_options(
            run_burst=burst, verification_token=target.verification_token if burst else None
        )
        jobs.append(TargetJob(target.url, options, target.pk, note))
    return jobs


def _finish(run: ProbeRun, outcomes: Sequence[TargetOutcome], progress: RunProgress) -> None:
    probed = [outcome for outcome in outcomes if outcome.artifacts is not None]
    if probed:
        status, error = Status.SUCCEEDED, ""
    else:
        status = Status.FAILED
        error = "No target could be probed. " + " ".join(f"{o.job.url}: {o.note}" for o in outcomes)
    with transaction.atomic():
        finished = ProbeRun.objects.filter(pk=run.pk, status=Status.RUNNING).update(
            status=status,
            error=error,
            finished_at=timezone.now(),
            heartbeat_at=timezone.now(),
            progress=progress.snapshot(),
        )
        if not finished:
            logger.warning("probe run %s was failed while it ran; its results are dropped", run.pk)
            return
        _store(run, outcomes)
    PROBE_RUNS.labels(status).inc()
    for outcome in outcomes:
        for result in outcome.results:
            PROBE_CHECK_RESULTS.labels(result.check_id, str(result.status)).inc()
    _forget_lost_verifications(outcomes)


def _store(run: ProbeRun, outcomes: Sequence[TargetOutcome]) -> None:
    ids = {o.job.target_id for o in outcomes}
    existing = set(Target.objects.filter(pk__in=ids).values_list("pk", flat=True))
    probed_targets, results = [], []
    for outcome in outcomes:
        target_id = outcome.job.target_id if outcome.job.target_id in existing else None
        artifacts = outcome.artifacts
        probed_targets.append(
            ProbedTarget(
                run=run,
                target_id=target_id,
                url=outcome.job.url,
                artifacts=None if artifacts is None else plain_json(artifacts.to_dict()),
                note=outcome.note,
            )
        )
        for result in outcome.results:
            check = CHECKS.get(result.check_id)
            results.append(
                ProbeResult(
                    run=run,
                    target_id=target_id,
                    target_url=outcome.job.url,
                    check_id=result.check_id,
                    category=check.category if check else "other",
                    status=result.status,
                    score=result.score,
                    message=result.message,
                    evidence=plain_json(result.evidence),
                )
            )
    ProbedTarget.objects.bulk_create(probed_targets)
    ProbeResult.objects.bulk_create(results)


def _forget_lost_verifications(outcomes: Sequence[TargetOutcome]) -> None:
    """A target that failed its re-verification before the burst is no longer verified."""
    for outcome in outcomes:
        burst = outcome.artifacts.burst if outcome.artifacts else None
        if outcome.job.options.run_burst and burst is not None and not burst.verified:
            Target.objects.filter(pk=outcome.job.target_id).update(
                verified_at=None,
                verification_method="",
                verification_detail=burst.refused_reason or "",
            )


def probe_run_fail(run_id: int, reason: str) -> bool:
    """Mark a queued or running run failed with ``reason``; False if it had already ended."""
    updated = ProbeRun.objects.filter(pk=run_id, status__in=ProbeRun.ACTIVE).update(
        status=Status.FAILED, error=reason, finished_at=timezone.now()
    )
    if updated:
        PROBE_RUNS.labels(Status.FAILED).inc()
    return bool(updated)


# --- Sweeping ------------------------------------------------------------------------------


def probe_runs_sweep(now: datetime | None = None, run_ids: Sequence[int] | None = None) -> int:
    """Fail every run whose worker stopped (no heartbeat) or that no worker picked up.

    Returns how many runs were failed. ``run_ids`` limits the sweep (the run page sweeps its
    own run when polled, so a dead run shows as failed even where beat is not running).
    """
    now = now or timezone.now()
    runs = ProbeRun.objects.filter(status__in=ProbeRun.ACTIVE)
    if run_ids is not None:
        runs = runs.filter(pk__in=run_ids)
    failed = 0
    for run in runs.only("status", "created_at", "started_at", "heartbeat_at"):
        reason = run.stale_reason(now)
        if reason is None:
            continue
        # The status in the WHERE keeps a run that just finished (or resumed) as it is.
        failed += ProbeRun.objects.filter(
            pk=run.pk, status=run.status, heartbeat_at=run.heartbeat_at
        ).update(status=Status.FAILED, error=reason, finished_at=now)
    if failed:
        PROBE_RUNS.labels(Status.FAILED).inc(failed)
        logger.warning("probe runs sweep: %d run(s) marked failed", failed)
    return failed


# --- Ownership -----------------------------------------------------------------------------


def target_verify(target: Target) -> VerificationResult:
    """Check ownership of ``target`` now (file, meta tag, DNS TXT) and record the outcome."""
    options = probe_options(**VERIFY_LIMITS)
    gather = options.gather_options()
    result = verify_ownership(
        target.url, target.verification_token, gather, txt_lookup=options.txt_lookup
    )
    target.verified_at = timezone.now() if result.verified else None
    target.verification_method = result.method or ""
    target.verification_detail = result.detail
    target.save(update_fields=["verified_at", "verification_method", "verification_detail"])
    return result


# --- Selectors for scoring -----------------------------------------------------------------


def latest_run(system) -> ProbeRun | None:
    """The most recently requested run of ``system``, whatever its status."""
    return ProbeRun.objects.filter(system=system).order_by("-created_at", "-pk").first()


def _latest_succeeded(system, before: datetime | None = None):
    runs = ProbeRun.objects.filter(system=system, status=Status.SUCCEEDED)
    if before is not None:
        runs = runs.filter(finished_at__lte=before)
    return runs.order_by("-finished_at", "-pk")


def latest_evidence_run_id(system) -> int | None:
    """The run whose results are the system's evidence now: what a stale report compares."""
    return _latest_succeeded(system).values_list("pk", flat=True).first()


def latest_evidence(system, before: datetime | None = None) -> list[dict[str, Any]]:
    """Every check result of the latest succeeded run (finished by ``before``, if given), as
    plain dicts (check_id, status, score, message, evidence, target_url); [] when no run has
    succeeded (by then). One query. ``system`` may be a System or its id."""
    latest = _latest_succeeded(system, before).values("pk")[:1]
    results = ProbeResult.objects.filter(run_id=Subquery(latest)).order_by("pk")
    return [result.as_evidence() for result in results]


def latest_burst(system) -> BurstResult | None:
    """The burst of the most recent succeeded run in which a burst actually ran (first
    target in order with one); None when no burst ever ran. A later run without a burst does
    not hide an earlier measurement. One query."""
    burst = (
        ProbedTarget.objects.filter(
            run__system=system,
            run__status=Status.SUCCEEDED,
            run__run_burst=True,
            artifacts__burst__verified=True,
            artifacts__burst__requests_sent__gt=0,
        )
        .order_by("-run__finished_at", "-run_id", "pk")
        .values_list("artifacts__burst", flat=True)
        .first()
    )
    return None if burst is None else BurstResult.from_dict(burst)


# --- Selectors for the run page ------------------------------------------------------------

GATHERER_LABELS = {
    "http": "HTTP requests",
    "tls": "TLS handshakes",
    "dns": "DNS lookup",
    "latency": "Latency samples",
    "verification": "Ownership re-check",
    "burst": "Capacity burst",
}
STATUS_LABELS = {
    "pass": "Pass",
    "warn": "Warn",
    "fail": "Fail",
    "error": "Error",
    "not_applicable": "N/A",
}


@dataclass(frozen=True)
class TargetProgress:
    url: str
    state: str  # waiting, running, done, refused
    running: tuple[str, ...]  # labels of the gatherers at work
    done: int
    total: int
    note: str = ""


@dataclass(frozen=True)
class ProgressView:
    targets: tuple[TargetProgress, ...]

    @property
    def targets_done(self) -> int:
        return sum(1 for t in self.targets if t.state in ("done", "refused"))

    @property
    def gatherers_done(self) -> int:
        return sum(t.done for t in self.targets)

    @property
    def gatherers_total(self) -> int:
        return sum(t.total for t in self.targets)


def run_progress(run: ProbeRun) -> ProgressView:
    """What the run page shows while a run is going: per target, which gatherers run, how
    many are done. A queued run lists its targets as waiting."""
    entries = (run.progress or {}).get("targets")
    if not entries:
        return ProgressView(
            tuple(TargetProgress(url, "waiting", (), 0, 0) for url in run.target_urls)
        )
    rows = []
    for entry in entries:
        gatherers = entry.get("gatherers", {})
        running = tuple(
            GATHERER_LABELS.get(name, name) for name, state in gatherers.items() if state != "done"
        )
        done = sum(1 for state in gatherers.values() if state == "done")
        total = max(len(entry.get("expected", ())), len(gatherers))
        rows.append(
            TargetProgress(
                entry["url"],
                entry.get("state", "waiting"),
                running,
                done,
                total,
                entry.get("note", ""),
            )
        )
    return ProgressView(tuple(rows))


@dataclass(frozen=True)
class ResultRow:
    check_id: str
    title: str
    status: str
    status_label: str
    score: int
    message: str
    evidence_json: str
    why: str
    how_to_fix: str
    references: tuple[str, ...]


@dataclass(frozen=True)
class CategoryResults:
    key: str
    title: str
    results: tuple[ResultRow, ...]


@dataclass(frozen=True)
class TargetResults:
    url: str
    note: str
    probed: bool
    counts: tuple[tuple[str, str, int], ...]  # (status, label, how many)
    categories: tuple[CategoryResults, ...]


def results_by_target(run: ProbeRun) -> list[TargetResults]:
    """A finished run's results: per target, grouped by category in catalog order (2 queries)."""
    by_url: dict[str, list[ProbeResult]] = {}
    for result in run.results.order_by("pk"):
        by_url.setdefault(result.target_url, []).append(result)
    reports = []
    for probed in run.probed_targets.defer("artifacts").order_by("pk"):
        results = by_url.get(probed.url, [])
        statuses = [result.status for result in results]
        counts = tuple(
            (status, label, statuses.count(status))
            for status, label in STATUS_LABELS.items()
            if status in statuses
        )
        reports.append(
            TargetResults(
                url=probed.url,
                note=probed.note,
                probed=bool(results),
                counts=counts,
                categories=_by_category(results),
            )
        )
    return reports


def _by_category(results: Sequence[ProbeResult]) -> tuple[CategoryResults, ...]:
    grouped: dict[str, list[ResultRow]] = {key: [] for key in CATEGORIES}
    for result in results:
        check = CHECKS.get(result.check_id)
        grouped.setdefault(result.category, []).append(
            ResultRow(
                check_id=result.check_id,
                title=check.title if check else result.check_id,
                status=result.status,
                status_label=STATUS_LABELS.get(result.status, result.status),
                score=result.score,
                message=result.message,
                evidence_json=json.dumps(result.evidence, indent=2, sort_keys=True),
                why=check.why if check else "",
                how_to_fix=check.how_to_fix if check else "",
                references=check.references if check else (),
            )
        )
    return tuple(
        CategoryResults(key, CATEGORIES.get(key, "Other"), tuple(rows))
        for key, rows in grouped.items()
        if rows
    )
