import pytest
from hypothesis import given
from hypothesis import strategies as st

from checks.engine.artifacts import LatencySamples, claimable_percentile
from checks.engine.catalog.performance import LATENCY_MIN_SAMPLES, LATENCY_P95_PASS_MS
from tests.unit.checks.catalog_builders import (
    BASE,
    artifacts,
    exchange,
    failed_exchange,
    latency,
    run,
    tls,
    with_page,
)

HTML = "text/html; charset=utf-8"
BIG = 50_000


@pytest.mark.parametrize(
    ("headers", "body_bytes", "expected"),
    [
        ({"Content-Encoding": "br", "Content-Type": HTML}, BIG, "pass"),
        ({"Content-Encoding": "gzip", "Content-Type": HTML}, BIG, "pass"),
        ({"content-encoding": "GZIP", "Content-Type": HTML}, BIG, "pass"),
        ({"Content-Encoding": "zstd", "Content-Type": "application/json"}, BIG, "pass"),
        ({"Content-Encoding": "deflate", "Content-Type": HTML}, BIG, "pass"),
        ({"Content-Encoding": " gzip , identity", "Content-Type": HTML}, BIG, "pass"),
        ({"Content-Type": HTML}, BIG, "fail"),
        ({"Content-Encoding": "identity", "Content-Type": HTML}, BIG, "fail"),
        ({"Content-Encoding": "compress", "Content-Type": HTML}, BIG, "warn"),
        ({}, BIG, "fail"),  # unknown type, assume text
        ({"Content-Type": HTML}, 500, "not_applicable"),  # too small to matter
        ({"Content-Type": "image/png"}, BIG, "not_applicable"),
    ],
)
def test_compression(headers, body_bytes, expected):
    assert run("compression", with_page(headers, body_bytes=body_bytes)).status == expected


def test_compression_deflate_scores_below_brotli():
    deflate = run("compression", with_page({"Content-Encoding": "deflate"}, body_bytes=BIG))
    brotli = run("compression", with_page({"Content-Encoding": "br"}, body_bytes=BIG))
    assert deflate.score < brotli.score


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        (artifacts(tls=tls(alpn="h2")), "pass"),
        (artifacts(tls=tls(alpn="http/1.1")), "warn"),
        (artifacts(tls=tls(alpn=None)), "warn"),
        (artifacts(tls=tls(alpn=None), scheme_https=exchange(http_version="HTTP/2")), "pass"),
        (artifacts(scheme_https=exchange(http_version="HTTP/1.1")), "warn"),
        (artifacts(tls=tls(alpn=None, error="handshake failed")), "error"),
        (artifacts(), "not_applicable"),
    ],
)
def test_http2(target, expected):
    assert run("http2", target).status == expected


@pytest.mark.parametrize(
    ("ttfb", "expected"),
    [
        ((50, 80, 120), "pass"),
        ((200, 200, 200), "pass"),
        ((100, 201, 900), "warn"),  # median 201
        ((600, 600, 600), "warn"),
        ((601, 700, 20), "fail"),  # median 601
        ((3000,), "fail"),
    ],
)
def test_ttfb_uses_median_of_samples(ttfb, expected):
    result = run("ttfb", artifacts(latency=latency(samples=ttfb, ttfb=ttfb)))
    assert result.status == expected
    assert result.evidence["samples"] == len(ttfb)


def test_ttfb_score_falls_within_the_warn_band():
    near = run("ttfb", artifacts(latency=latency([], ttfb=[250])))
    far = run("ttfb", artifacts(latency=latency([], ttfb=[550])))
    assert near.status == far.status == "warn"
    assert near.score > far.score


def test_ttfb_falls_back_to_the_single_page_measurement():
    result = run("ttfb", with_page(ttfb_ms=150.0))
    assert (result.status, result.evidence["source"]) == ("pass", "https page")


def test_ttfb_not_applicable_without_measurement():
    assert run("ttfb", artifacts(scheme_https=failed_exchange())).status == "not_applicable"


@pytest.mark.parametrize(
    ("samples", "errors", "expected"),
    [
        ([100] * 20, 0, "pass"),
        ([100] * 19 + [2000], 0, "pass"),  # p95 of 20 is the 19th value
        ([100] * 18 + [2000] * 2, 0, "fail"),
        ([100] * 18 + [900] * 2, 0, "warn"),
        ([500] * 10, 0, "pass"),
        ([501] * 10, 0, "warn"),
        ([100] * 20, 5, "warn"),  # 20 % of requests failed
        ([100] * 4, 0, "not_applicable"),
        ([100] * 2, 8, "error"),
        ([], 0, "not_applicable"),
    ],
)
def test_latency_percentiles(samples, errors, expected):
    result = run("latency_percentiles", artifacts(latency=latency(samples, errors=errors)))
    assert result.status == expected


def test_latency_percentiles_reports_nearest_rank_values():
    samples = list(range(1, 101))  # 1..100 ms
    result = run("latency_percentiles", artifacts(latency=latency(samples)))
    assert result.evidence["samples"] == 100
    assert (result.evidence["p50_ms"], result.evidence["p95_ms"], result.evidence["p99_ms"]) == (
        50,
        95,
        99,
    )


def test_latency_minimum_sample_count_is_five():
    assert LATENCY_MIN_SAMPLES == 5
    result = run("latency_percentiles", artifacts(latency=latency([100] * 5)))
    assert result.status == "pass"


@pytest.mark.parametrize(
    ("count", "percent"),
    [
        (0, None),
        (1, None),
        (2, 50),
        (3, 50),
        (4, 75),
        (9, 75),
        (10, 90),
        (19, 90),
        (20, 95),
        (99, 95),
        (100, 99),
        (500, 99),
    ],
)
def test_a_percentile_is_claimed_only_with_a_sample_above_it(count, percent):
    assert claimable_percentile(count) == percent


def test_ten_samples_claim_p90_and_say_why_not_p95():
    result = run("latency_percentiles", artifacts(latency=latency([100] * 9 + [2000])))
    assert result.status == "pass"  # the single slow request is above p90
    assert result.evidence["percentile"] == "p90"
    assert result.evidence["p95_ms"] is None
    assert result.evidence["p99_ms"] is None
    assert "p95 needs at least 20 samples" in result.message


def test_warm_up_requests_are_reported_but_not_judged():
    samples = LatencySamples(
        url=BASE, samples_ms=(40.0,) * 20, ttfb_ms=(20.0,) * 20, warmup_ms=(3000.0, 900.0)
    )
    result = run("latency_percentiles", artifacts(latency=samples))
    assert (result.status, result.evidence["warmup_discarded"]) == ("pass", 2)


fast = st.floats(min_value=1, max_value=LATENCY_P95_PASS_MS, allow_nan=False)


@given(
    samples=st.lists(fast, min_size=20, max_size=120),
    outlier=st.floats(min_value=0, max_value=1e6, allow_nan=False),
    position=st.integers(min_value=0),
)
def test_one_outlier_cannot_flip_the_verdict(samples, outlier, position):
    before = run("latency_percentiles", artifacts(latency=latency(samples)))
    changed = list(samples)
    changed[position % len(changed)] = outlier
    after = run("latency_percentiles", artifacts(latency=latency(changed)))
    assert before.status == after.status == "pass"
