"""The capacity burst: a bounded load test, only against a target whose ownership is verified.

Bounded three ways -- requests, concurrency and seconds -- and stopped early by the first sign
that the target is struggling or asking us to back off:

- the first 429 Too Many Requests (whether it carried Retry-After is recorded);
- an error rate (5xx plus failed requests) above a threshold, once enough responses are in;
- the rolling p50 latency reaching double the p50 of the first requests (and at least a few
  tens of milliseconds more, so sub-millisecond jitter on a fast server is not "doubling").

Every request goes through the SSRF guard with a deadline that ends with the burst's time
budget, so the whole burst finishes within ``max_seconds`` plus scheduling slack. Redirects are
not followed: each request is one request. ``sustained_rps`` counts the answers that were
neither 5xx nor 429, per second of the whole burst.
"""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace

from checks.engine.artifacts import BurstResult, nearest_rank
from checks.engine.gatherers.exchange import GatherOptions, base_headers
from checks.engine.safety import ProbeFailed, fetch, vet_url

BURST_BODY_CAP = 256_000  # capacity is about answering, not about downloading
MIN_REQUEST_SECONDS = 0.05  # do not start a request the time budget cannot fit
NOT_VERIFIED = "the burst runs only on targets whose ownership is verified"


@dataclass(frozen=True)
class BurstLimits:
    max_requests: int = 200
    concurrency: int = 8
    max_seconds: float = 10.0
    max_error_rate: float = 0.2  # of finished requests, once min_responses are in
    min_responses: int = 20
    baseline_requests: int = 10  # the p50 of these is the latency baseline
    rolling_window: int = 10  # the p50 of the latest responses is compared with it
    min_latency_increase_ms: float = 50.0

    def __post_init__(self) -> None:
        if self.max_requests < 1 or self.concurrency < 1 or self.max_seconds <= 0:
            raise ValueError("a burst needs at least one request, one worker and some time")


DEFAULT_BURST_LIMITS = BurstLimits()


@dataclass(frozen=True)
class _Answer:
    status: int | None  # None when the request failed
    latency_ms: float
    retry_after: str | None = None


def gather_burst(
    url: str,
    options: GatherOptions,
    *,
    verified: bool,
    limits: BurstLimits = DEFAULT_BURST_LIMITS,
) -> BurstResult:
    """Run the burst when ``verified`` (the caller re-verified just before); else refuse it."""
    if not verified:
        return BurstResult(url=url, refused_reason=NOT_VERIFIED)
    try:
        vet_url(url, allow_loopback=options.allow_loopback, resolver=options.resolver)
    except ProbeFailed as exc:
        return BurstResult(url=url, verified=True, refused_reason=exc.reason)
    return _Burst(url, options, limits).run()


class _Burst:
    def __init__(self, url: str, options: GatherOptions, limits: BurstLimits) -> None:
        self.url = url
        self.options = options
        self.limits = limits
        self.sent = 0
        self.statuses: Counter[int] = Counter()
        self.failures = 0
        self.latencies: list[float] = []  # answered, not 5xx/429; in completion order
        self.aborted_reason: str | None = None
        self.retry_after_seen = False

    def run(self) -> BurstResult:
        started = time.monotonic()
        stop_at = started + self.limits.max_seconds
        in_flight: set[Future[_Answer]] = set()
        with ThreadPoolExecutor(self.limits.concurrency, thread_name_prefix="probe-burst") as pool:
            while True:
                while self._may_send(len(in_flight), stop_at):
                    in_flight.add(pool.submit(self._request, stop_at - time.monotonic()))
                    self.sent += 1
                if not in_flight:
                    break
                done, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)
                for future in done:
                    self._record(future.result())
        return self._result(time.monotonic() - started)

    def _may_send(self, in_flight: int, stop_at: float) -> bool:
        return (
            self.aborted_reason is None
            and self.sent < self.limits.max_requests
            and in_flight < self.limits.concurrency
            and stop_at - time.monotonic() > MIN_REQUEST_SECONDS
        )

    def _request(self, remaining: float) -> _Answer:
        limits = replace(
            self.options.limits,
            deadline_seconds=max(
                MIN_REQUEST_SECONDS, min(self.options.limits.deadline_seconds, remaining)
            ),
            max_body_bytes=min(self.options.limits.max_body_bytes, BURST_BODY_CAP),
        )
        started = time.monotonic()
        try:
            response = fetch(
                self.url,
                allow_loopback=self.options.allow_loopback,
                limits=limits,
                headers=base_headers(),
                follow_redirects=False,
                verify=self.options.verify,
                resolver=self.options.resolver,
            )
        except ProbeFailed:
            return _Answer(status=None, latency_ms=(time.monotonic() - started) * 1000)
        return _Answer(
            status=response.status,
            latency_ms=response.total_seconds * 1000,
            retry_after=response.header("Retry-After"),
        )

    def _record(self, answer: _Answer) -> None:
        if answer.status is None:
            self.failures += 1
        else:
            self.statuses[answer.status] += 1
            if answer.status < 500 and answer.status != 429:
                self.latencies.append(answer.latency_ms)
        if self.aborted_reason is None:
            self.aborted_reason = self._reason_to_stop(answer)

    def _reason_to_stop(self, answer: _Answer) -> str | None:
        if answer.status == 429:
            self.retry_after_seen = answer.retry_after is not None
            hint = (
                f" with Retry-After: {answer.retry_after}"
                if answer.retry_after is not None
                else " without Retry-After"
            )
            return f"the server answered 429 Too Many Requests{hint} after {self.sent} requests"
        finished = self.failures + sum(self.statuses.values())
        errors = self._errors()
        if finished >= self.limits.min_responses and errors / finished > self.limits.max_error_rate:
            return (
                f"{errors} of {finished} requests failed or answered 5xx "
                f"(above {self.limits.max_error_rate:.0%})"
            )
        return self._latency_doubled()

    def _latency_doubled(self) -> str | None:
        base_count, window = self.limits.baseline_requests, self.limits.rolling_window
        if len(self.latencies) < base_count + window:
            return None
        baseline = nearest_rank(self.latencies[:base_count], 50) or 0.0
        rolling = nearest_rank(self.latencies[-window:], 50) or 0.0
        if rolling >= 2 * baseline and rolling - baseline >= self.limits.min_latency_increase_ms:
            return (
                f"p50 latency doubled: {rolling:.0f} ms over the last {window} responses "
                f"vs {baseline:.0f} ms over the first {base_count}"
            )
        return None

    def _errors(self) -> int:
        return self.failures + sum(n for status, n in self.statuses.items() if status >= 500)

    def _result(self, duration: float) -> BurstResult:
        completed = sum(self.statuses.values())
        good = sum(n for status, n in self.statuses.items() if status < 500 and status != 429)
        return BurstResult(
            url=self.url,
            verified=True,
            requests_sent=self.sent,
            completed=completed,
            errors=self._errors(),
            status_counts=tuple(sorted(self.statuses.items())),
            duration_s=round(duration, 3),
            sustained_rps=round(good / duration, 2) if duration > 0 else None,
            p50_ms=_rounded(nearest_rank(self.latencies, 50)),
            p95_ms=_rounded(nearest_rank(self.latencies, 95)),
            p99_ms=_rounded(nearest_rank(self.latencies, 99)),
            aborted_reason=self.aborted_reason,
            retry_after_seen=self.retry_after_seen,
        )


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
