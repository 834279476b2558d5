"""The latency gatherer: N sequential GETs of the base URL, total time and time to first byte.

The first ``WARMUP_REQUESTS`` successful answers are timed but kept apart (``warmup_ms``):
they pay for the TCP and TLS handshakes and cold caches. The default of 20 counted samples is
the fewest that can claim a p95 (see ``claimable_percentile``).

Sequential on purpose: this measures what one visitor waits for, not what the server sustains
(that is the burst's job). It stops early after a timeout -- a server that cannot answer within
the deadline would only make every further sample cost a whole deadline --, at a refusal by
the guard, or after a few failures in a row.
"""

from __future__ import annotations

from checks.engine.artifacts import LatencySamples
from checks.engine.gatherers.exchange import GatherOptions, base_headers
from checks.engine.safety import ProbeFailed, ProbeTimeout, TargetRefused, fetch

DEFAULT_SAMPLES = 20
WARMUP_REQUESTS = 2
MAX_CONSECUTIVE_ERRORS = 3


def gather_latency(
    base_url: str,
    options: GatherOptions,
    *,
    samples: int = DEFAULT_SAMPLES,
    warmup: int = WARMUP_REQUESTS,
) -> LatencySamples:
    totals: list[float] = []
    ttfbs: list[float] = []
    warmups: list[float] = []
    errors = 0
    consecutive_errors = 0
    while len(totals) + errors < samples:
        try:
            response = fetch(
                base_url,
                allow_loopback=options.allow_loopback,
                limits=options.limits,
                headers=base_headers(),
                verify=options.verify,
                resolver=options.resolver,
            )
        except (ProbeTimeout, TargetRefused):
            errors += 1
            break
        except ProbeFailed:
            errors += 1
            consecutive_errors += 1
            if consecutive_errors >= MAX_CONSECUTIVE_ERRORS:
                break
            continue
        consecutive_errors = 0
        if len(warmups) < warmup:
            warmups.append(round(response.total_seconds * 1000, 2))
            continue
        totals.append(round(response.total_seconds * 1000, 2))
        ttfbs.append(round(response.ttfb_seconds * 1000, 2))
    return LatencySamples(
        url=base_url,
        samples_ms=tuple(totals),
        ttfb_ms=tuple(ttfbs),
        errors=errors,
        warmup_ms=tuple(warmups),
    )
