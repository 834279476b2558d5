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


HSTS_YEAR = ("Strict-Transport-Security", "max-age=31536000")
HSTS_ALL = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
HSTS_SHORT = ("Strict-Transport-Security", "max-age=3600")


# Each row names the section of RFC 6265bis (draft-ietf-httpbis-rfc6265bis) it follows.
@pytest.mark.parametrize(
    ("cookies", "hsts", "expected", "spec"),
    [
        (["sessionid=abc; Secure; HttpOnly; SameSite=Lax; Path=/"], None, "pass", "4.1.2"),
        (
            ["__Host-session=abc; Path=/; Secure; HttpOnly; SameSite=Strict"],
            None,
            "pass",
            "4.1.3.2",
        ),
        (["theme=dark; Secure"], None, "pass", "4.1.2.7: SameSite only for credentials"),
        (["lang=en"], HSTS_YEAR, "pass", "4.1.2.5 + RFC 6797 8.3: HSTS keeps it off HTTP"),
        (["lang=en"], None, "warn", "4.1.2.5 Secure"),
        (
            ["lang=en; Domain=example.com"],
            HSTS_YEAR,
            "warn",
            "5.6 Domain cookie reaches subdomains",
        ),
        (["lang=en; Domain=example.com"], HSTS_ALL, "pass", "RFC 6797 6.1.2 includeSubDomains"),
        (["csrftoken=x; Secure"], None, "pass", "CSRF tokens are read by scripts"),
        (["sessionid=abc; secure; httponly; samesite=lax"], None, "pass", "5.6 case-insensitive"),
        (["sessionid=abc;Secure;HttpOnly;SameSite=None"], None, "pass", "4.1.2.7 None is a choice"),
        (["sessionid=abc; HttpOnly; SameSite=Lax"], None, "fail", "4.1.2.5 Secure"),
        (["sessionid=abc; HttpOnly; SameSite=Lax"], HSTS_YEAR, "warn", "Secure judged with HSTS"),
        (["sessionid=abc; HttpOnly; SameSite=Lax"], HSTS_SHORT, "fail", "HSTS under 180 days"),
        (["sessionid=abc; Secure; SameSite=Lax"], None, "fail", "4.1.2.6 HttpOnly"),
        (["auth_token=abc; Secure; SameSite=Strict"], None, "fail", "4.1.2.6 HttpOnly"),
        (["JSESSIONID=abc; Secure; SameSite=Lax"], None, "fail", "4.1.2.6 HttpOnly"),
        (["sessionid=abc; HttpOnly; SameSite=None"], None, "fail", "4.1.2.5 (not Secure)"),
        (["prefs=1; SameSite=None"], HSTS_YEAR, "warn", "5.7 step 20: None needs Secure"),
        (["sessionid=abc; Secure; HttpOnly"], None, "warn", "4.1.2.7 credentials need SameSite"),
        (["sessionid=abc; Secure; HttpOnly; SameSite=Sometimes"], None, "warn", "5.6.7"),
        (["theme=dark; Secure", "sid=1; Secure; SameSite=Lax"], None, "fail", "4.1.2.6"),
        (["sessionid=abc; Secure=false; HttpOnly; SameSite=Lax"], None, "pass", "5.6.5 a flag"),
    ],
)
def test_cookie_security(cookies, hsts, expected, spec):
    headers = [(SC, cookie) for cookie in cookies] + ([hsts] if hsts else [])
    assert run("cookie_security", with_page(headers)).status == expected, spec


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
    one = run("cookie_security", with_page({SC: "a=1"}))
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


# Each row names the step of the Fetch "CORS check" (https://fetch.spec.whatwg.org/#cors-check).
@pytest.mark.parametrize(
    ("headers", "expected", "spec"),
    [
        ({}, "pass", "step 2: no header, the check fails"),
        ({ACAO: "https://app.example.com"}, "pass", "step 4: another origin, no match"),
        ({ACAO: "https://app.example.com", ACAC: "true"}, "pass", "step 4"),
        ({ACAO: "*"}, "pass", "step 3: public, no credentials"),
        ({ACAO: " * "}, "pass", "header values are trimmed (Fetch 2.2.2)"),
        # Browsers refuse credentialed reads with *: not a vulnerability (Observatory agrees).
        ({ACAO: "*", ACAC: "true"}, "pass", "step 3: * fails for credentialed requests"),
        ({ACAO: "*", ACAC: "TRUE"}, "pass", "step 3"),
        # Reflection without credentials exposes no more than *.
        ({ACAO: CORS_PROBE_ORIGIN}, "pass", "step 4 matches, step 6: no credentials"),
        ({ACAO: CORS_PROBE_ORIGIN, ACAC: "true"}, "fail", "steps 4 and 7: credentialed read"),
        ({ACAO: CORS_PROBE_ORIGIN, ACAC: "TRUE"}, "pass", "step 7: byte-exact `true`"),
        ({ACAO: "HTTPS://EVIL.EXAMPLE", ACAC: "true"}, "pass", "step 4: byte-for-byte compare"),
        ({"access-control-allow-origin": CORS_PROBE_ORIGIN, ACAC: "true"}, "fail", "names"),
        ({ACAO: "null"}, "pass", "step 4: sandboxed frames, like *"),
        ({ACAO: "null", ACAC: "true"}, "fail", "steps 4 and 7: any sandboxed frame reads"),
        ({ACAO: "https://a.example, https://b.example"}, "warn", "step 4: a list never matches"),
        ({ACAO: "*", ACAC: "false"}, "pass", "step 7"),
    ],
)
def test_cors(headers, expected, spec):
    assert run("cors", cors_artifacts(headers)).status == expected, spec


def test_cors_reflection_with_credentials_says_what_another_site_can_read():
    result = run("cors", cors_artifacts({ACAO: CORS_PROBE_ORIGIN, ACAC: "true"}))
    assert result.message == (
        f"The server allows any Origin ({CORS_PROBE_ORIGIN}) with credentials, so any website "
        "can read what a signed-in user sees."
    )


def test_cors_duplicate_allow_origin_headers_warn():
    headers = [(ACAO, "https://a.example"), (ACAO, "https://b.example")]
    assert run("cors", cors_artifacts(headers)).status == "warn"


def test_cors_reflection_is_detected_for_the_origin_actually_sent():
    probe = exchange(
        {ACAO: "https://other.test", ACAC: "true"},
        request_headers=(("origin", "https://other.test"),),
    )
    assert run("cors", artifacts(cors_preflight=probe)).status == "fail"


def test_cors_not_probed_or_failed():
    assert run("cors", artifacts()).status == "not_applicable"
    assert run("cors", artifacts(cors_preflight=failed_exchange())).status == "error"
