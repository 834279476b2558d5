"""Each gatherer against local targets: what a hardened site yields, and how hostile ones fail.

Only loopback servers started here are contacted (``loopback_network`` polices every thread),
and no database is used. Hostile targets must produce an artifact with the failure recorded, within
their deadline: elapsed times are measured, never waited for.
"""

import socket
import time

import pytest

from checks.engine.artifacts import CORS_PROBE_ORIGIN
from checks.engine.gatherers import (
    USER_AGENT,
    BurstLimits,
    GatherOptions,
    gather_burst,
    gather_dns,
    gather_http,
    gather_latency,
    gather_tls,
)
from checks.engine.gatherers.burst import NOT_VERIFIED
from checks.engine.gatherers.http import MISSING_PATH_PREFIX, find_static_asset
from checks.engine.gatherers.latency import MAX_CONSECUTIVE_ERRORS, WARMUP_REQUESTS
from checks.engine.gatherers.tls import offerable_versions
from checks.engine.safety import ProbeLimits
from tests.probe_servers import (
    SSH_BANNER,
    closed_port,
    degrading_server,
    endless_redirect_server,
    failing_server,
    hardened_server,
    huge_body_server,
    naive_server,
    non_http_server,
    self_signed_context,
    silent_server,
    slow_drip_server,
)

pytestmark = [
    pytest.mark.usefixtures("loopback_network"),
    pytest.mark.filterwarnings(
        # Pinning a handshake to TLS 1.0/1.1 is how the TLS gatherer finds out who still
        # accepts them.
        "ignore:ssl.TLSVersion.TLSv1:DeprecationWarning"
    ),
]

DEADLINE = 0.6
MARGIN = 1.0  # scheduling slack on a loaded CI machine
BODY_CAP = 200_000
LIMITS = ProbeLimits(
    connect_timeout=1, read_timeout=1, deadline_seconds=DEADLINE, max_body_bytes=BODY_CAP
)


@pytest.fixture(scope="module")
def options(local_ca) -> GatherOptions:
    return GatherOptions(allow_loopback=True, limits=LIMITS, verify=local_ca.bundle)


@pytest.fixture(scope="module")
def hardened(local_ca):
    with hardened_server(local_ca) as server:
        yield server


@pytest.fixture(scope="module")
def hardened_http(hardened, options):
    return gather_http(hardened.url, options)


@pytest.fixture(scope="module")
def naive():
    with naive_server() as server:
        yield server


@pytest.fixture(scope="module")
def naive_http(naive, options):
    return gather_http(naive.url, options)


def timed(function, *args, **kwargs):
    started = time.monotonic()
    result = function(*args, **kwargs)
    return result, time.monotonic() - started


# --- HTTP: the hardened site -----------------------------------------------------------------


def test_https_base_page_carries_the_security_headers(hardened_http, hardened):
    page = hardened_http.scheme_https
    assert (page.url, page.status, page.error) == (hardened.url, 200, None)
    assert page.http_version == "HTTP/1.1"
    assert page.header("strict-transport-security") == (
        "max-age=31536000; includeSubDomains; preload"
    )
    assert page.header("X-Frame-Options") == "DENY"
    assert "Hardened test site" in page.body_sample
    assert page.ttfb_ms is not None
    assert 0 < page.ttfb_ms <= page.elapsed_ms


def test_base_page_is_requested_compressed_and_arrives_gzipped(hardened_http):
    page = hardened_http.scheme_https
    assert dict(page.request_headers)["Accept-Encoding"] == "gzip, br"
    assert page.header("Content-Encoding") == "gzip"
    assert page.body_bytes > 1_400  # the decoded size


def test_plain_http_shows_its_first_hop_without_following_it(hardened_http, hardened):
    plain = hardened_http.plain_http
    assert (plain.url, plain.status) == (hardened.http_url, 301)
    assert plain.header("Location") == hardened.url
    assert plain.redirect_chain == ()
    assert [hop.status for hop in plain.redirects()] == [301]


def test_static_asset_is_found_and_revalidated_with_a_304(hardened_http, hardened):
    asset, repeat = hardened_http.static_asset, hardened_http.static_conditional
    assert asset.url == f"{hardened.url}static/app.css"
    assert asset.status == 200
    assert asset.header("Cache-Control") == "public, max-age=31536000, immutable"
    sent = dict(repeat.request_headers)
    assert sent["If-None-Match"] == asset.header("ETag")
    assert sent["If-Modified-Since"] == asset.header("Last-Modified")
    assert repeat.status == 304


def test_missing_path_robots_and_security_txt_are_requested(hardened_http):
    missing = hardened_http.not_found
    assert missing.status == 404
    assert missing.url.split("/", 3)[3].startswith(MISSING_PATH_PREFIX.lstrip("/"))
    assert hardened_http.robots.status == 200
    assert "User-agent" in hardened_http.robots.body_sample
    assert hardened_http.security_txt.status == 200
    assert "Contact:" in hardened_http.security_txt.body_sample


def test_cross_origin_request_sends_the_probe_origin(hardened_http):
    cors = hardened_http.cors_preflight
    assert dict(cors.request_headers)["Origin"] == CORS_PROBE_ORIGIN
    assert cors.status == 200
    assert cors.header("Access-Control-Allow-Origin") is None


def test_every_request_identifies_the_probe(hardened_http, hardened):
    assert hardened.requests
    assert {request.headers["User-Agent"] for request in hardened.requests} == {USER_AGENT}


# --- HTTP: the naive site --------------------------------------------------------------------


def test_a_plain_http_site_is_read_over_http_when_https_fails(naive_http, naive):
    assert naive_http.scheme_https.status is None
    assert "TLS" in naive_http.scheme_https.error
    plain = naive_http.plain_http
    assert (plain.url, plain.status) == (naive.url, 200)
    assert plain.header("Server") == "Apache/2.4.1 (Unix) PHP/5.6.40"
    assert plain.header("X-Powered-By") == "PHP/5.6.40"
    assert plain.header_all("Set-Cookie") == ("PHPSESSID=abc123; path=/",)
    assert plain.header("Content-Encoding") is None


def test_naive_site_leaks_and_reflects(naive_http, naive):
    assert "Traceback (most recent call last)" in naive_http.not_found.body_sample
    cors = naive_http.cors_preflight
    assert cors.header("Access-Control-Allow-Origin") == CORS_PROBE_ORIGIN
    assert cors.header("Access-Control-Allow-Credentials") == "true"
    assert naive_http.static_asset.url == f"{naive.url}js/app.js"
    assert naive_http.static_conditional is None  # no validator to revalidate with
    assert naive_http.robots.status == 404


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ('<link rel="stylesheet" href="/s/site.css"><script src="/a.js">', "/s/site.css"),
        ('<link rel="icon" href="/f.ico"><script src="app.js"></script>', "/app/app.js"),
        ('<img src="../logo.png"><link rel="stylesheet" href="/x.css">', "/logo.png"),
        ('<link rel="preload stylesheet" href="/both.css">', "/both.css"),
        ('<script src="https://cdn.example/a.js"></script><img src="/i.png">', "/i.png"),
        ('<script src="//cdn.example/a.js"></script>', None),
        ('<img src="data:image/png;base64,AAAA">', None),
        ('<script src="http://localhost:8443/a.js"></script>', None),  # another scheme
        ("<script>inline()</script><p>no assets</p>", None),
        ('<link rel="stylesheet" href="/c.css#frag">', "/c.css"),
    ],
)
def test_find_static_asset_takes_the_first_same_origin_reference(html, expected):
    page = "https://localhost:8443/app/"
    found = find_static_asset(html, page)
    assert found == (None if expected is None else f"https://localhost:8443{expected}")


# --- HTTP: hostile targets ---------------------------------------------------------------------


def test_slow_drip_is_cut_at_the_deadline(options):
    with slow_drip_server() as server:
        result, elapsed = timed(gather_http, server.url, options)
    assert "deadline" in result.plain_http.error
    assert result.scheme_https.error is not None
    assert result.not_found is None  # no page answered: nothing more was asked
    assert elapsed < DEADLINE + MARGIN


def test_endless_redirects_stop_at_the_redirect_cap(options, local_ca):
    with endless_redirect_server(local_ca.server_context()) as server:
        result, elapsed = timed(gather_http, server.url, options)
    page = result.scheme_https
    assert page.status is None
    assert "stopped after 5 redirects" in page.error
    assert len(page.redirect_chain) == 6
    assert result.plain_http.status == 302
    assert elapsed < DEADLINE + MARGIN


def test_huge_body_is_truncated_at_the_cap(options):
    with huge_body_server() as server:
        result, elapsed = timed(gather_http, server.url, options)
    page = result.plain_http
    assert (page.status, page.truncated, page.body_bytes, page.error) == (200, True, BODY_CAP, None)
    assert len(page.body_sample) < BODY_CAP
    assert elapsed < DEADLINE + MARGIN


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        ("expired", "certificate has expired"),
        ("self_signed", "self-signed certificate"),
        ("wrong_host", "doesn't match"),
    ],
)
def test_bad_certificates_fail_the_https_exchange(options, local_ca, kind, error):
    context = {
        "expired": local_ca.expired_context,
        "self_signed": self_signed_context,
        "wrong_host": lambda: local_ca.server_context("wrong.example"),
    }[kind]()
    with hardened_server(local_ca, tls_context=context) as server:
        result, elapsed = timed(gather_http, server.url, options)
    assert result.scheme_https.status is None
    assert error in result.scheme_https.error
    assert result.plain_http.status == 301
    assert elapsed < DEADLINE + MARGIN


def test_a_silent_server_times_out(options):
    with silent_server() as server:
        result, elapsed = timed(gather_http, server.url, options)
    assert "timed out" in result.plain_http.error or "deadline" in result.plain_http.error
    assert result.scheme_https.error is not None
    assert elapsed < DEADLINE + MARGIN


def test_closed_port_is_a_connection_error(options):
    with closed_port() as server:
        result, elapsed = timed(gather_http, server.url, options)
    assert result.scheme_https.error.endswith(": connection refused")
    assert result.plain_http.error.endswith(": connection refused")
    assert elapsed < DEADLINE + MARGIN


def test_a_port_speaking_ssh_is_a_connection_error(options):
    with non_http_server() as server:
        result, elapsed = timed(gather_http, server.url, options)
    assert SSH_BANNER.decode().strip() in result.plain_http.error
    assert result.scheme_https.error is not None
    assert elapsed < DEADLINE + MARGIN


def test_a_loopback_target_is_refused_without_the_allowance(hardened, local_ca):
    strict = GatherOptions(allow_loopback=False, limits=LIMITS, verify=local_ca.bundle)
    seen_before = len(hardened.requests)
    result = gather_http(hardened.url, strict)
    assert "loopback" in result.scheme_https.error
    assert "loopback" in result.plain_http.error
    assert len(hardened.requests) == seen_before


# --- TLS -----------------------------------------------------------------------------------


def test_tls_facts_of_the_hardened_site(hardened, options):
    facts = gather_tls(hardened.url, options)
    assert facts.error is None
    assert (facts.host, facts.port) == ("localhost", hardened.port)
    assert facts.negotiated_protocol == "TLSv1.3"
    assert facts.negotiated_cipher.startswith("TLS_")
    assert facts.cipher_bits >= 128
    assert facts.forward_secret is True
    assert facts.alpn == "h2"
    assert (facts.chain_verified, facts.hostname_matches, facts.verify_error) == (True, True, None)
    assert facts.cert_sans == ("localhost",)
    assert "trustme" in facts.cert_issuer
    assert facts.cert_days_left > 300
    assert facts.cert_not_before < facts.cert_not_after
    assert set(facts.protocols_accepted) == {"TLSv1.2", "TLSv1.3"}
    legacy = {"TLSv1", "TLSv1.1"} & set(offerable_versions())
    assert set(facts.protocols_refused) == legacy  # versions we cannot offer: in neither list


def test_legacy_protocols_are_reported_when_accepted(local_ca, options):
    if not {"TLSv1", "TLSv1.1"} <= set(offerable_versions()):
        pytest.skip("this OpenSSL cannot offer TLS 1.0/1.1 even at SECLEVEL=0")
    with hardened_server(local_ca, tls_context=local_ca.server_context(legacy_tls=True)) as server:
        facts = gather_tls(server.url, options)
    assert {"TLSv1", "TLSv1.1"} <= set(facts.protocols_accepted)
    assert facts.protocols_refused == ()


def test_expired_certificate_is_read_but_not_verified(local_ca, options):
    with hardened_server(local_ca, tls_context=local_ca.expired_context()) as server:
        facts, elapsed = timed(gather_tls, server.url, options)
    assert facts.error is None
    assert facts.chain_verified is False
    assert "expired" in facts.verify_error
    assert facts.cert_days_left < 0
    assert facts.hostname_matches is True
    assert facts.negotiated_protocol == "TLSv1.3"
    assert elapsed < DEADLINE + MARGIN


def test_self_signed_certificate_is_not_verified(local_ca, options):
    with hardened_server(local_ca, tls_context=self_signed_context()) as server:
        facts, elapsed = timed(gather_tls, server.url, options)
    assert (facts.error, facts.chain_verified) == (None, False)
    assert "self-signed" in facts.verify_error
    assert facts.cert_subject == facts.cert_issuer == "CN=localhost"
    assert facts.hostname_matches is True
    assert elapsed < DEADLINE + MARGIN


def test_wrong_hostname_certificate_has_a_good_chain_and_a_bad_name(local_ca, options):
    with hardened_server(local_ca, tls_context=local_ca.server_context("wrong.example")) as server:
        facts, elapsed = timed(gather_tls, server.url, options)
    assert (facts.chain_verified, facts.hostname_matches) == (True, False)
    assert "mismatch" in facts.verify_error.lower()
    assert facts.cert_sans == ("wrong.example",)
    assert elapsed < DEADLINE + MARGIN


@pytest.mark.parametrize(
    ("server", "error"),
    [
        (closed_port, "connection refused"),
        (non_http_server, "WRONG_VERSION_NUMBER"),
        (naive_server, "WRONG_VERSION_NUMBER"),
        (slow_drip_server, "TLS handshake"),
        (silent_server, "timed out"),
    ],
)
def test_targets_without_tls_yield_only_an_error(options, server, error):
    with server() as target:
        facts, elapsed = timed(gather_tls, target.url, options)
    assert error in facts.error
    assert facts.negotiated_protocol is None
    assert facts.protocols_accepted == facts.protocols_refused == ()
    assert elapsed < DEADLINE + MARGIN


def test_a_refused_target_yields_tls_facts_with_the_reason(options):
    facts = gather_tls("https://10.0.0.1/", options)
    assert "private" in facts.error


# --- DNS -----------------------------------------------------------------------------------


def fake_resolver(table):
    def resolve(host, port, *args, **kwargs):
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (
                socket.AF_INET6 if ":" in ip else socket.AF_INET,
                socket.SOCK_STREAM,
                6,
                "",
                (ip, port),
            )
            for ip in table[host]
        ]

    return resolve


def test_dns_lists_addresses_and_aliases_from_injected_lookups():
    resolver = fake_resolver({"www.shop.test": ["203.0.113.7", "2001:db8::7", "203.0.113.7"]})

    def aliases(host):
        return ("edge.cdn.test", ["www.shop.test", "shop.cdn.test"], ["203.0.113.7"])

    facts = gather_dns(
        "https://www.shop.test/", GatherOptions(resolver=resolver), alias_lookup=aliases
    )
    assert facts.host == "www.shop.test"
    assert facts.addresses == ("203.0.113.7", "2001:db8::7")
    assert facts.cnames == ("shop.cdn.test", "edge.cdn.test")
    assert facts.error is None


def test_dns_records_a_name_that_does_not_resolve():
    facts = gather_dns(
        "https://nowhere.test/", GatherOptions(resolver=fake_resolver({})), alias_lookup=None
    )
    assert facts.addresses == ()
    assert "could not be resolved" in facts.error


def test_dns_of_an_ip_literal_is_the_address_itself():
    facts = gather_dns("http://127.0.0.1:8080/", GatherOptions(resolver=fake_resolver({})))
    assert (facts.host, facts.addresses, facts.cnames) == ("127.0.0.1", ("127.0.0.1",), ())


# --- Latency -------------------------------------------------------------------------------


def test_latency_takes_the_requested_number_of_samples(local_ca, options):
    with hardened_server(local_ca) as server:
        samples = gather_latency(server.url, options, samples=5)
    assert len(samples.samples_ms) == len(samples.ttfb_ms) == 5
    assert samples.errors == 0
    assert all(t <= total for t, total in zip(samples.ttfb_ms, samples.samples_ms, strict=True))
    assert len(samples.warmup_ms) == WARMUP_REQUESTS  # timed apart, not counted
    assert server.paths() == ["/"] * (WARMUP_REQUESTS + 5)


def test_latency_stops_at_the_first_timeout(options):
    with slow_drip_server() as server:
        samples, elapsed = timed(gather_latency, server.url, options, samples=10)
    assert (samples.samples_ms, samples.errors) == ((), 1)
    assert elapsed < DEADLINE + MARGIN


def test_latency_gives_up_after_repeated_failures(options):
    with closed_port() as server:
        samples = gather_latency(server.url, options, samples=10)
    assert (samples.samples_ms, samples.errors) == ((), MAX_CONSECUTIVE_ERRORS)


# --- Burst ---------------------------------------------------------------------------------


def test_burst_is_refused_for_an_unverified_target(local_ca, options):
    with hardened_server(local_ca) as server:
        result = gather_burst(server.url, options, verified=False)
    assert result.refused_reason == NOT_VERIFIED
    assert (result.verified, result.requests_sent) == (False, 0)
    assert server.requests == []


def test_burst_stops_at_its_request_cap(local_ca, options):
    # Latency rule out of the way: on a loaded machine local jitter can exceed its margin.
    limits = BurstLimits(
        max_requests=40, concurrency=4, max_seconds=5, min_latency_increase_ms=60_000
    )
    with hardened_server(local_ca) as server:
        result = gather_burst(server.url, options, verified=True, limits=limits)
    assert (result.requests_sent, result.completed, result.errors) == (40, 40, 0)
    assert result.status_counts == ((200, 40),)
    assert result.aborted_reason is None
    assert len(server.requests) == 40
    assert result.sustained_rps > 0
    assert result.p50_ms <= result.p95_ms <= result.p99_ms


def test_burst_aborts_at_the_first_429(local_ca, options):
    limits = BurstLimits(max_requests=200, concurrency=4, max_seconds=5)
    with hardened_server(local_ca, rate_limit_after=10) as server:
        result = gather_burst(server.url, options, verified=True, limits=limits)
    assert "429" in result.aborted_reason
    assert result.retry_after_seen is True
    assert result.requests_sent <= 10 + 2 * limits.concurrency  # well below the cap
    assert result.count_of(429) >= 1


def test_burst_aborts_when_the_error_rate_is_too_high(options):
    limits = BurstLimits(max_requests=200, concurrency=4, max_seconds=5, min_responses=20)
    with failing_server() as server:
        result = gather_burst(server.url, options, verified=True, limits=limits)
    assert "5xx" in result.aborted_reason
    assert result.requests_sent < 20 + 2 * limits.concurrency
    assert result.errors == result.count_of(503) == result.completed


def test_burst_aborts_when_latency_doubles(options):
    limits = BurstLimits(max_requests=200, concurrency=4, max_seconds=5)
    with degrading_server(fast_requests=12, delay=0.2) as server:
        result, elapsed = timed(gather_burst, server.url, options, verified=True, limits=limits)
    assert "p50 latency doubled" in result.aborted_reason
    assert result.requests_sent < 40
    assert result.errors == 0
    assert elapsed < limits.max_seconds


def test_burst_ends_within_its_time_budget(options):
    limits = BurstLimits(max_requests=200, concurrency=4, max_seconds=0.8)
    with slow_drip_server() as server:
        result, elapsed = timed(gather_burst, server.url, options, verified=True, limits=limits)
    assert result.completed == 0
    assert result.errors == result.requests_sent > 0
    assert elapsed < limits.max_seconds + MARGIN
