"""Probe runs: starting them, failing them, sweeping dead ones; targets and their ownership.

How a run stays honest:

- one active run per system, enforced by a partial unique index, and a cooldown per host
  across all systems, so a target is not probed over and over; the cooldown counts runs that
  probed (or are about to), never one that failed before it started;
- the task is sent after commit, by name (``config.enqueue``), so this module never imports
  the task module; a run whose task cannot be queued fails at once and may be retried at once;
- the sweeper fails a run whose worker stopped (no heartbeat) or that nobody picked up.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from checks.engine.gatherers.ownership import verify_ownership
from checks.engine.ownership import VerificationResult
from checks.engine.probe import ProbeOptions
from checks.models import ProbeRun, Target
from config.enqueue import enqueue_on_commit
from config.metrics import PROBE_RUNS

logger = logging.getLogger(__name__)
# The tasks (``checks.tasks``) are sent by name: tasks call services, never the reverse.
PROBE_RUN_TASK = "checks.run_probe_run"
PROBE_RUNS_SWEEP_TASK = "checks.sweep_probe_runs"
Status = ProbeRun.Status
# "Verify now" runs inside a web request: tighter limits than the gatherers'.
VERIFY_LIMITS = {"connect_timeout": 5.0, "read_timeout": 5.0, "deadline_seconds": 8.0}


class ProbeRunRefused(Exception):
    """A run cannot start now; the message says why and what to do."""


class RunInProgress(ProbeRunRefused):
    pass


class NoTargets(ProbeRunRefused):
    pass


class QueueUnavailable(ProbeRunRefused):
    """The run was recorded but its task could not be queued; it is failed, retry at once."""


class CooldownActive(ProbeRunRefused):
    def __init__(self, host: str, seconds_left: int) -> None:
        self.host = host
        self.seconds_left = seconds_left
        super().__init__(
            f"{host} was probed moments ago; to spare it, wait {seconds_left} more "
            f"second{'s' if seconds_left != 1 else ''} before probing it again."
        )


def probe_run_start(
    system,
    user,
    run_burst: bool = False,
    *,
    by_watch: bool = False,
    on_created: Callable[[ProbeRun], object] | None = None,
) -> ProbeRun:
    """Queue a probe run of every base URL of ``system``; the task is sent after commit.
    ``by_watch``: started by the drift watch, with no person behind it (``user`` is None).
    ``on_created(run)`` runs in the transaction that creates the run (an app above records
    who asked for it in its audit log: both are stored or neither).

    Raises ``NoTargets``, ``RunInProgress`` or ``CooldownActive``; ``QueueUnavailable`` when
    the task could not be sent (the run is then failed with that reason).
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
                    started_by_watch=by_watch,
                    run_burst=run_burst,
                    target_urls=urls,
                )
        except IntegrityError:  # another request queued one a moment ago
            raise RunInProgress(_in_progress_message()) from None
        if on_created is not None:
            on_created(run)
        ticket = enqueue_on_commit(
            PROBE_RUN_TASK, [run.pk], on_failure=lambda reason: probe_run_fail(run.pk, reason)
        )
    if ticket.error:  # known now unless an outer transaction is still open
        raise QueueUnavailable(ticket.error)
    return run


def _in_progress_message() -> str:
    return (
        "A probe run of this system is already queued or running; "
        "wait for it to finish before starting another."
    )


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def cooldown_remaining(urls: Sequence[str], now: datetime) -> tuple[str, int]:
    """(host, whole seconds to wait) for the host of ``urls`` probed most recently, any
    system; ("", 0) when none is in its cooldown. A run still active counts as probing now;
    an ended run counts only if it started: one that failed before (its task could not be
    queued, no worker took it) never touched the host.
    """
    cooldown = settings.SCALEREADY_PROBE_COOLDOWN_SECONDS
    if cooldown <= 0:
        return "", 0
    hosts = {host_of(url) for url in urls}
    since = now - timedelta(seconds=cooldown)
    recent = ProbeRun.objects.filter(
        Q(status__in=ProbeRun.ACTIVE) | Q(started_at__isnull=False, finished_at__gte=since)
    ).only("status", "started_at", "finished_at", "target_urls")
    worst = ("", 0)
    for run in recent:
        last_probed = now if run.is_active else run.finished_at
        left = math.ceil(cooldown - (now - last_probed).total_seconds())
        for host in hosts & {host_of(url) for url in run.target_urls}:
            if left > worst[1]:
                worst = (host, left)
    return worst


def probe_options(**overrides: Any) -> ProbeOptions:
    """The options of real runs, from settings (loopback only where allowed, CA bundle)."""
    return ProbeOptions(
        allow_loopback=settings.SCALEREADY_ALLOW_LOOPBACK_TARGETS,
        ca_bundle=settings.SCALEREADY_PROBE_CA_BUNDLE,
        **overrides,
    )


def probe_run_fail(run_id: int, reason: str) -> bool:
    """Mark a queued or running run failed with ``reason``; False if it had already ended."""
    updated = ProbeRun.objects.filter(pk=run_id, status__in=ProbeRun.ACTIVE).update(
        status=Status.FAILED, error=reason, finished_at=timezone.now()
    )
    if updated:
        PROBE_RUNS.labels(Status.FAILED).inc()
    return bool(updated)


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
