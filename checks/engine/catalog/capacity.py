"""What the bounded burst against a verified target showed: rate limiting and throughput."""

from __future__ import annotations

from checks.engine.artifacts import BurstResult, TargetArtifacts

from .base import (
    Outcome,
    check,
    errored,
    failed,
    graded,
    not_applicable,
    passed,
    warned,
)

BURST_MAX_ERROR_RATE = 0.01  # more than 1 % failed requests is a capacity problem
BURST_P95_WARN_MS = 1_000


def _burst_not_run(burst: BurstResult | None) -> Outcome | None:
    if burst is None:
        return not_applicable("No burst was run against this target.")
    if burst.refused_reason:
        return not_applicable(f"The burst was not run: {burst.refused_reason}.")
    if not burst.verified:
        return not_applicable("The burst runs only on targets whose ownership is verified.")
    if burst.requests_sent == 0:
        return errored("The burst sent no requests.")
    return None


def _server_errors(burst: BurstResult) -> int:
    return sum(count for status, count in burst.status_counts if status >= 500)


def _burst_evidence(burst: BurstResult) -> dict:
    errors = max(burst.errors, _server_errors(burst))
    return {
        "url": burst.url,
        "requests_sent": burst.requests_sent,
        "completed": burst.completed,
        "errors": errors,
        "error_rate": round(errors / burst.requests_sent, 4),
        "status_counts": {str(status): count for status, count in burst.status_counts},
        "duration_s": burst.duration_s,
        "sustained_rps": burst.sustained_rps,
        "p50_ms": burst.p50_ms,
        "p95_ms": burst.p95_ms,
        "p99_ms": burst.p99_ms,
        "aborted_reason": burst.aborted_reason,
        "retry_after_seen": burst.retry_after_seen,
    }


@check(
    id="rate_limit_signalling",
    category="capacity",
    why=(
        "A 429 with Retry-After tells well-behaved clients and SDKs exactly when to come back, "
        "so overload turns into orderly back-off instead of retry storms and timeouts."
    ),
    how_to_fix=(
        "Rate-limit per client/IP/token at the edge or API gateway and answer excess requests "
        "with 429 Too Many Requests plus a Retry-After header."
    ),
    references=(
        "https://developer.mozilla.org/en-US/docs/Web/HTTP/Status/429",
        "https://www.rfc-editor.org/rfc/rfc6585#section-4",
        "https://www.rfc-editor.org/rfc/rfc9110#field.retry-after",
    ),
    informs=("security.api_rate_limiting",),
)
def rate_limit_signalling(artifacts: TargetArtifacts) -> Outcome:
    burst = artifacts.burst
    if (not_run := _burst_not_run(burst)) is not None:
        return not_run
    limited = burst.count_of(429)
    evidence = {**_burst_evidence(burst), "responses_429": limited}
    if limited and burst.retry_after_seen:
        return passed(
            f"The burst was rate-limited with 429 and Retry-After ({limited}x).", **evidence
        )
    if limited:
        return warned(
            f"The burst got {limited} 429 response(s) but no Retry-After header.",
            score=60,
            **evidence,
        )
    return warned(
        f"No 429 was returned to a burst of {burst.requests_sent} requests: either the limit "
        "is above what the probe may send or there is none, so rate limiting is unconfirmed.",
        score=40,
        **evidence,
    )


@check(
    id="burst_capacity",
    category="capacity",
    why=(
        "Sustained throughput and p95 under a short burst show how close the system is to its "
        "limit today, and whether it sheds load gracefully or starts failing."
    ),
    how_to_fix=(
        "Find the bottleneck the burst exposed (app workers, database connections, a slow "
        "query), then scale that tier horizontally or add caching; load-test before launches."
    ),
    references=(
        "https://sre.google/sre-book/handling-overload/",
        "https://k6.io/docs/test-types/spike-testing/",
    ),
    informs=("infrastructure.capacity_planning",),
)
def burst_capacity(artifacts: TargetArtifacts) -> Outcome:
    burst = artifacts.burst
    if (not_run := _burst_not_run(burst)) is not None:
        return not_run
    evidence = _burst_evidence(burst)
    rate, p95 = evidence["error_rate"], burst.p95_ms
    rps = f"{burst.sustained_rps:.1f} req/s" if burst.sustained_rps is not None else "unknown RPS"
    p95_text = f"p95 {p95:.0f} ms" if p95 is not None else "p95 unknown"
    summary = f"{rps}, {p95_text}, {rate:.1%} errors"
    if rate > BURST_MAX_ERROR_RATE:
        return failed(f"Requests failed under the burst ({summary}).", **evidence)
    if burst.aborted_reason and _server_errors(burst):
        return failed(
            f"The burst was aborted on server errors ({burst.aborted_reason}; {summary}).",
            **evidence,
        )
    if burst.completed == 0:
        return errored(f"No request of the burst completed ({summary}).", **evidence)
    if p95 is not None and p95 > BURST_P95_WARN_MS:
        score = graded(p95, BURST_P95_WARN_MS, 4 * BURST_P95_WARN_MS, high=60, low=20)
        return warned(f"The system held up but slowly ({summary}).", score=score, **evidence)
    if burst.aborted_reason and burst.count_of(429):
        return passed(
            f"The burst was cut short by rate limiting (429); up to then: {summary}.",
            score=80,
            **evidence,
        )
    if burst.aborted_reason:
        return warned(
            f"The burst was stopped early ({burst.aborted_reason}); {summary}.",
            score=60,
            **evidence,
        )
    return passed(f"The system sustained the burst ({summary}).", **evidence)


CHECKS = (rate_limit_signalling, burst_capacity)
