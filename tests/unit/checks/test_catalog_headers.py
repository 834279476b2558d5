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


STRICT = "script-src 'nonce-r4nd0m' 'strict-dynamic'; object-src 'none'; base-uri 'none'"


# Each row names the section of CSP Level 3 (https://www.w3.org/TR/CSP3/) it follows.
@pytest.mark.parametrize(
    ("headers", "expected", "spec"),
    [
        ({CSP: "default-src 'self'"}, "pass", "6.1 fetch directives fall back to default-src"),
        ({CSP: "default-src 'none'; script-src 'self' https://cdn.example.com"}, "pass", "6.1"),
        ({CSP: STRICT}, "pass", "8.2 strict-dynamic with a nonce"),
        # A nonce with no base-uri: an injected <base> re-points the nonced script.
        (
            {CSP: "script-src 'nonce-r4nd0m' 'strict-dynamic'; object-src 'none'"},
            "warn",
            "6.3.1 base-uri has no fallback",
        ),
        ({CSP: "script-src 'self'; object-src 'none'"}, "pass", "6.1.3 object-src"),
        ({CSP: "script-src 'self'"}, "warn", "6.1.3 object-src falls back to default-src only"),
        ({CSP: "default-src 'self'; object-src *"}, "warn", "6.1.3 object-src"),
        ({CSP: "default-src 'self'; base-uri *"}, "pass", "6.3.1 (host allowlist blocks)"),
        # unsafe-inline is ignored by browsers when a nonce or hash is present.
        (
            {
                CSP: "script-src 'self' 'unsafe-inline' 'nonce-abc'; object-src 'none'; "
                "base-uri 'self'"
            },
            "pass",
            "8.3 allow all inline behavior is ignored with a nonce",
        ),
        (
            {CSP: "default-src 'none'; script-src 'unsafe-inline' 'sha256-AbC='; base-uri 'none'"},
            "pass",
            "8.3",
        ),
        # strict-dynamic with a nonce makes host/scheme sources irrelevant.
        (
            {CSP: f"{STRICT}; script-src 'nonce-abc' 'strict-dynamic' https: 'unsafe-inline'"},
            "pass",
            "8.2",
        ),
        ({CSP: "default-src 'self' 'unsafe-inline'"}, "warn", "8.3"),
        ({CSP: "default-src 'self'; script-src 'self' 'unsafe-eval'"}, "warn", "8.4 unsafe-eval"),
        ({CSP: "default-src *"}, "warn", "2.3.1 source lists: * matches any host"),
        ({CSP: "default-src 'self'; script-src https:"}, "warn", "2.3.1 scheme-source"),
        ({CSP: "default-src 'self'; script-src http: 'self'"}, "warn", "2.3.1"),
        ({CSP: "default-src 'self'; script-src https://*"}, "warn", "2.3.1"),
        ({CSP: "default-src 'self'; script-src 'self' data:"}, "warn", "2.3.1"),
        ({CSP: "img-src 'self'"}, "warn", "6.1 no script-src or default-src"),
        ({CSP: "DEFAULT-SRC 'SELF' 'UNSAFE-INLINE'"}, "warn", "2.2.1 names are case-insensitive"),
        ({CSP: "default-src *; script-src 'self'; object-src 'none'"}, "pass", "6.1.1"),
        ({CSP: "default-src 'self'; script-src 'self' 'unsafe-inline'"}, "warn", "8.3"),
        # The first of a repeated directive wins.
        ({CSP: "default-src 'self'; script-src 'self'; script-src *"}, "pass", "2.2.1 step 4"),
        ({CSP: "default-src 'self'; script-src *; script-src 'self'"}, "warn", "2.2.1 step 4"),
        # Report-Only blocks nothing: a fail, not a half-credit (Observatory departs here).
        ({CSP_RO: "default-src 'self'"}, "fail", "3.2 report-only is never enforced"),
        # Unrecognised directives are skipped, so this policy enforces nothing.
        ({CSP: "script 'self'; defualt-src 'self'"}, "fail", "2.2.1 unknown names ignored"),
        ({CSP: "report-uri /csp-reports"}, "fail", "6.5 reporting directives only report"),
        ({}, "fail", "no policy"),
        ({CSP: ""}, "fail", "2.2.1 empty policy"),
        ({CSP: " ; ; "}, "fail", "2.2.1 empty policy"),
    ],
)
def test_csp(headers, expected, spec):
    assert run("csp", with_page(headers)).status == expected, spec


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        # Every enforced policy applies (CSP3 4.2.1), so one strict policy is enough...
        ([(CSP, "default-src *"), (CSP, "default-src 'self'")], "pass"),
        ([(CSP, "default-src * 'unsafe-inline'"), (CSP, "img-src 'self'")], "warn"),
        ([(CSP, "default-src *, default-src 'self'")], "pass"),  # comma-separated policies
        ([(CSP, "default-src 'self'"), (CSP_RO, "default-src 'none'")], "pass"),
        # ...and a gap counts only when no policy closes it.
        ([(CSP, "default-src 'self'"), (CSP, "script-src 'self'")], "pass"),
        ([(CSP, "script-src 'self'"), (CSP, "img-src 'self'")], "warn"),  # objects open
    ],
)
def test_csp_with_several_policies(headers, expected):
    assert run("csp", with_page(headers)).status == expected


def test_csp_lists_every_issue_and_lowers_score_per_issue():
    one = run("csp", with_page({CSP: "default-src 'self'; script-src 'self' 'unsafe-eval'"}))
    three = run(
        "csp", with_page({CSP: "default-src 'self'; script-src * 'unsafe-inline' 'unsafe-eval'"})
    )
    assert len(three.evidence["issues"]) == 3
    assert three.score < one.score


def test_report_only_csp_fails_and_says_it_blocks_nothing():
    result = run("csp", with_page({CSP_RO: STRICT}))
    assert result.status == "fail"
    assert "blocks nothing" in result.message


def test_a_policy_of_unknown_words_names_them():
    result = run("csp", with_page({CSP: "scripts 'self'; frames 'none'"}))
    assert result.status == "fail"
    assert result.message == (
        "The Content-Security-Policy enforces nothing: browsers ignore its directives "
        "(frames, scripts)."
    )


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


# --- Cross-Origin-Opener-Policy (HTML 7.1.3) ------------------------------------------------
COOP = "Cross-Origin-Opener-Policy"


@pytest.mark.parametrize(
    ("headers", "expected", "score", "spec"),
    [
        ({COOP: "same-origin"}, "pass", 100, "7.1.3.1 same-origin"),
        ({COOP: 'same-origin; report-to="coop"'}, "pass", 100, "RFC 8941 parameters dropped"),
        ({COOP: "noopener-allow-popups"}, "pass", 100, "7.1.3.1"),
        ({COOP: "same-origin-allow-popups"}, "pass", 90, "7.1.3.1 popups keep an opener"),
        ({COOP: "unsafe-none"}, "warn", 50, "7.1.3.1 the default"),
        ({COOP: "Same-Origin"}, "warn", 50, "tokens are case-sensitive: ignored"),
        ({COOP: "same-origin, same-origin"}, "warn", 50, "not one token: ignored"),
        ({}, "warn", 60, "missing means unsafe-none"),
    ],
)
def test_cross_origin_opener_policy(headers, expected, score, spec):
    result = run("cross_origin_opener_policy", with_page(headers))
    assert (result.status, result.score) == (expected, score), spec


# --- Cross-Origin-Resource-Policy (Fetch 3.7) -----------------------------------------------
CORP = "Cross-Origin-Resource-Policy"


@pytest.mark.parametrize(
    ("headers", "expected", "score", "spec"),
    [
        ({CORP: "same-origin"}, "pass", 100, "3.7"),
        ({CORP: " same-site "}, "pass", 100, "3.7, value trimmed (2.2.2)"),
        ({CORP: "cross-origin"}, "pass", 80, "3.7 explicit opt-out"),
        ({CORP: "Same-Origin"}, "warn", 50, "3.7 byte-for-byte: ignored"),
        ({CORP: "same-origin, same-site"}, "warn", 50, "3.7: a list is ignored"),
        ({}, "warn", 60, "missing: any site may embed"),
    ],
)
def test_cross_origin_resource_policy(headers, expected, score, spec):
    result = run("cross_origin_resource_policy", with_page(headers))
    assert (result.status, result.score) == (expected, score), spec


# --- Subresource Integrity (W3C SRI) --------------------------------------------------------
SRI = "sha384-oqVuAfXRKap7fdgcCY5uykM6+R9GqQ8K/uxy9rx7HNQlGYl1kPzQho1wx4JwY8wC"


@pytest.mark.parametrize(
    ("body", "expected", "spec"),
    [
        ('<script src="/app.js"></script>', "pass", "same origin: not in scope"),
        ('<script src="https://example.com/app.js"></script>', "pass", "same origin"),
        ("<script>inline()</script>", "pass", "no src"),
        (
            f'<script src="https://cdn.example.net/x.js" integrity="{SRI}" '
            'crossorigin="anonymous"></script>',
            "pass",
            "3.3.5 a valid hash",
        ),
        (
            '<script src="https://cdn.example.net/x.js"></script>',
            "warn",
            "3.3.5 no metadata: not checked",
        ),
        (
            '<script src="https://static.example.com/x.js"></script>',
            "warn",
            "another subdomain is another origin",
        ),
        (
            '<script src="https://cdn.example.net/x.js" integrity="md5-abc" '
            'crossorigin="anonymous"></script>',
            "warn",
            "3.3.2 unknown algorithms are skipped",
        ),
        (
            f'<script src="https://cdn.example.net/x.js" integrity="{SRI}"></script>',
            "warn",
            "3.3.3 opaque response fails the check",
        ),
        ('<script src="http://cdn.example.net/x.js"></script>', "fail", "plain http, no hash"),
        ('<script src="//cdn.example.net/x.js"></script>', "warn", "scheme-relative: https"),
    ],
)
def test_subresource_integrity(body, expected, spec):
    assert run("subresource_integrity", with_page(body=body)).status == expected, spec


def test_subresource_integrity_lists_the_scripts_it_judged():
    body = '<script src="https://cdn.example.net/x.js"></script><script src="/own.js"></script>'
    result = run("subresource_integrity", with_page(body=body))
    assert result.evidence["scripts"] == [
        {
            "url": "https://cdn.example.net/x.js",
            "integrity": False,
            "crossorigin": False,
            "over_https": True,
        }
    ]
