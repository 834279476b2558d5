"""Honest latency against a real local server: warm-up discarded, and a rare slow response
cannot flip the verdict from one run to the next (issue 14: pass at p95 32 ms, then fail at
p95 2,018 ms, on an unchanged app, because ten samples made the slowest one the p95)."""

import pytest

from checks.engine.artifacts import TargetArtifacts
from checks.engine.catalog import CHECKS
from checks.engine.catalog.performance import LATENCY_P95_WARN_MS
from checks.engine.gatherers import DEFAULT_SAMPLES, GatherOptions, gather_latency
from checks.engine.gatherers.latency import WARMUP_REQUESTS
from checks.engine.safety import ProbeLimits
from tests.probe_servers import rare_slow_server

pytestmark = pytest.mark.usefixtures("loopback_network")

PER_RUN = WARMUP_REQUESTS + DEFAULT_SAMPLES
SLOW_SECONDS = LATENCY_P95_WARN_MS / 1000 + 0.1  # one sample alone would be a "fail" tail
OPTIONS = GatherOptions(
    allow_loopback=True,
    limits=ProbeLimits(connect_timeout=2, read_timeout=5, deadline_seconds=5),
)


def test_a_rare_slow_response_does_not_flip_the_verdict_across_runs():
    verdicts = []
    # The 9th counted sample of every run (after the two warm-ups) is the slow one.
    with rare_slow_server(period=PER_RUN, slow_at=WARMUP_REQUESTS + 9, delay=SLOW_SECONDS) as s:
        for _ in range(3):
            samples = gather_latency(s.url, OPTIONS)
            assert len(samples.warmup_ms) == WARMUP_REQUESTS
            assert len(samples.samples_ms) == DEFAULT_SAMPLES
            slow = [ms for ms in samples.samples_ms if ms >= SLOW_SECONDS * 1000]
            assert len(slow) == 1  # the outlier was measured, not dodged
            result = CHECKS["latency_percentiles"].evaluate(
                TargetArtifacts(target_url=s.url, latency=samples)
            )
            verdicts.append((result.status, result.evidence["percentile"]))
        assert len(s.requests) == 3 * PER_RUN
    assert verdicts == [("pass", "p95")] * 3
