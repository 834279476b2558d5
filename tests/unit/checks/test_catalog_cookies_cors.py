import pytest

from checks.engine.artifacts import CORS_PROBE_ORIGIN
from checks.engine.catalog.cookies import parse_set_cookie
from tests.unit.checks.catalog_builders import (
    PLAIN,
    artifacts,
    exchange,
    failed_exchange,
    run,
    with_page,
)

SC = "Set-Cookie"


@pytest.mark.parametrize(
    ("cookies", "expected"),
    [
        (["sessionid=abc; Secure; HttpOnly; SameSite=Lax; Path=/"], "pass"),
        (["__Host-session=abc; Path=/; Secure; HttpOnly; SameSite=Strict"], "pass"),
        (["theme=dark; Secure; SameSite=Lax"], "pass"),  # not session-like: may be readable
        (["csrftoken=x; Secure; SameSite=Lax"], "pass"),  # CSRF tokens are read by JS
        (["sessionid=abc; secure; httponly; samesite=lax"], "pass"),  # case-insensitive
        (["sessionid=abc;Secure;HttpOnly;SameSite=None"], "pass"),
        (["sessionid=abc; HttpOnly; SameSite=Lax"], "fail"),  # not Secure
        (["sessionid=abc; Secure; SameSite=Lax"], "fail"),  # not HttpOnly
        (["auth_token=abc; Secure; SameSite=Strict"], "fail"),
        (["JSESSIONID=abc; Secure; SameSite=Lax"], "fail"),
        (["sessionid=abc; HttpOnly; SameSite=None"], "fail"),  # None needs Secure
        (["sessionid=abc; Secure; HttpOnly"], "warn"),  # no SameSite
        (["sessionid=abc; Secure; HttpOnly; SameSite=Sometimes"], "warn"),
        (["theme=dark; Secure; SameSite=Lax", "sid=1; Secure; SameSite=Lax"], "fail"),
        (["sessionid=abc; Secure=false; HttpOnly; SameSite=Lax"], "pass"),  # flag present
    ],
)
def test_cookie_security(cookies, expected):
    headers = [(SC, cookie) for cookie in cookies]
    assert run("cookie_security", with_page(headers)).status == expected


def test_cookie_security_is_not_applicable_without_cookies():
    assert run("cookie_security", with_page({"Content-Type": "text/html"})).status == (
        "not_applicable"
    )


def test_deletion_cookies_are_ignored():
    headers = [
        (SC, "sessionid=; Max-Age=0; Path=/"),
        (SC, "old=; expires=Thu, 01 Jan 1970 00:00:00 GMT"),
    ]
    assert run("cookie_security", with_page(headers)).status == "not_applicable"


def test_cookies_set_over_plain_http_are_checked_too():
    target = artifacts(
        scheme_https=exchange(),
        plain_http=exchange({SC: "sessionid=abc; HttpOnly; SameSite=Lax"}, url=PLAIN, status=301),
    )
    result = run("cookie_security", target)
    assert result.status == "fail"
    assert result.evidence["cookies"][0]["url"] == PLAIN


def test_cookie_score_drops_with_each_issue():
    one = run("cookie_security", with_page({SC: "a=1; Secure"}))
    many = run("cookie_security", with_page([(SC, "session=1"), (SC, "token=2")]))
    assert one.status == "warn"
    assert many.score < one.score


@pytest.mark.parametrize(
    ("line", "name", "attributes"),
    [
        ("a=b; Secure", "a", {"secure": ""}),
        ("a=b=c; Path=/x", "a", {"path": "/x"}),
        ("noequals; HttpOnly", "", {"httponly": ""}),
        ("a=b; SameSite=Lax; SameSite=None", "a", {"samesite": "None"}),  # last wins
        ("  spaced = v ;  Max-Age = 10 ", "spaced", {"max-age": "10"}),
    ],
)
def test_parse_set_cookie(line, name, attributes):
    cookie = parse_set_cookie(line)
    assert (cookie.name, cookie.attributes) == (name, attributes)


# --- CORS --------------------------------------------------------------------------------
ACAO = "Access-Control-Allow-Origin"
ACAC = "Access-Control-Allow-Credentials"


def cors_artifacts(headers, **fields):
    probe = exchange(headers, request_headers=(("Origin", CORS_PROBE_ORIGIN),), **fields)
    return artifacts(cors_preflight=probe)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, "pass"),
        ({ACAO: "https://app.example.com"}, "pass"),
        ({ACAO: "https://app.example.com", ACAC: "true"}, "pass"),
        ({ACAO: "*"}, "pass"),  # public, no credentials
        ({ACAO: " * "}, "pass"),
        ({ACAO: "*", ACAC: "true"}, "fail"),
        ({ACAO: "*", ACAC: "TRUE"}, "fail"),
        ({ACAO: CORS_PROBE_ORIGIN}, "fail"),
        ({ACAO: CORS_PROBE_ORIGIN, ACAC: "true"}, "fail"),
        ({ACAO: "HTTPS://EVIL.EXAMPLE"}, "fail"),
        ({"access-control-allow-origin": CORS_PROBE_ORIGIN}, "fail"),
        ({ACAO: "null"}, "warn"),
        ({ACAO: "null", ACAC: "true"}, "fail"),
        ({ACAO: "https://a.example, https://b.example"}, "warn"),
        ({ACAO: "*", ACAC: "false"}, "pass"),
    ],
)
def test_cors(headers, expected):
    assert run("cors", cors_artifacts(headers)).status == expected


def test_cors_duplicate_allow_origin_headers_warn():
    headers = [(ACAO, "https://a.example"), (ACAO, "https://b.example")]
    assert run("cors", cors_artifacts(headers)).status == "warn"


def test_cors_reflection_is_detected_for_the_origin_actually_sent():
    probe = exchange(
        {ACAO: "https://other.test"}, request_headers=(("origin", "https://other.test"),)
    )
    assert run("cors", artifacts(cors_preflight=probe)).status == "fail"


def test_cors_not_probed_or_failed():
    assert run("cors", artifacts()).status == "not_applicable"
    assert run("cors", artifacts(cors_preflight=failed_exchange())).status == "error"
