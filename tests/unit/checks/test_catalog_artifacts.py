import dataclasses
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checks.engine.artifacts import (
    BurstResult,
    DnsFacts,
    HttpExchange,
    LatencySamples,
    RedirectHop,
    TargetArtifacts,
    artifacts_from_dict,
    nearest_rank,
)
from tests.unit.checks.catalog_builders import BASE, PLAIN, burst, dns, exchange, hop, latency, tls


def full_artifacts() -> TargetArtifacts:
    return TargetArtifacts(
        target_url=BASE,
        scheme_https=exchange(
            [("Set-Cookie", "a=1"), ("set-cookie", "b=2"), ("Content-Type", "text/html")],
            body="<html>é</html>",
            ttfb_ms=120.5,
            elapsed_ms=180.0,
            http_version="HTTP/2",
            redirect_chain=(hop(BASE, 301, "https://www.example.com/"),),
        ),
        plain_http=exchange({"Location": BASE}, url=PLAIN, status=301),
        static_asset=exchange({"ETag": '"x"'}, url=f"{BASE}app.js", truncated=True),
        static_conditional=exchange(
            url=f"{BASE}app.js", status=304, request_headers=(("If-None-Match", '"x"'),)
        ),
        not_found=HttpExchange(url=f"{BASE}missing", error="timed out"),
        robots=exchange(url=f"{BASE}robots.txt"),
        security_txt=None,
        cors_preflight=exchange(request_headers=(("Origin", "https://evil.example"),)),
        tls=tls(ciphers_accepted=("TLS_AES_128_GCM_SHA256",)),
        dns=dns("example.com.cdn.cloudflare.net."),
        latency=latency([100.0, 120.5, 90.0], ttfb=[50.0, 60.0, 55.0], errors=1),
        burst=burst(status_counts=((200, 190), (429, 10)), aborted_reason="429s"),
    )


@pytest.mark.parametrize(
    "original",
    [
        full_artifacts(),
        TargetArtifacts(target_url=BASE),
        TargetArtifacts(target_url=BASE, dns=DnsFacts(host="example.com", error="NXDOMAIN")),
        TargetArtifacts(target_url=BASE, burst=BurstResult(url=BASE, refused_reason="no")),
    ],
)
def test_artifacts_round_trip_through_json(original):
    stored = json.loads(json.dumps(dataclasses.asdict(original)))
    assert artifacts_from_dict(stored) == original
    assert TargetArtifacts.from_dict(stored) == original


@given(
    headers=st.lists(st.tuples(st.text(max_size=20), st.text(max_size=40)), max_size=8),
    samples=st.lists(st.floats(0, 1e6, allow_nan=False), max_size=10),
)
@settings(max_examples=50)
def test_any_exchange_and_samples_round_trip(headers, samples):
    original = TargetArtifacts(
        target_url=BASE,
        scheme_https=HttpExchange(url=BASE, status=200, headers=tuple(headers)),
        latency=LatencySamples(url=BASE, samples_ms=tuple(samples)),
    )
    assert artifacts_from_dict(json.loads(json.dumps(dataclasses.asdict(original)))) == original


def test_header_lookup_is_case_insensitive_and_keeps_duplicates():
    page = exchange([("Set-Cookie", "a=1"), ("SET-COOKIE", "b=2"), ("Server", "x")])
    assert page.header("set-cookie") == "a=1"
    assert page.header_all("Set-Cookie") == ("a=1", "b=2")
    assert page.header("missing") is None
    assert page.header_all("missing") == ()


def test_redirects_include_the_exchange_itself_when_not_followed():
    not_followed = exchange({"Location": BASE}, url=PLAIN, status=301)
    assert not_followed.redirects() == (RedirectHop(PLAIN, 301, BASE),)
    followed = exchange(url=BASE, redirect_chain=(hop(PLAIN, 301, BASE),))
    assert followed.redirects() == (RedirectHop(PLAIN, 301, BASE),)


def test_failed_exchange_is_not_ok():
    assert not HttpExchange(url=BASE, error="refused").ok
    assert exchange(status=500).ok


@pytest.mark.parametrize(
    ("values", "percent", "expected"),
    [
        ([], 50, None),
        ([7], 99, 7),
        ([3, 1, 2], 50, 2),
        ([1, 2, 3, 4], 50, 2),  # ceil(0.5 * 4) = 2nd value
        ([1, 2, 3, 4], 75, 3),
        (list(range(1, 21)), 95, 19),
        (list(range(1, 21)), 99, 20),
        (list(range(1, 101)), 95, 95),
        (list(range(1, 101)), 100, 100),
    ],
)
def test_nearest_rank_percentile(values, percent, expected):
    assert nearest_rank(values, percent) == expected


@pytest.mark.parametrize("percent", [0, -1, 100.1])
def test_nearest_rank_rejects_out_of_range_percent(percent):
    with pytest.raises(ValueError, match="percent"):
        nearest_rank([1, 2], percent)


def test_latency_samples_percentile_helpers():
    samples = LatencySamples(url=BASE, samples_ms=tuple(range(1, 101)), ttfb_ms=(5, 1, 3))
    assert (samples.p50, samples.p95, samples.p99) == (50, 95, 99)
    assert samples.ttfb_percentile(50) == 3


def test_burst_count_of_status():
    assert burst(status_counts=((200, 5), (429, 3))).count_of(429) == 3
    assert burst().count_of(503) == 0
