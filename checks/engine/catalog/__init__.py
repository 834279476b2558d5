"""The check catalog: every automated check, keyed by id, and ``evaluate`` to run them all.

Checks are pure functions of ``TargetArtifacts`` (see ``checks.engine.artifacts``), grouped by
category in the modules below; each carries its metadata (why, how to fix, references, the
bank questions it informs). Stored artifacts can be re-evaluated at any time.
"""

from __future__ import annotations

from checks.engine.artifacts import TargetArtifacts

from . import caching, capacity, cookies, headers, hygiene, performance, transport
from .base import CATEGORIES, STATUSES, Check, CheckResult

CHECKS: dict[str, Check] = {
    c.id: c
    for module in (transport, headers, cookies, performance, caching, hygiene, capacity)
    for c in module.CHECKS
}


def checks_in_category(category: str) -> tuple[Check, ...]:
    return tuple(c for c in CHECKS.values() if c.category == category)


def run_check(check: Check, artifacts: TargetArtifacts) -> CheckResult:
    """Run one check; a check that raises yields an "error" result instead of ending the run."""
    try:
        return check.evaluate(artifacts)
    except Exception as exc:  # a bug in one check must not lose the other results
        return CheckResult(
            check_id=check.id,
            status="error",
            score=0,
            message=(
                "This check could not be evaluated because of a fault in ScaleReady itself; "
                "the other results are unaffected."
            ),
            evidence={"technical_detail": f"{type(exc).__name__}: {exc}"},
        )


def evaluate(artifacts: TargetArtifacts) -> list[CheckResult]:
    """One result per check, in catalog order."""
    return [run_check(check, artifacts) for check in CHECKS.values()]


__all__ = [
    "CATEGORIES",
    "CHECKS",
    "STATUSES",
    "Check",
    "CheckResult",
    "checks_in_category",
    "evaluate",
    "run_check",
]
