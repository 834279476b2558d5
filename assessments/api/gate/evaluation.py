"""What the gate decides, as pure functions of what the API returned.

Three thresholds, each optional:

- **regressions**: a check whose status got worse (pass → warn → fail) on the same base URL
  since the run the team accepted. ``error`` and ``not_applicable`` are not evidence (the
  check could not judge), so they neither regress nor count as a baseline.
- **verdict**: the assessment's verdict is worse than the level given; "insufficient" (too few
  answers to judge) is worse than every verdict.
- **grade**: the run's grade (A+ … F) is below the one given. The API adds ``grade`` to a run
  when the server grades runs; a gate asked for a grade by a server that gives none fails
  with an error rather than passing silently.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from xml.etree import ElementTree as ET

STATUS_RANK = {"pass": 0, "warn": 1, "fail": 2}
VERDICTS = ("ready", "nearly_ready", "at_risk", "not_ready")  # best first
INSUFFICIENT = "insufficient"
GRADES = ("A+", "A", "A-", "B+", "B", "B-", "C+", "C", "C-", "D+", "D", "D-", "E", "F")


class GateError(Exception):
    """The gate could not judge (bad options, the run failed, the server refused)."""


@dataclass(frozen=True)
class CheckResult:
    target_url: str
    check_id: str
    title: str
    status: str
    message: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.target_url, self.check_id)


@dataclass(frozen=True)
class Regression:
    before: CheckResult
    after: CheckResult

    def describe(self) -> str:
        return (
            f"{self.after.title} on {self.after.target_url}: {self.before.status} → "
            f"{self.after.status}" + (f" ({self.after.message})" if self.after.message else "")
        )


@dataclass(frozen=True)
class Thresholds:
    fail_on_regression: bool = True
    max_verdict: str | None = None  # the worst verdict that still passes
    min_grade: str | None = None  # the lowest grade that still passes


@dataclass(frozen=True)
class Outcome:
    run: Mapping
    checks: tuple[CheckResult, ...]
    regressions: tuple[Regression, ...] = ()
    baseline_run_id: int | None = None
    verdict: str | None = None
    verdict_label: str | None = None
    grade: str | None = None
    failures: tuple[str, ...] = field(default=())

    @property
    def passed(self) -> bool:
        return not self.failures


def check_results(rows: Iterable[Mapping]) -> tuple[CheckResult, ...]:
    return tuple(
        CheckResult(
            row["target_url"],
            row["check_id"],
            row.get("title") or row["check_id"],
            row["status"],
            row.get("message", ""),
        )
        for row in rows
    )


def regressions(
    baseline: Sequence[CheckResult], current: Sequence[CheckResult]
) -> tuple[Regression, ...]:
    before = {r.key: r for r in baseline if r.status in STATUS_RANK}
    found = []
    for result in current:
        earlier = before.get(result.key)
        if earlier is None or result.status not in STATUS_RANK:
            continue
        if STATUS_RANK[result.status] > STATUS_RANK[earlier.status]:
            found.append(Regression(earlier, result))
    return tuple(found)


def verdict_rank(verdict: str) -> int:
    return VERDICTS.index(verdict) if verdict in VERDICTS else len(VERDICTS)


def validate(thresholds: Thresholds) -> None:
    if thresholds.max_verdict is not None and thresholds.max_verdict not in VERDICTS:
        raise GateError(f"--max-verdict must be one of {', '.join(VERDICTS)}")
    if thresholds.min_grade is not None and thresholds.min_grade not in GRADES:
        raise GateError(f"--min-grade must be one of {' '.join(GRADES)}")


def judge(
    *,
    run: Mapping,
    checks: Sequence[CheckResult],
    thresholds: Thresholds,
    baseline: Sequence[CheckResult] | None = None,
    baseline_run_id: int | None = None,
    verdict: str | None = None,
    verdict_label: str | None = None,
) -> Outcome:
    """The gate's decision; raises ``GateError`` when a threshold cannot be judged."""
    validate(thresholds)
    failures = []
    found = regressions(baseline or (), checks)
    if thresholds.fail_on_regression and found:
        failures.append(
            f"{len(found)} check{'s' if len(found) != 1 else ''} regressed since the accepted run"
        )
    if thresholds.max_verdict is not None:
        if verdict is None:
            raise GateError("--max-verdict needs --assessment: the verdict is an assessment's")
        if verdict_rank(verdict) > verdict_rank(thresholds.max_verdict):
            failures.append(
                f"the verdict is “{verdict_label or verdict}”, worse than "
                f"{thresholds.max_verdict.replace('_', ' ')}"
            )
    grade = run.get("grade")
    if thresholds.min_grade is not None:
        if grade is None:
            raise GateError("--min-grade: this ScaleReady server does not grade probe runs yet")
        if grade not in GRADES or GRADES.index(grade) > GRADES.index(thresholds.min_grade):
            failures.append(f"the grade is {grade}, below {thresholds.min_grade}")
    return Outcome(
        run=run,
        checks=tuple(checks),
        regressions=found,
        baseline_run_id=baseline_run_id,
        verdict=verdict,
        verdict_label=verdict_label,
        grade=grade,
        failures=tuple(failures),
    )


def summary(outcome: Outcome) -> str:
    """What the gate prints: the run, the counts, each regression, the decision."""
    counts = dict.fromkeys(("pass", "warn", "fail", "error", "not_applicable"), 0)
    for check in outcome.checks:
        counts[check.status] = counts.get(check.status, 0) + 1
    lines = [
        f"ScaleReady gate: probe run {outcome.run['id']} {outcome.run['status']} "
        f"({len(outcome.checks)} check results)",
        "  " + ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in counts.items() if n),
    ]
    if outcome.grade:
        lines.append(f"  grade: {outcome.grade}")
    if outcome.verdict:
        lines.append(f"  verdict: {outcome.verdict_label or outcome.verdict}")
    if outcome.baseline_run_id is None:
        lines.append("  no accepted run to compare with")
    else:
        lines.append(
            f"  compared with accepted run {outcome.baseline_run_id}: "
            f"{len(outcome.regressions)} regression{'s' if len(outcome.regressions) != 1 else ''}"
        )
    lines.extend(f"    - {r.describe()}" for r in outcome.regressions)
    lines.append("PASSED" if outcome.passed else "FAILED: " + "; ".join(outcome.failures))
    return "\n".join(lines)


def junit_xml(outcome: Outcome) -> str:
    """One test case per check result (failed when it regressed), plus the verdict and the
    grade when they were judged: CI systems show these beside unit tests."""
    regressed = {r.after.key: r for r in outcome.regressions}
    suite = ET.Element("testsuite", name="scaleready-gate")
    cases = 0
    failed = 0
    for check in outcome.checks:
        case = ET.SubElement(suite, "testcase", classname=check.target_url, name=check.title)
        cases += 1
        if check.key in regressed:
            failed += 1
            node = ET.SubElement(case, "failure", message=regressed[check.key].describe())
            node.text = check.message
        elif check.status not in STATUS_RANK:
            ET.SubElement(case, "skipped", message=f"the check could not judge ({check.status})")
    for name, failure_prefix, value in (
        ("verdict", "the verdict", outcome.verdict),
        ("grade", "the grade", outcome.grade),
    ):
        if value is None:
            continue
        case = ET.SubElement(suite, "testcase", classname="scaleready", name=name)
        cases += 1
        for failure in outcome.failures:
            if failure.startswith(failure_prefix):
                failed += 1
                ET.SubElement(case, "failure", message=failure)
    suite.set("tests", str(cases))
    suite.set("failures", str(failed))
    return ET.tostring(suite, encoding="unicode", xml_declaration=True)
