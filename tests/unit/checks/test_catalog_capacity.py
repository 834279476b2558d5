import pytest

from tests.unit.checks.catalog_builders import artifacts, burst, run


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"status_counts": ((200, 150), (429, 50)), "retry_after_seen": True}, "pass"),
        ({"status_counts": ((429, 200),), "retry_after_seen": True}, "pass"),
        ({"status_counts": ((200, 150), (429, 50)), "retry_after_seen": False}, "warn"),
        ({"status_counts": ((200, 200),)}, "warn"),
        ({"status_counts": ((200, 190), (503, 10)), "errors": 10}, "warn"),
        ({"verified": False}, "not_applicable"),
        ({"refused_reason": "target ownership is not verified"}, "not_applicable"),
        ({"refused_reason": "cooldown: a burst ran 3 minutes ago"}, "not_applicable"),
        ({"requests_sent": 0, "completed": 0, "status_counts": ()}, "error"),
    ],
)
def test_rate_limit_signalling(fields, expected):
    assert run("rate_limit_signalling", artifacts(burst=burst(**fields))).status == expected


def test_rate_limit_signalling_explains_a_burst_without_429():
    result = run("rate_limit_signalling", artifacts(burst=burst()))
    assert "No 429" in result.message
    assert result.evidence["responses_429"] == 0


def test_refused_burst_reason_is_in_the_message():
    result = run("burst_capacity", artifacts(burst=burst(refused_reason="not verified")))
    assert result.status == "not_applicable"
    assert "not verified" in result.message


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, "pass"),
        ({"p95_ms": 1000.0}, "pass"),
        ({"p95_ms": 1001.0}, "warn"),
        ({"p95_ms": 5000.0}, "warn"),
        ({"errors": 2, "status_counts": ((200, 198), (503, 2))}, "pass"),  # exactly 1 %
        ({"errors": 3, "status_counts": ((200, 197), (503, 3))}, "fail"),
        ({"errors": 0, "status_counts": ((200, 190), (500, 10))}, "fail"),  # 5xx count as errors
        ({"errors": 50, "completed": 150}, "fail"),  # timeouts
        (
            {
                "requests_sent": 60,
                "completed": 60,
                "status_counts": ((200, 59), (502, 1)),
                "aborted_reason": "aborted after a 5xx response",
            },
            "fail",
        ),
        (
            {
                "requests_sent": 80,
                "completed": 80,
                "status_counts": ((200, 70), (429, 10)),
                "aborted_reason": "aborted after 429 responses",
            },
            "pass",
        ),
        ({"aborted_reason": "latency doubled"}, "warn"),
        ({"completed": 0, "status_counts": ()}, "error"),
        ({"verified": False}, "not_applicable"),
    ],
)
def test_burst_capacity(fields, expected):
    assert run("burst_capacity", artifacts(burst=burst(**fields))).status == expected


def test_burst_capacity_reports_throughput_and_percentiles():
    result = run("burst_capacity", artifacts(burst=burst()))
    evidence = result.evidence
    assert evidence["sustained_rps"] == 20.0
    assert (evidence["p50_ms"], evidence["p95_ms"], evidence["p99_ms"]) == (80.0, 200.0, 300.0)
    assert evidence["error_rate"] == 0
    assert evidence["status_counts"] == {"200": 200}
    assert "20.0 req/s" in result.message


def test_burst_not_run_is_not_applicable():
    assert run("burst_capacity", artifacts()).status == "not_applicable"
    assert run("rate_limit_signalling", artifacts()).status == "not_applicable"
