"""The shape of a check: metadata plus a pure function of the gathered artifacts.

Check functions return an ``Outcome`` (status, score, message, evidence) built with the small
helpers below; ``@check(...)`` wraps the function into a ``Check`` whose ``evaluate`` stamps
the check id on the result. Titles come from ``checks.engine.ids`` so they are written once.

Scores run 0-100 and only mean something for pass/warn/fail; ``error`` and
``not_applicable`` carry 0 and are left out by scoring.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from checks.engine.artifacts import HttpExchange, TargetArtifacts
from checks.engine.causes import CAUSE_KEYS, SITE, failure_causes, unmet_need
from checks.engine.ids import CHECK_TITLES

STATUSES = ("pass", "warn", "fail", "error", "not_applicable")

CATEGORIES: dict[str, str] = {
    "transport": "HTTPS, TLS and certificates",
    "headers": "Browser security headers",
    "cookies_cors": "Cookies and CORS",
    "performance": "Performance",
    "caching_cdn": "Caching and CDN",
    "hygiene": "Information leakage and hygiene",
    "capacity": "Capacity under load",
}


@dataclass(frozen=True)
class Outcome:
    """What a check function decides; ``Check.evaluate`` turns it into a ``CheckResult``."""

    status: str
    score: int
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckResult:
    check_id: str
    status: str
    score: int
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"{self.check_id}: unknown status {self.status!r}")
        if isinstance(self.score, bool) or not isinstance(self.score, int):
            raise ValueError(f"{self.check_id}: score must be an int, got {self.score!r}")
        if not 0 <= self.score <= 100:
            raise ValueError(f"{self.check_id}: score {self.score} is outside 0-100")


@dataclass(frozen=True)
class Check:
    id: str
    title: str
    category: str
    why: str  # why it matters at scale
    how_to_fix: str
    references: tuple[str, ...]
    informs: tuple[str, ...]  # question ids in the bank that list this check
    needs: tuple[str, ...]  # causes (checks.engine.causes) that make this check inapplicable
    evaluate: Callable[[TargetArtifacts], CheckResult] = field(repr=False, compare=False)


def check(
    *,
    id: str,
    category: str,
    why: str,
    how_to_fix: str,
    references: tuple[str, ...],
    informs: tuple[str, ...],
    needs: tuple[str, ...] = (SITE,),
) -> Callable[[Callable[[TargetArtifacts], Outcome]], Check]:
    """Turn a pure ``artifacts -> Outcome`` function into a ``Check`` with its metadata.

    ``needs`` names the failures (``checks.engine.causes``) after which the check cannot
    judge: it is then "not applicable" with that cause, and the function is not called.
    """
    if set(needs) - set(CAUSE_KEYS):
        raise ValueError(f"{id}: unknown needs {sorted(set(needs) - set(CAUSE_KEYS))}")
    if id not in CHECK_TITLES:
        raise ValueError(f"unknown check id {id!r}; add it to checks/ids.py first")
    if category not in CATEGORIES:
        raise ValueError(f"unknown category {category!r}")

    def wrap(function: Callable[[TargetArtifacts], Outcome]) -> Check:
        def evaluate(artifacts: TargetArtifacts) -> CheckResult:
            cause = unmet_need(needs, failure_causes(artifacts)) if needs else None
            if cause is not None:
                outcome = not_applicable(f"Not checked: {cause.summary}", cause=cause.summary)
            else:
                outcome = function(artifacts)
            return CheckResult(
                check_id=id,
                status=outcome.status,
                score=outcome.score,
                message=outcome.message,
                evidence=outcome.evidence,
            )

        evaluate.__doc__ = function.__doc__
        return Check(
            id=id,
            title=CHECK_TITLES[id],
            category=category,
            why=why,
            how_to_fix=how_to_fix,
            references=references,
            informs=informs,
            needs=needs,
            evaluate=evaluate,
        )

    return wrap


# --- Outcome helpers ---------------------------------------------------------------------
def passed(message: str, score: int = 100, **evidence: Any) -> Outcome:
    return Outcome("pass", score, message, evidence)


def warned(message: str, score: int = 50, **evidence: Any) -> Outcome:
    return Outcome("warn", score, message, evidence)


def failed(message: str, score: int = 0, **evidence: Any) -> Outcome:
    return Outcome("fail", score, message, evidence)


def not_applicable(message: str, **evidence: Any) -> Outcome:
    return Outcome("not_applicable", 0, message, evidence)


def errored(message: str, **evidence: Any) -> Outcome:
    return Outcome("error", 0, message, evidence)


def clamp(score: float) -> int:
    return max(0, min(100, round(score)))


def graded(value: float, good: float, bad: float, high: int = 90, low: int = 50) -> int:
    """A score falling linearly from ``high`` at ``good`` to ``low`` at ``bad``."""
    if bad == good:
        return low
    fraction = min(1.0, max(0.0, (value - good) / (bad - good)))
    return clamp(high - fraction * (high - low))


# --- Shared artifact lookups --------------------------------------------------------------
def answered(exchange: HttpExchange | None) -> bool:
    return exchange is not None and exchange.ok


def main_page(artifacts: TargetArtifacts) -> HttpExchange | None:
    """The page whose headers the header checks read: the HTTPS base URL when it answered,
    else the plain-HTTP one when it answered with a page, else the page its redirects led to."""
    if answered(artifacts.scheme_https):
        return artifacts.scheme_https
    plain = artifacts.plain_http
    if answered(plain) and not (300 <= plain.status < 400):
        return plain
    if answered(artifacts.plain_landing):
        return artifacts.plain_landing
    return None


def missing_page(artifacts: TargetArtifacts) -> Outcome:
    """The outcome of a header check when no page could be read."""
    if artifacts.scheme_https is None and artifacts.plain_http is None:
        return not_applicable("The base page was not fetched, so its headers were not checked.")
    errors = [e.error for e in (artifacts.scheme_https, artifacts.plain_http) if e and e.error]
    return errored(
        "The base page could not be fetched, so its headers could not be checked.",
        technical_detail=errors,
    )


def page_evidence(page: HttpExchange) -> dict[str, Any]:
    return {"url": page.url, "status": page.status}
