import pytest

from checks.engine.catalog.headers import (
    MalformedHeader,
    effective_referrer_policy,
    parse_csp,
    parse_hsts,
    parse_permissions_policy,
)
from tests.unit.checks.catalog_builders import (
    PLAIN,
    artifacts,
    exchange,
    failed_exchange,
    run,
    with_page,
)

HSTS = "Strict-Transport-Security"


# --- HSTS --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("headers", "expected", "score"),
    [
        ([(HSTS, "max-age=63072000; includeSubDomains; preload")], "pass", 100),
        ([(HSTS, "max-age=31536000; includeSubDomains")], "pass", 90),
        ([(HSTS, "max-age=15552000")], "pass", 80),
        ([(HSTS, "MAX-AGE=31536000 ; INCLUDESUBDOMAINS")], "pass", 90),
        ([(HSTS, '  max-age="31536000";includeSubDomains ')], "pass", 90),
        ([("strict-transport-security", "max-age=31536000; preload")], "pass", 90),
        ([(HSTS, "max-age=15551999; includeSubDomains; preload")], "warn", 50),
        ([(HSTS, "max-age=86400")], "warn", 40),
        ([(HSTS, "max-age=0")], "fail", 0),
        ([(HSTS, "includeSubDomains")], "fail", 0),
        ([(HSTS, "max-age=abc")], "fail", 0),
        ([(HSTS, "max-age=-1")], "fail", 0),
        ([(HSTS, "max-age=31536000; max-age=1")], "fail", 0),  # repeated directive
        ([(HSTS, "")], "fail", 0),
        ([], "fail", 0),
        # Only the first header counts (RFC 6797 8.1).
        ([(HSTS, "max-age=31536000"), (HSTS, "max-age=0")], "pass", 80),
        ([(HSTS, "max-age=300"), (HSTS, "max-age=31536000")], "warn", 40),
    ],
)
def test_hsts(headers, expected, score):
    result = run("hsts", with_page(headers))
    assert (result.status, result.score) == (expected, score)


def test_hsts_evidence_reports_directives_and_preload_readiness():
    result = run("hsts", with_page({HSTS: "max-age=63072000; includeSubDomains; preload"}))
    assert result.evidence["max_age"] == 63072000
    assert result.evidence["include_subdomains"] is True
    assert result.evidence["preload"] is True
    assert result.evidence["preload_ready"] is True


def test_hsts_ignores_plain_http_page():
    target = artifacts(plain_http=exchange({HSTS: "max-age=31536000"}, url=PLAIN))
    assert run("hsts", target).status == "not_applicable"
    failed = artifacts(scheme_https=failed_exchange(), plain_http=exchange(url=PLAIN))
    # One cause, one finding: https_available says HTTPS failed; HSTS is not applicable.
    result = run("hsts", failed)
    assert result.status == "not_applicable"
    assert result.message == (
        "Not checked: The HTTPS page could not be fetched: "
        "nothing is listening on the port (connection refused)."
    )


def test_parse_hsts_rejects_missing_max_age():
    with pytest.raises(MalformedHeader):
        parse_hsts("preload")


# --- CSP ---------------------------------------------------------------------------------
CSP = "Content-Security-Policy"
CSP_RO = "Content-Security-Policy-Report-Only"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({CSP: "default-src 'self'"}, "pass"),
        ({CSP: "default-src 'none'; script-src 'self' https://cdn.example.com"}, "pass"),
        ({CSP: "script-src 'nonce-r4nd0m' 'strict-dynamic'; object-src 'none'"}, "pass"),
        # unsafe-inline is ignored by browsers when a nonce or hash is present.
        ({CSP: "script-src 'self' 'unsafe-inline' 'nonce-abc'"}, "pass"),
        ({CSP: "script-src 'unsafe-inline' 'sha256-AbC='"}, "pass"),
        # strict-dynamic with a nonce makes host/scheme sources irrelevant.
        ({CSP: "script-src 'nonce-abc' 'strict-dynamic' https: 'unsafe-inline'"}, "pass"),
        ({CSP: "default-src 'self' 'unsafe-inline'"}, "warn"),
        ({CSP: "script-src 'self' 'unsafe-eval'"}, "warn"),
        ({CSP: "default-src *"}, "warn"),
        ({CSP: "default-src 'self'; script-src https:"}, "warn"),
        ({CSP: "script-src http: 'self'"}, "warn"),
        ({CSP: "script-src https://*"}, "warn"),
        ({CSP: "script-src 'self' data:"}, "warn"),
        ({CSP: "img-src 'self'"}, "warn"),  # scripts unrestricted
        ({CSP: "SCRIPT-SRC 'UNSAFE-INLINE'"}, "warn"),  # case-insensitive
        # script-src overrides default-src.
        ({CSP: "default-src *; script-src 'self'"}, "pass"),
        ({CSP: "default-src 'self'; script-src 'self' 'unsafe-inline'"}, "warn"),
        # The first of a repeated directive wins.
        ({CSP: "script-src 'self'; script-src *"}, "pass"),
        ({CSP: "script-src *; script-src 'self'"}, "warn"),
        ({CSP_RO: "default-src 'self'"}, "warn"),
        ({}, "fail"),
        ({CSP: ""}, "fail"),
        ({CSP: " ; ; "}, "fail"),
    ],
)
def test_csp(headers, expected):
    assert run("csp", with_page(headers)).status == expected


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        # Every enforced policy applies, so one strict policy is enough.
        ([(CSP, "default-src *"), (CSP, "script-src 'self'")], "pass"),
        ([(CSP, "default-src * 'unsafe-inline'"), (CSP, "img-src 'self'")], "warn"),
        ([(CSP, "default-src *, script-src 'self'")], "pass"),  # comma-separated policies
        ([(CSP, "default-src 'self'"), (CSP_RO, "default-src 'none'")], "pass"),
    ],
)
def test_csp_with_several_policies(headers, expected):
    assert run("csp", with_page(headers)).status == expected


def test_csp_lists_every_issue_and_lowers_score_per_issue():
    one = run("csp", with_page({CSP: "script-src 'self' 'unsafe-eval'"}))
    three = run("csp", with_page({CSP: "script-src * 'unsafe-inline' 'unsafe-eval'"}))
    assert len(three.evidence["issues"]) == 3
    assert three.score < one.score


def test_csp_is_read_from_a_meta_tag_when_no_header_is_sent():
    body = """<html><head><meta http-equiv="Content-Security-Policy"
        content="default-src 'self'"></head></html>"""
    result = run("csp", with_page(body=body))
    assert result.status == "pass"
    assert result.evidence["source"] == "meta"


def test_parse_csp_skips_invalid_names_and_keeps_first_duplicate():
    assert parse_csp("script-src 'self'; b@d x; script-src *") == [{"script-src": ("'self'",)}]


# --- X-Content-Type-Options --------------------------------------------------------------
XCTO = "X-Content-Type-Options"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ([(XCTO, "nosniff")], "pass"),
        ([(XCTO, "NoSniff")], "pass"),
        ([(XCTO, "  nosniff  ")], "pass"),
        ([("x-content-type-options", "nosniff")], "pass"),
        ([(XCTO, "nosniff, nosniff")], "pass"),
        ([(XCTO, "nosniff"), (XCTO, "nosniff")], "pass"),
        ([(XCTO, "nosniff, sniff")], "pass"),  # Fetch reads the first value only
        ([(XCTO, "sniff, nosniff")], "fail"),
        ([(XCTO, "no-sniff")], "fail"),
        ([(XCTO, "")], "fail"),
        ([(XCTO, "nosniff;")], "fail"),
        ([], "fail"),
    ],
)
def test_x_content_type_options(headers, expected):
    assert run("x_content_type_options", with_page(headers)).status == expected


# --- Frame protection --------------------------------------------------------------------
XFO = "X-Frame-Options"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ([(XFO, "DENY")], "pass"),
        ([(XFO, "sameorigin")], "pass"),
        ([(XFO, " SameOrigin ")], "pass"),
        ([(XFO, "DENY"), (XFO, "DENY")], "pass"),
        ([(XFO, "DENY, SAMEORIGIN")], "warn"),
        ([(XFO, "DENY"), (XFO, "ALLOWALL")], "warn"),
        ([(XFO, "ALLOW-FROM https://partner.example")], "fail"),
        ([(XFO, "ALLOWALL")], "fail"),
        ([(XFO, "nonsense")], "fail"),
        ([(XFO, "")], "fail"),
        ([], "fail"),
        ([(CSP, "frame-ancestors 'none'")], "pass"),
        ([(CSP, "frame-ancestors 'self' https://partner.example")], "pass"),
        ([(CSP, "frame-ancestors *")], "fail"),
        ([(CSP, "frame-ancestors https:"), (XFO, "DENY")], "fail"),  # CSP overrides XFO
        ([(CSP, "default-src 'self'"), (XFO, "DENY")], "pass"),
        ([(CSP_RO, "frame-ancestors 'none'")], "fail"),  # report-only protects nothing
        ([(CSP, "frame-ancestors *"), (CSP, "frame-ancestors 'self'")], "pass"),
    ],
)
def test_frame_protection(headers, expected):
    assert run("frame_protection", with_page(headers)).status == expected


def test_frame_ancestors_in_meta_tag_is_ignored():
    body = """<meta http-equiv="Content-Security-Policy" content="frame-ancestors 'none'">"""
    assert run("frame_protection", with_page(body=body)).status == "fail"


# --- Referrer-Policy ---------------------------------------------------------------------
RP = "Referrer-Policy"


@pytest.mark.parametrize(
    ("headers", "expected", "score"),
    [
        ({RP: "no-referrer"}, "pass", 100),
        ({RP: "same-origin"}, "pass", 100),
        ({RP: "strict-origin"}, "pass", 100),
        ({RP: "strict-origin-when-cross-origin"}, "pass", 100),
        ({RP: "  STRICT-ORIGIN-WHEN-CROSS-ORIGIN "}, "pass", 100),
        ({RP: "origin"}, "warn", 70),
        ({RP: "origin-when-cross-origin"}, "warn", 70),
        ({RP: "no-referrer-when-downgrade"}, "warn", 50),
        ({RP: "unsafe-url"}, "warn", 30),
        ({RP: "no-referrer, unsafe-url"}, "warn", 30),  # the last valid token wins
        ({RP: "unsafe-url, strict-origin-when-cross-origin"}, "pass", 100),
        ({RP: "no-referrer, made-up-policy"}, "pass", 100),  # unknown tokens are skipped
        ({RP: "nonsense"}, "warn", 40),
        ({RP: ""}, "warn", 60),
        ({}, "warn", 60),
    ],
)
def test_referrer_policy(headers, expected, score):
    result = run("referrer_policy", with_page(headers))
    assert (result.status, result.score) == (expected, score)


def test_referrer_policy_from_duplicate_headers_uses_last_token():
    result = run("referrer_policy", with_page([(RP, "no-referrer"), (RP, "unsafe-url")]))
    assert result.evidence["policy"] == "unsafe-url"


def test_referrer_policy_is_read_from_meta_tag():
    body = '<meta name="referrer" content="no-referrer">'
    assert run("referrer_policy", with_page(body=body)).status == "pass"


def test_effective_referrer_policy_of_garbage_is_none():
    assert effective_referrer_policy(",,,") is None


# --- Permissions-Policy ------------------------------------------------------------------
PP = "Permissions-Policy"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({PP: "geolocation=(), camera=(), microphone=()"}, "pass"),
        ({PP: 'geolocation=(self "https://maps.example.com"), camera=()'}, "pass"),
        ({PP: "fullscreen=*"}, "pass"),
        ({PP: "interest-cohort=()"}, "pass"),
        ({PP: "camera=();report-to=main"}, "pass"),  # parameters are allowed
        ({PP: "  payment=( self ) "}, "pass"),
        ({PP: "geolocation 'none'; camera 'none'"}, "warn"),  # Feature-Policy syntax
        ({PP: "geolocation=(), "}, "warn"),  # empty member
        ({PP: "Camera=()"}, "warn"),  # keys are lower-case
        ({PP: "camera=('self')"}, "warn"),
        ({"Feature-Policy": "camera 'none'"}, "warn"),
        ({}, "warn"),
        ({PP: ""}, "warn"),
    ],
)
def test_permissions_policy(headers, expected):
    assert run("permissions_policy", with_page(headers)).status == expected


def test_permissions_policy_lists_disabled_features():
    result = run("permissions_policy", with_page({PP: "camera=(), geolocation=(self)"}))
    assert result.evidence["disabled"] == ["camera"]


def test_permissions_policy_headers_are_combined():
    features = parse_permissions_policy("camera=(), geolocation=(self)")
    assert features == {"camera": "()", "geolocation": "(self)"}


# --- Shared behaviour ----------------------------------------------------------------------
HEADER_CHECKS = (
    "csp",
    "x_content_type_options",
    "frame_protection",
    "referrer_policy",
    "permissions_policy",
)


@pytest.mark.parametrize("check_id", HEADER_CHECKS)
def test_header_checks_fall_back_to_plain_http_page(check_id):
    target = artifacts(
        scheme_https=failed_exchange(), plain_http=exchange({XCTO: "nosniff"}, url=PLAIN)
    )
    result = run(check_id, target)
    assert result.evidence["url"] == PLAIN


@pytest.mark.parametrize("check_id", HEADER_CHECKS)
def test_header_checks_read_the_page_plain_http_redirects_to(check_id):
    login = f"{PLAIN}accounts/login/"
    target = artifacts(
        scheme_https=failed_exchange(),
        plain_http=exchange({"Location": "/accounts/login/"}, url=PLAIN, status=302),
        plain_landing=exchange({XCTO: "nosniff"}, url=login),
    )
    result = run(check_id, target)
    assert result.status != "error"
    assert result.evidence["url"] == login


@pytest.mark.parametrize("check_id", HEADER_CHECKS)
def test_header_checks_are_not_applicable_when_the_site_did_not_answer(check_id):
    target = artifacts(scheme_https=failed_exchange("timed out"))
    result = run(check_id, target)
    assert result.status == "not_applicable"
    assert result.message == "Not checked: example.com did not answer: it did not answer in time."


@pytest.mark.parametrize("check_id", HEADER_CHECKS)
def test_header_checks_error_when_the_landing_page_could_not_be_read(check_id):
    # Plain HTTP answered with a redirect, but the page it leads to could not be fetched.
    target = artifacts(
        scheme_https=failed_exchange("timed out"),
        plain_http=exchange({"Location": "https://www.example.com/"}, url=PLAIN, status=301),
    )
    assert run(check_id, target).status == "error"
