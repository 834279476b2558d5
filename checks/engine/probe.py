"""One probe run of one or more targets: the code path shared by ``manage.py probe`` and the
Celery task.

``probe_target`` vets the URL (a refusal raises ``TargetRefused`` before any traffic), runs
the independent gatherers in parallel, then -- only when asked and given a token --
re-verifies ownership and runs the bounded burst. ``probe_and_evaluate`` adds the check
results, and ``report_to_dict`` is the stable JSON form (``probe --json``) that later tools
read back.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import socket
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from checks.engine.artifacts import BurstResult, TargetArtifacts
from checks.engine.catalog import evaluate
from checks.engine.catalog.base import CheckResult
from checks.engine.gatherers import (
    DEFAULT_BURST_LIMITS,
    DEFAULT_SAMPLES,
    GATHERER_LIMITS,
    BurstLimits,
    GatherOptions,
    gather_burst,
    gather_dns,
    gather_http,
    gather_latency,
    gather_tls,
)
from checks.engine.gatherers.dns import AliasLookup
from checks.engine.gatherers.ownership import TxtLookup, default_txt_lookup, verify_ownership
from checks.engine.safety import ProbeLimits, ResolutionFailed, Resolver, TargetRefused, vet_url

REPORT_FORMAT = "scaleready.probe"
REPORT_FORMAT_VERSION = 1

ProgressCallback = Callable[[str, str], None]  # (gatherer name, "started" | "done")


@dataclass(frozen=True)
class ProbeOptions:
    """Everything a probe run needs; the defaults are those of real use.

    ``ca_bundle`` replaces the system trust store (tests with a local CA); ``resolver``,
    ``alias_lookup`` and ``txt_lookup`` replace the system's name lookups (inject all three,
    or set ``alias_lookup=None``, when names must not reach the system resolver).
    """

    allow_loopback: bool = False
    connect_timeout: float = GATHERER_LIMITS.connect_timeout
    read_timeout: float = GATHERER_LIMITS.read_timeout
    deadline_seconds: float = GATHERER_LIMITS.deadline_seconds  # per request
    max_body_bytes: int = GATHERER_LIMITS.max_body_bytes
    latency_samples: int = DEFAULT_SAMPLES
    run_burst: bool = False
    verification_token: str | None = None
    burst_max_requests: int = DEFAULT_BURST_LIMITS.max_requests
    burst_concurrency: int = DEFAULT_BURST_LIMITS.concurrency
    burst_max_seconds: float = DEFAULT_BURST_LIMITS.max_seconds
    ca_bundle: str | None = None
    resolver: Resolver = socket.getaddrinfo
    alias_lookup: AliasLookup | None = socket.gethostbyname_ex
    txt_lookup: TxtLookup = default_txt_lookup

    def gather_options(self) -> GatherOptions:
        limits = ProbeLimits(
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            deadline_seconds=self.deadline_seconds,
            max_body_bytes=self.max_body_bytes,
        )
        return GatherOptions(
            allow_loopback=self.allow_loopback,
            limits=limits,
            verify=self.ca_bundle or True,
            resolver=self.resolver,
        )

    def burst_limits(self) -> BurstLimits:
        return BurstLimits(
            max_requests=self.burst_max_requests,
            concurrency=self.burst_concurrency,
            max_seconds=self.burst_max_seconds,
        )


@dataclass(frozen=True)
class TargetReport:
    url: str
    artifacts: TargetArtifacts
    results: tuple[CheckResult, ...]


class TargetsRefused(Exception):
    """The guard refused one or more targets; nothing was sent to any of them."""

    def __init__(self, refusals: Sequence[tuple[str, str]]) -> None:
        self.refusals = tuple(refusals)  # (url, reason)
        super().__init__("; ".join(f"{url}: {reason}" for url, reason in self.refusals))


# --- Probing -------------------------------------------------------------------------------


def probe_target(
    url: str, options: ProbeOptions, on_progress: ProgressCallback | None = None
) -> TargetArtifacts:
    """Gather every artifact of one target. Raises ``TargetRefused`` before any traffic.

    ``on_progress`` is called from the gatherers' worker threads.
    """
    _vet(url, options)
    gather = options.gather_options()
    jobs: dict[str, Callable[[], Any]] = {
        "http": lambda: gather_http(url, gather),
        "tls": lambda: gather_tls(url, gather),
        "dns": lambda: gather_dns(url, gather, alias_lookup=options.alias_lookup),
        "latency": lambda: gather_latency(url, gather, samples=options.latency_samples),
    }
    with ThreadPoolExecutor(max_workers=len(jobs), thread_name_prefix="probe") as pool:
        futures = {
            name: pool.submit(_reported, name, job, on_progress) for name, job in jobs.items()
        }
        gathered = {name: future.result() for name, future in futures.items()}
    return TargetArtifacts(
        target_url=url,
        **gathered["http"].as_fields(),
        tls=gathered["tls"],
        dns=gathered["dns"],
        latency=gathered["latency"],
        burst=_burst(url, options, gather, on_progress),
    )


def _vet(url: str, options: ProbeOptions) -> None:
    # A name that does not resolve is not a refusal: the gatherers record it as an error.
    with contextlib.suppress(ResolutionFailed):
        vet_url(url, allow_loopback=options.allow_loopback, resolver=options.resolver)


def _reported(name: str, job: Callable[[], Any], on_progress: ProgressCallback | None) -> Any:
    if on_progress is not None:
        on_progress(name, "started")
    result = job()
    if on_progress is not None:
        on_progress(name, "done")
    return result


def _burst(
    url: str,
    options: ProbeOptions,
    gather: GatherOptions,
    on_progress: ProgressCallback | None,
) -> BurstResult | None:
    """Re-verify ownership just before the burst; a burst never runs on an unverified target."""
    if not options.run_burst:
        return None
    token = options.verification_token
    if not token:
        return BurstResult(url=url, refused_reason="a burst needs an ownership token to verify")
    verification = _reported(
        "verification",
        lambda: verify_ownership(url, token, gather, txt_lookup=options.txt_lookup),
        on_progress,
    )
    if not verification.verified:
        reason = f"ownership is not verified: {verification.detail}"
        return BurstResult(url=url, refused_reason=reason)
    return _reported(
        "burst",
        lambda: gather_burst(url, gather, verified=True, limits=options.burst_limits()),
        on_progress,
    )


def refusals(urls: Sequence[str], options: ProbeOptions) -> list[tuple[str, str]]:
    """(url, reason) for every target the guard refuses; sends no traffic."""
    refused = []
    for url in urls:
        try:
            _vet(url, options)
        except TargetRefused as exc:
            refused.append((url, exc.reason))
    return refused


def probe_and_evaluate(
    urls: Sequence[str],
    options: ProbeOptions,
    on_progress: ProgressCallback | None = None,
) -> list[TargetReport]:
    """Probe each target in turn and evaluate the checks.

    Raises ``TargetsRefused`` when the guard refuses any target -- all are vetted before the
    first is probed, so a refusal means nothing was sent.
    """
    refused = refusals(urls, options)
    if refused:
        raise TargetsRefused(refused)
    reports = []
    for url in urls:
        try:
            artifacts = probe_target(url, options, on_progress)
        except TargetRefused as exc:  # the name now resolves elsewhere than a moment ago
            raise TargetsRefused([(url, exc.reason)]) from exc
        reports.append(TargetReport(url, artifacts, evaluate_checks(artifacts)))
    return reports


def evaluate_checks(artifacts: TargetArtifacts) -> tuple[CheckResult, ...]:
    # Imported here: the catalog is a separate layer, and gathering must work without it.
    return tuple(evaluate(artifacts))


# --- JSON ----------------------------------------------------------------------------------


def report_to_dict(reports: Sequence[TargetReport]) -> dict[str, Any]:
    """The ``probe --json`` document: plain JSON values only, in a stable shape."""
    return {
        "format": REPORT_FORMAT,
        "format_version": REPORT_FORMAT_VERSION,
        "targets": [
            {
                "url": report.url,
                "artifacts": plain_json(dataclasses.asdict(report.artifacts)),
                "results": [_result_dict(result) for result in report.results],
            }
            for report in reports
        ],
    }


def _result_dict(result: CheckResult) -> dict[str, Any]:
    return {
        "check_id": result.check_id,
        "status": str(result.status),
        "score": result.score,
        "message": result.message,
        "evidence": plain_json(result.evidence),
    }


def plain_json(value: Any) -> Any:
    """Tuples to lists, sets to sorted lists, anything else JSON cannot hold to text."""
    return json.loads(json.dumps(value, default=_json_default))


def _json_default(value: Any) -> Any:
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return str(value)
