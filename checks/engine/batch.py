"""Probing several targets in parallel, each one's gatherers in parallel too, with live
progress that another thread can read. Pure: no database, no Django.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from checks.engine.artifacts import TargetArtifacts
from checks.engine.catalog import CheckResult
from checks.engine.probe import ProbeOptions, evaluate_checks, probe_target
from checks.engine.safety import TargetRefused

PASSIVE_GATHERERS = ("http", "tls", "dns", "latency")
BURST_GATHERERS = ("verification", "burst")
MAX_PARALLEL_TARGETS = 10
PROGRESS_TICK_SECONDS = 0.25  # and progress at most this often


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
