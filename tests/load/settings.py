"""Production settings (DEBUG off) for the load test, plus the one test-only switch it needs:
probes may target the loopback site ``tests/load/run.py`` starts. The production settings
refuse that switch when DEBUG is off, so it can only come from this test module."""

from config.settings import *  # noqa: F403

SCALEREADY_ALLOW_LOOPBACK_TARGETS = True
