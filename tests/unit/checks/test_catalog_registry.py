import dataclasses
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assessments.bank.domain.loader import load_bank
from checks.engine.artifacts import BurstResult, DnsFacts, HttpExchange, TargetArtifacts, TlsFacts
from checks.engine.catalog import (
    CATEGORIES,
    CHECKS,
    STATUSES,
    Check,
    CheckResult,
    checks_in_category,
    evaluate,
    run_check,
)
from checks.engine.ids import CHECK_IDS, CHECK_TITLES
from tests.unit.checks.catalog_builders import BASE, PLAIN, artifacts, burst, exchange, latency, tls


def test_catalog_has_exactly_one_check_per_id():
    assert set(CHECKS) == CHECK_IDS
    assert all(key == check.id for key, check in CHECKS.items())


@pytest.mark.parametrize("check", CHECKS.values(), ids=list(CHECKS))
def test_check_metadata_is_complete(check):
    assert check.title == CHECK_TITLES[check.id]
    assert check.category in CATEGORIES
    assert len(check.why) > 40
    assert len(check.how_to_fix) > 30
    assert check.references
    assert all(ref.startswith("https://") for ref in check.references)
    assert len(set(check.informs)) == len(check.informs)


def test_every_category_has_checks():
    assert all(checks_in_category(category) for category in CATEGORIES)


def test_informs_mirrors_the_question_bank():
    bank = load_bank()
    question_ids = {q.id for q in bank.questions}
    for check in CHECKS.values():
        unknown = set(check.informs) - question_ids
        assert not unknown, f"{check.id} informs unknown questions {unknown}"
    listed = {(q.id, c) for q in bank.questions for c in q.checks}
    informed = {(q, c.id) for c in CHECKS.values() for q in c.informs}
    assert informed == listed


def test_evaluate_on_empty_artifacts_returns_one_clear_result_per_check():
    results = evaluate(TargetArtifacts(target_url=BASE))
    assert [r.check_id for r in results] == list(CHECKS)
    assert {r.status for r in results} == {"not_applicable"}
    assert all(r.message.endswith(".") and len(r.message) > 15 for r in results)


def test_evaluate_when_every_gatherer_failed_reports_no_crash():
    failure = HttpExchange(url=BASE, error="timed out")
    target = TargetArtifacts(
        target_url=BASE,
        scheme_https=failure,
        plain_http=HttpExchange(url=PLAIN, error="connection refused"),
        static_asset=failure,
        static_conditional=failure,
        not_found=failure,
        robots=failure,
        security_txt=failure,
        cors_preflight=failure,
        tls=TlsFacts(host="example.com", error="handshake failure"),
        dns=DnsFacts(host="example.com", error="SERVFAIL"),
        latency=latency([], errors=10),
        burst=BurstResult(url=BASE, refused_reason="ownership not verified"),
    )
    results = evaluate(target)
    assert len(results) == len(CHECKS)
    assert not [r for r in results if "exception" in r.evidence]


def test_evaluate_on_a_healthy_site_passes_and_is_json_serialisable():
    page_headers = {
        "Strict-Transport-Security": "max-age=63072000; includeSubDomains; preload",
        "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "Permissions-Policy": "camera=(), geolocation=()",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Cross-Origin-Resource-Policy": "same-origin",
        "Set-Cookie": "sessionid=x; Secure; HttpOnly; SameSite=Lax",
        "Content-Encoding": "br",
        "Content-Type": "text/html",
        "CF-Ray": "abc-FRA",
        "Server": "cloudflare",
    }
    target = artifacts(
        scheme_https=exchange(page_headers, ttfb_ms=90.0, body_bytes=40_000),
        plain_http=exchange({"Location": BASE}, url=PLAIN, status=301),
        static_asset=exchange(
            {"Cache-Control": "public, max-age=31536000, immutable", "ETag": '"v1"'},
            url=f"{BASE}app.js",
        ),
        static_conditional=exchange(url=f"{BASE}app.js", status=304),
        not_found=exchange(url=f"{BASE}nope", status=404, body="<h1>Not found</h1>"),
        robots=exchange({"Content-Type": "text/plain"}, body="User-agent: *"),
        security_txt=exchange(
            {"Content-Type": "text/plain"},
            body="Contact: mailto:s@example.com\nExpires: 2030-01-01T00:00:00Z",
        ),
        cors_preflight=exchange(),
        tls=tls(),
        latency=latency([100.0] * 20, ttfb=[80.0] * 20),
        burst=burst(status_counts=((200, 150), (429, 50)), retry_after_seen=True),
    )
    results = evaluate(target)
    assert {r.check_id: r.status for r in results if r.status != "pass"} == {}
    json.dumps([dataclasses.asdict(r) for r in results])


def test_a_check_that_raises_becomes_an_error_result():
    def explode(artifacts):
        raise KeyError("max-age")

    broken = dataclasses.replace(CHECKS["hsts"], evaluate=explode)
    result = run_check(broken, TargetArtifacts(target_url=BASE))
    assert (result.check_id, result.status, result.score) == ("hsts", "error", 0)
    assert "KeyError" not in result.message  # words for people; the fault is in the evidence
    assert "KeyError" in result.evidence["technical_detail"]


def test_evaluate_keeps_going_when_one_check_raises(monkeypatch):
    def explode(artifacts):
        raise RuntimeError("boom")

    broken = dataclasses.replace(CHECKS["csp"], evaluate=explode)
    monkeypatch.setitem(CHECKS, "csp", broken)
    results = {r.check_id: r for r in evaluate(TargetArtifacts(target_url=BASE))}
    assert results["csp"].status == "error"
    assert results["hsts"].status == "not_applicable"


@pytest.mark.parametrize(
    ("status", "score"),
    [("great", 50), ("pass", 101), ("pass", -1), ("pass", 99.5), ("pass", True)],
)
def test_check_result_rejects_invalid_values(status, score):
    with pytest.raises(ValueError, match="hsts"):
        CheckResult(check_id="hsts", status=status, score=score, message="x")


def test_check_is_a_frozen_value():
    with pytest.raises(dataclasses.FrozenInstanceError):
        CHECKS["hsts"].title = "x"
    assert isinstance(CHECKS["hsts"], Check)


# --- Properties over arbitrary input -------------------------------------------------------
INTERESTING_HEADERS = [
    "Strict-Transport-Security",
    "Content-Security-Policy",
    "Content-Security-Policy-Report-Only",
    "X-Content-Type-Options",
    "X-Frame-Options",
    "Referrer-Policy",
    "Permissions-Policy",
    "Feature-Policy",
    "Set-Cookie",
    "Access-Control-Allow-Origin",
    "Access-Control-Allow-Credentials",
    "Server",
    "X-Powered-By",
    "X-AspNet-Version",
    "Content-Encoding",
    "Content-Type",
    "Cache-Control",
    "Expires",
    "Date",
    "Last-Modified",
    "ETag",
    "Location",
    "Via",
    "Age",
    "X-Cache",
    "X-Served-By",
    "CF-Ray",
    "Alt-Svc",
]
INTERESTING_VALUES = [
    "max-age=31536000; includeSubDomains; preload",
    "max-age=; max-age=1",
    "default-src 'self'; script-src 'unsafe-inline' 'nonce-x' *",
    "frame-ancestors",
    "nosniff",
    "DENY, ALLOW-FROM x",
    "unsafe-url, ,",
    'camera=(self "x"), (=',
    "sid=1; SameSite; Secure=; Max-Age=abc; Expires=0",
    "*",
    "https://evil.example",
    "true",
    "nginx/1.2.3",
    "gzip, br",
    "no-store, max-age=99999999999999999999",
    "Mon, 01 Jan 2024 00:00:00 GMT",
    "Tue, 99 Foo 2024",
    "",
    ";;;,,,",
    '"',
    "((()))",
]
header_names = st.one_of(
    st.sampled_from(INTERESTING_HEADERS).flatmap(
        lambda name: st.sampled_from([name, name.lower(), name.upper()])
    ),
    st.text(max_size=15),
)
header_values = st.one_of(st.sampled_from(INTERESTING_VALUES), st.text(max_size=60))
header_lists = st.lists(st.tuples(header_names, header_values), max_size=12)


def assert_valid_results(results):
    assert len(results) == len(CHECKS)
    for result in results:
        assert result.status in STATUSES
        assert 0 <= result.score <= 100
        assert "exception" not in result.evidence, result.message  # no check crashed
        json.dumps(result.evidence)


@given(
    page=header_lists,
    asset=header_lists,
    cors=header_lists,
    status=st.sampled_from([200, 204, 301, 302, 304, 404, 429, 500, 503]),
    body=st.one_of(st.text(max_size=200), st.sampled_from(["Traceback (most recent call last)"])),
)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_every_check_stays_in_range_for_arbitrary_headers(page, asset, cors, status, body):
    target = artifacts(
        scheme_https=HttpExchange(url=BASE, status=status, headers=tuple(page), body_sample=body),
        plain_http=HttpExchange(url=PLAIN, status=status, headers=tuple(page)),
        static_asset=HttpExchange(url=f"{BASE}a.css", status=status, headers=tuple(asset)),
        static_conditional=HttpExchange(url=f"{BASE}a.css", status=status, headers=tuple(asset)),
        not_found=HttpExchange(
            url=f"{BASE}x", status=status, headers=tuple(page), body_sample=body
        ),
        robots=HttpExchange(url=f"{BASE}robots.txt", status=status, headers=tuple(asset)),
        security_txt=HttpExchange(url=BASE, status=status, headers=tuple(asset), body_sample=body),
        cors_preflight=HttpExchange(url=BASE, status=status, headers=tuple(cors)),
    )
    assert_valid_results(evaluate(target))


numbers = st.floats(min_value=0, max_value=1e7, allow_nan=False)
counts = st.integers(min_value=0, max_value=10_000)


@given(
    samples=st.lists(numbers, max_size=30),
    ttfb=st.lists(numbers, max_size=30),
    errors=counts,
    sent=counts,
    completed=counts,
    burst_errors=counts,
    status_counts=st.lists(st.tuples(st.integers(100, 599), counts), max_size=5),
    p95=st.none() | numbers,
    rps=st.none() | numbers,
    aborted=st.none() | st.text(max_size=20),
    days_left=st.none() | st.integers(-1000, 1000),
    protocols=st.lists(st.sampled_from(["SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3", "x"])),
    cipher=st.none() | st.text(max_size=30),
    bits=st.none() | st.integers(0, 512),
)
@settings(max_examples=150, deadline=None)
def test_every_check_stays_in_range_for_arbitrary_measurements(
    samples, ttfb, errors, sent, completed, burst_errors, status_counts, p95, rps, aborted,
    days_left, protocols, cipher, bits,
):  # fmt: skip
    target = artifacts(
        latency=latency(samples, ttfb=ttfb, errors=errors),
        burst=burst(
            requests_sent=sent,
            completed=completed,
            errors=burst_errors,
            status_counts=tuple(status_counts),
            p95_ms=p95,
            sustained_rps=rps,
            aborted_reason=aborted,
        ),
        tls=tls(
            cert_days_left=days_left,
            protocols_accepted=tuple(protocols),
            negotiated_cipher=cipher,
            cipher_bits=bits,
        ),
    )
    assert_valid_results(evaluate(target))
