"""Running a claimed probe run in the worker: heartbeat, progress, results.

- a worker claims a run with a conditional ``UPDATE ... WHERE status = 'queued'``, so a
  redelivered task never runs it twice;
- while it runs, the worker writes progress and a heartbeat from its own thread (gatherer
  threads never touch the database);
- results are stored in the same transaction that marks the run finished, and only if it is
  still running -- a run the sweeper already failed keeps its reason and stays without results.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from celery.exceptions import SoftTimeLimitExceeded
from django.db import transaction
from django.utils import timezone

from checks.engine.batch import RunProgress, TargetJob, TargetOutcome, probe_targets
from checks.engine.catalog import CHECKS
from checks.engine.probe import plain_json
from checks.models import ProbedTarget, ProbeResult, ProbeRun, Target
from checks.services import probe_options, probe_run_fail
from checks.signals import probe_run_succeeded
from config.metrics import PROBE_CHECK_RESULTS, PROBE_RUNS

logger = logging.getLogger(__name__)
Status = ProbeRun.Status
HEARTBEAT_SECONDS = 5.0  # the worker writes a heartbeat at least this often


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
    if status == Status.SUCCEEDED:
        _announce(run)


def _announce(run: ProbeRun) -> None:
    """Tell the apps above (the drift watch) that a run succeeded; their errors are logged."""
    replies = probe_run_succeeded.send_robust(ProbeRun, run_id=run.pk, system_id=run.system_id)
    for receiver, reply in replies:
        if isinstance(reply, Exception):
            logger.error(
                "after probe run %s: %s failed: %r",
                run.pk,
                receiver.__qualname__,
                reply,
                exc_info=reply,
            )


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
