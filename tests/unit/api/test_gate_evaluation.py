"""The gate's decisions: regressions against the accepted run, verdict and grade thresholds,
the summary and the JUnit XML."""

from xml.etree import ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assessments.api.gate.evaluation import (
    GRADES,
    VERDICTS,
    CheckResult,
    GateError,
    Thresholds,
    judge,
    junit_xml,
    regressions,
    summary,
)

RUN = {"id": 7, "status": "succeeded"}


def result(status, check="hsts", url="https://a.example/"):
    return CheckResult(url, check, check.upper(), status, f"{check} is {status}")


@pytest.mark.parametrize(
    ("before", "after", "regressed"),
    [
        ("pass", "warn", True),
        ("pass", "fail", True),
        ("warn", "fail", True),
        ("fail", "fail", False),
        ("fail", "pass", False),
        ("warn", "pass", False),
        ("pass", "error", False),  # could not judge: no evidence of a regression
        ("pass", "not_applicable", False),
        ("error", "fail", False),  # no baseline to regress from
    ],
)
def test_regressions_table(before, after, regressed):
    found = regressions([result(before)], [result(after)])
    assert bool(found) is regressed


def test_regressions_compare_the_same_check_on_the_same_url_only():
    baseline = [result("pass", url="https://a.example/"), result("pass", check="csp")]
    current = [result("fail", url="https://b.example/"), result("pass", check="csp")]
    assert regressions(baseline, current) == ()


@given(st.sampled_from((*VERDICTS, "insufficient")), st.sampled_from(VERDICTS))
def test_a_verdict_fails_exactly_when_worse_than_the_threshold(verdict, threshold):
    outcome = judge(
        run=RUN, checks=[], thresholds=Thresholds(max_verdict=threshold), verdict=verdict
    )
    worse = verdict == "insufficient" or VERDICTS.index(verdict) > VERDICTS.index(threshold)
    assert outcome.passed is not worse


def test_a_verdict_threshold_needs_an_assessment():
    with pytest.raises(GateError, match="--assessment"):
        judge(run=RUN, checks=[], thresholds=Thresholds(max_verdict="at_risk"))


def test_a_grade_threshold_on_a_server_without_grades_is_an_error_not_a_pass():
    with pytest.raises(GateError, match="does not grade"):
        judge(run=RUN, checks=[], thresholds=Thresholds(min_grade="B"))


@given(st.sampled_from(GRADES), st.sampled_from(GRADES))
def test_a_grade_fails_exactly_when_below_the_threshold(grade, threshold):
    outcome = judge(
        run={**RUN, "grade": grade}, checks=[], thresholds=Thresholds(min_grade=threshold)
    )
    assert outcome.passed is (GRADES.index(grade) <= GRADES.index(threshold))


def test_regressions_fail_the_gate_unless_allowed():
    args = {"run": RUN, "checks": [result("fail")], "baseline": [result("pass")]}
    assert not judge(**args, thresholds=Thresholds()).passed
    allowed = judge(**args, thresholds=Thresholds(fail_on_regression=False))
    assert allowed.passed
    assert len(allowed.regressions) == 1


def test_summary_and_junit_name_the_regression():
    outcome = judge(
        run=RUN,
        checks=[result("fail"), result("pass", check="csp"), result("error", check="cdn")],
        baseline=[result("pass")],
        baseline_run_id=3,
        thresholds=Thresholds(max_verdict="at_risk"),
        verdict="not_ready",
        verdict_label="Not ready",
    )
    text = summary(outcome)
    assert "HSTS on https://a.example/: pass → fail" in text
    assert "compared with accepted run 3: 1 regression" in text
    assert text.splitlines()[-1].startswith("FAILED")
    suite = read_junit_text(junit_xml(outcome))
    assert suite.get("tests") == "4"
    assert suite.get("failures") == "2"
    failed = [case.get("name") for case in suite if case.find("failure") is not None]
    assert failed == ["HSTS", "verdict"]
    assert suite.find("testcase[@name='CDN']/skipped") is not None


def read_junit_text(text: str) -> ET.Element:
    return ET.fromstring(text)  # noqa: S314 - our own output
