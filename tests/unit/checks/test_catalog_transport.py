import pytest

from checks.engine.artifacts import TlsFacts
from checks.engine.catalog.transport import hostname_matches
from tests.unit.checks.catalog_builders import (
    BASE,
    PLAIN,
    artifacts,
    exchange,
    failed_exchange,
    hop,
    run,
    tls,
)


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        (exchange(status=200), "pass"),
        (exchange(status=503), "pass"),  # HTTPS is served even if the app is down
        (exchange(status=404), "pass"),
        (failed_exchange("TLS handshake failed"), "fail"),
        (failed_exchange("connection refused"), "fail"),
        (
            exchange(status=200, redirect_chain=(hop(BASE, 301, "http://example.com/"),)),
            "fail",
        ),
        (
            exchange(status=200, redirect_chain=(hop(BASE, 301, "https://www.example.com/"),)),
            "pass",
        ),
        (exchange(status=302, headers={"Location": "http://example.com/login"}), "fail"),
        (exchange(status=302, headers={"Location": "/login"}), "pass"),  # relative stays https
    ],
)
def test_https_available(page, expected):
    assert run("https_available", artifacts(scheme_https=page)).status == expected


def test_https_available_is_not_applicable_when_not_probed():
    assert run("https_available", artifacts()).status == "not_applicable"


def plain(status=200, headers=None, chain=()):
    return exchange(headers, url=PLAIN, status=status, redirect_chain=chain)


@pytest.mark.parametrize(
    ("plain_http", "expected", "score"),
    [
        (plain(301, {"Location": BASE}), "pass", 100),
        (plain(308, {"location": BASE}), "pass", 100),
        (plain(302, {"Location": BASE}), "warn", 70),
        (plain(307, {"Location": BASE}), "warn", 70),
        (plain(200), "fail", 0),
        (plain(200, chain=(hop(PLAIN, 301, BASE),)), "pass", 100),  # followed chain
        (plain(200, chain=(hop(PLAIN, 302, BASE),)), "warn", 70),
        # First hop stays on http, second reaches https.
        (
            plain(
                200,
                chain=(
                    hop(PLAIN, 301, "http://www.example.com/"),
                    hop("http://www.example.com/", 301, "https://www.example.com/"),
                ),
            ),
            "warn",
            60,
        ),
        (plain(301, {"Location": "http://www.example.com/"}), "fail", 0),
        (plain(301), "fail", 0),  # redirect without Location goes nowhere
        (failed_exchange("connection refused", url=PLAIN), "warn", 70),
    ],
)
def test_http_redirects_to_https(plain_http, expected, score):
    target = artifacts(plain_http=plain_http, scheme_https=exchange())
    result = run("http_redirects_to_https", target)
    assert (result.status, result.score) == (expected, score)


@pytest.mark.parametrize(
    ("chain", "expected"),
    [
        ((), "pass"),
        ((hop(PLAIN, 301, BASE),), "pass"),
        ((hop(PLAIN, 301, BASE), hop(BASE, 301, "https://www.example.com/")), "pass"),
        (
            (
                hop(PLAIN, 301, BASE),
                hop(BASE, 301, "https://www.example.com/"),
                hop("https://www.example.com/", 302, "/en/"),
            ),
            "warn",
        ),
        (tuple(hop(f"{BASE}{i}", 302, f"{BASE}{i + 1}") for i in range(5)), "fail"),
        ((hop(PLAIN, 301, "http://www.example.com/"),), "fail"),
    ],
)
def test_redirect_chain_length_and_destination(chain, expected):
    target = artifacts(plain_http=exchange(url=PLAIN, status=200, redirect_chain=chain))
    assert run("redirect_chain", target).status == expected


def test_redirect_chain_fails_when_https_downgrades():
    https = exchange(status=200, redirect_chain=(hop(BASE, 301, "http://example.com/x"),))
    assert run("redirect_chain", artifacts(scheme_https=https)).status == "fail"


@pytest.mark.parametrize(
    ("accepted", "refused", "expected", "score"),
    [
        (("TLSv1.2", "TLSv1.3"), ("TLSv1", "TLSv1.1"), "pass", 100),
        (("TLSv1.2",), ("TLSv1", "TLSv1.1"), "pass", 90),
        (("TLSv1.3",), ("TLSv1", "TLSv1.1", "TLSv1.2"), "pass", 100),
        (("TLSv1.2", "TLSv1.3"), (), "pass", 90),  # legacy not tested
        (("TLSv1", "TLSv1.2", "TLSv1.3"), ("TLSv1.1",), "fail", 0),
        (("TLSv1.1", "TLSv1.2"), ("TLSv1",), "fail", 0),
        (("SSLv3", "TLSv1.2"), (), "fail", 0),
        (("tlsv1.0", "TLSv1.2"), (), "fail", 0),  # odd spelling still recognised
        (("TLS 1.1", "TLSv1.2"), (), "fail", 0),
    ],
)
def test_tls_protocols(accepted, refused, expected, score):
    facts = tls(
        protocols_accepted=accepted, protocols_refused=refused, negotiated_protocol=accepted[-1]
    )
    result = run("tls_protocols", artifacts(tls=facts))
    assert (result.status, result.score) == (expected, score)


def test_tls_protocols_reports_failed_handshake_as_error():
    facts = tls(protocols_accepted=(), negotiated_protocol=None, error="handshake failure")
    assert run("tls_protocols", artifacts(tls=facts)).status == "error"


@pytest.mark.parametrize(
    ("cipher", "protocol", "forward_secret", "expected"),
    [
        ("TLS_AES_256_GCM_SHA384", "TLSv1.3", True, "pass"),
        ("TLS_CHACHA20_POLY1305_SHA256", "TLSv1.3", None, "pass"),
        ("ECDHE-RSA-AES128-GCM-SHA256", "TLSv1.2", None, "pass"),
        ("ECDHE-ECDSA-CHACHA20-POLY1305", "TLSv1.2", True, "pass"),
        ("ECDHE-RSA-AES128-SHA", "TLSv1.2", None, "warn"),  # FS but CBC
        ("AES128-GCM-SHA256", "TLSv1.2", None, "warn"),  # AEAD but static RSA
        ("AES256-SHA", "TLSv1.2", None, "fail"),  # CBC and no FS
        ("AES256-SHA256", "TLSv1.2", False, "fail"),
        ("ECDHE-RSA-RC4-SHA", "TLSv1.2", True, "fail"),
        ("DES-CBC3-SHA", "TLSv1.2", False, "fail"),
        ("EXP-RC4-MD5", "TLSv1", False, "fail"),
        ("NULL-SHA256", "TLSv1.2", False, "fail"),
    ],
)
def test_tls_forward_secrecy(cipher, protocol, forward_secret, expected):
    facts = tls(
        negotiated_cipher=cipher, negotiated_protocol=protocol, forward_secret=forward_secret
    )
    assert run("tls_forward_secrecy", artifacts(tls=facts)).status == expected


def test_tls_forward_secrecy_fails_when_a_weak_suite_is_also_accepted():
    facts = tls(ciphers_accepted=("TLS_AES_128_GCM_SHA256", "DES-CBC3-SHA"))
    result = run("tls_forward_secrecy", artifacts(tls=facts))
    assert result.status == "fail"
    assert "3DES" in result.message


def test_tls_forward_secrecy_fails_on_short_keys():
    facts = tls(negotiated_cipher="ECDHE-RSA-AES128-GCM-SHA256", cipher_bits=56)
    assert run("tls_forward_secrecy", artifacts(tls=facts)).status == "fail"


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, "pass"),
        ({"chain_verified": False, "verify_error": "self-signed certificate"}, "fail"),
        ({"chain_verified": False, "verify_error": "certificate has expired"}, "fail"),
        ({"cert_days_left": -3}, "fail"),
        ({"chain_verified": None}, "error"),
    ],
)
def test_certificate_valid(fields, expected):
    assert run("certificate_valid", artifacts(tls=tls(**fields))).status == expected


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (365, "pass"),
        (30, "pass"),
        (29, "warn"),
        (14, "warn"),
        (13, "fail"),
        (0, "fail"),
        (-1, "fail"),
        (None, "error"),
    ],
)
def test_certificate_expiry_thresholds(days, expected):
    result = run("certificate_expiry", artifacts(tls=tls(cert_days_left=days)))
    assert result.status == expected
    assert result.evidence.get("days_left") == days


@pytest.mark.parametrize(
    ("host", "names", "expected"),
    [
        ("example.com", ("example.com",), True),
        ("EXAMPLE.com.", ("example.com",), True),
        ("www.example.com", ("*.example.com",), True),
        ("example.com", ("*.example.com",), False),
        ("a.b.example.com", ("*.example.com",), False),
        ("example.com", ("*.com",), False),
        ("evil.com", ("example.com", "www.example.com"), False),
    ],
)
def test_hostname_matching_follows_rfc_6125(host, names, expected):
    assert hostname_matches(host, names) is expected


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"hostname_matches": True}, "pass"),
        ({"hostname_matches": False}, "fail"),
        ({"hostname_matches": None, "cert_sans": ("*.example.com", "example.com")}, "pass"),
        ({"hostname_matches": None, "cert_sans": ("other.org",)}, "fail"),
        ({"hostname_matches": None, "cert_sans": ()}, "error"),
    ],
)
def test_certificate_hostname(fields, expected):
    assert run("certificate_hostname", artifacts(tls=tls(**fields))).status == expected


@pytest.mark.parametrize(
    ("verified", "error", "expected"),
    [
        (True, None, "pass"),
        (False, "unable to get local issuer certificate", "fail"),
        (False, "[SSL: CERTIFICATE_VERIFY_FAILED] unable to verify the first certificate", "fail"),
        (False, "self-signed certificate in certificate chain", "fail"),
        (False, "certificate has expired", "warn"),
        (None, None, "error"),
    ],
)
def test_certificate_chain(verified, error, expected):
    facts = tls(chain_verified=verified, verify_error=error)
    assert run("certificate_chain", artifacts(tls=facts)).status == expected


def test_certificate_checks_report_an_unread_certificate_as_error_in_plain_words():
    facts = tls(
        cert_subject=None, chain_verified=None, cert_days_left=None, error="connection reset"
    )
    for check_id in ("certificate_valid", "certificate_expiry", "certificate_chain"):
        result = run(check_id, artifacts(tls=facts))
        assert result.status == "error"
        assert "the server dropped the connection" in result.message


TLS_DEPENDENT = (
    "tls_protocols",
    "tls_forward_secrecy",
    "certificate_valid",
    "certificate_expiry",
    "certificate_hostname",
    "certificate_chain",
    "http2",
    "hsts",
)


def test_certificate_checks_are_not_applicable_with_the_cause_when_no_handshake_succeeded():
    facts = TlsFacts(
        host="example.com",
        error="TLS handshake with example.com:443 failed: [SSL: WRONG_VERSION_NUMBER] "
        "wrong version number (_ssl.c:1006)",
    )
    for check_id in ("certificate_valid", "certificate_expiry", "certificate_chain"):
        result = run(check_id, artifacts(tls=facts))
        assert result.status == "not_applicable"
        assert result.message == (
            "Not checked: HTTPS is not served: the HTTPS port does not speak TLS "
            "(it probably serves plain HTTP)."
        )
