"""Gatherers: the only code that talks to a target. Each collects one kind of artifact.

Every gatherer is a plain function of the target's base URL and ``GatherOptions``; it sends
traffic only through ``checks.engine.safety`` and never raises for a problem on the target's side --
a failure is recorded in the artifact (``error``) for the checks to judge.
"""

from checks.engine.gatherers.burst import DEFAULT_BURST_LIMITS, BurstLimits, gather_burst
from checks.engine.gatherers.dns import gather_dns
from checks.engine.gatherers.exchange import GATHERER_LIMITS, USER_AGENT, GatherOptions
from checks.engine.gatherers.http import HttpArtifacts, gather_http
from checks.engine.gatherers.latency import DEFAULT_SAMPLES, gather_latency
from checks.engine.gatherers.tls import gather_tls

__all__ = [
    "DEFAULT_BURST_LIMITS",
    "DEFAULT_SAMPLES",
    "GATHERER_LIMITS",
    "USER_AGENT",
    "BurstLimits",
    "GatherOptions",
    "HttpArtifacts",
    "gather_burst",
    "gather_dns",
    "gather_http",
    "gather_latency",
    "gather_tls",
]
