"""Drift between two runs and the webhook signature (``checks.engine.drift``)."""

import pytest

from checks.engine.catalog import CHECKS
from checks.engine.drift import (
    CERT_EXPIRY_ALERT_DAYS,
    compare_runs,
    retry_delays,
    snapshot,
    webhook_signature,
    webhook_signature_valid,
)

URL = "https://shop.example.com/"


def rows(**overrides):
    """A run where every check passed; ``overrides``: check id -> (status, evidence)."""
    result = []
    for check_id in CHECKS:
        status, evidence = overrides.get(check_id, ("pass", {}))
        score = {"pass": 100, "warn": 50, "fail": 0}.get(status, 0)
        result.append(
            {
                "check_id": check_id,
                "status": status,
                "score": score,
                "evidence": evidence,
                "target_url": URL,
                "message": "",
            }
        )
    return result


def kinds(previous, current):
    return [r.kind for r in compare_runs(snapshot(previous), snapshot(current))]


def test_an_unchanged_run_has_no_regressions():
    assert kinds(rows(), rows()) == []


def test_a_check_getting_worse_is_a_regression_in_words():
    [regression] = compare_runs(snapshot(rows()), snapshot(rows(csp=("warn", {}))))
    assert regression.kind == "check"
    assert regression.summary == (
        f"Content-Security-Policy is strict: pass before, warn now ({URL})."
    )


def test_a_check_that_could_not_judge_is_no_regression():
    assert kinds(rows(), rows(csp=("error", {}), hsts=("not_applicable", {}))) == []


def test_a_grade_drop_comes_first():
    found = kinds(rows(), rows(https_available=("fail", {})))
    assert found == ["grade", "check"]


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (90, CERT_EXPIRY_ALERT_DAYS, ["certificate"]),
        (90, 30, []),
        (CERT_EXPIRY_ALERT_DAYS, 20, []),  # already reported when it crossed
        (None, 10, ["certificate"]),
    ],
)
def test_a_certificate_is_reported_once_when_it_comes_within_21_days(before, after, expected):
    def run(days):
        return rows(certificate_expiry=("pass", {"days_left": days} if days is not None else {}))

    assert [k for k in kinds(run(before), run(after)) if k == "certificate"] == expected


@pytest.mark.parametrize(
    ("before", "after", "regressed"),
    [(40.0, 200.0, True), (4.0, 8.0, False), (300.0, 420.0, False), (300.0, 460.0, True)],
)
def test_latency_must_grow_by_half_and_by_100_ms(before, after, regressed):
    def run(ms):
        return rows(latency_percentiles=("pass", {"judged_ms": ms}))

    assert ("latency" in kinds(run(before), run(after))) is regressed


def test_capacity_falling_below_80_percent_is_a_regression():
    def run(rps):
        return rows(burst_capacity=("pass", {"sustained_rps": rps}))

    assert kinds(run(100.0), run(85.0)) == []
    assert kinds(run(100.0), run(70.0)) == ["capacity"]


SECRET = b"whsec-test-secret"
BODY = b'{"system": "Shop", "regressions": 1}'


def test_a_signed_body_verifies_within_the_tolerance():
    header = webhook_signature(SECRET, BODY, 1_700_000_000)
    assert header.startswith("t=1700000000,v1=")
    assert webhook_signature_valid(SECRET, BODY, header, now=1_700_000_100)


@pytest.mark.parametrize(
    ("secret", "body", "now"),
    [
        (b"another-secret", BODY, 1_700_000_000),
        (SECRET, BODY + b" ", 1_700_000_000),
        (SECRET, BODY, 1_700_000_000 + 301),  # a replay after the tolerance
    ],
)
def test_a_forged_altered_or_stale_call_is_refused(secret, body, now):
    header = webhook_signature(SECRET, BODY, 1_700_000_000)
    assert not webhook_signature_valid(secret, body, header, now=now)


@pytest.mark.parametrize("header", ["", "v1=abc", "t=abc,v1=abc", "t=1700000000"])
def test_a_malformed_header_is_refused(header):
    assert not webhook_signature_valid(SECRET, BODY, header, now=1_700_000_000)


def test_retries_back_off_exponentially():
    assert retry_delays() == (30, 60, 120, 240)
