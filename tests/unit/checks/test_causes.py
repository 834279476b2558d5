"""One cause, one finding (``checks.engine.causes``): failed gatherers said once, in words."""

import pytest

from checks.engine.artifacts import DnsFacts, TlsFacts
from checks.engine.catalog import CHECKS, evaluate
from checks.engine.causes import (
    HTTPS,
    SITE,
    TLS,
    UNKNOWN_FAILURE,
    failure_causes,
    plain_failure,
)
from tests.unit.checks.catalog_builders import PLAIN, artifacts, exchange, failed_exchange


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (
            "example.com could not be resolved: [Errno -2] Name or service not known",
            "the name does not resolve in DNS",
        ),
        (
            "TLS handshake with a:443 failed: [SSL: WRONG_VERSION_NUMBER] wrong version number "
            "(_ssl.c:1006)",
            "the HTTPS port does not speak TLS (it probably serves plain HTTP)",
        ),
        (
            "TLS with https://a/ failed: the port does not speak TLS (it may serve plain HTTP)",
            "the HTTPS port does not speak TLS (it probably serves plain HTTP)",
        ),
        (
            "could not read http://a/: connection refused",
            "nothing is listening on the port (connection refused)",
        ),
        ("https://a/ timed out", "it did not answer in time"),
        ("https://a/ did not answer within the 10 s deadline", "it did not answer in time"),
        (
            "TLS with https://a/ failed: certificate verify failed: self-signed certificate",
            "its certificate is not trusted",
        ),
        (
            "could not read https://a/: the connection was reset",
            "the server dropped the connection",
        ),
        (
            "TLS handshake with a:443 failed: connection refused",
            "nothing is listening on the port (connection refused)",
        ),
        ("TLS handshake with a:443 failed: timed out", "it did not answer in time"),
        (
            "TLS handshake with a:443 failed: [SSL: SSLV3_ALERT_HANDSHAKE_FAILURE] sslv3 alert "
            "handshake failure (_ssl.c:1006)",
            "the TLS handshake was refused",
        ),
        ("TLS handshake with a:443 failed: EOF occurred in violation of protocol", UNKNOWN_FAILURE),
        ("something nobody foresaw", UNKNOWN_FAILURE),
        (None, UNKNOWN_FAILURE),
    ],
)
def test_technical_errors_become_plain_words(error, words):
    assert plain_failure(error) == words


def test_a_healthy_target_has_no_causes():
    assert failure_causes(artifacts(scheme_https=exchange(), plain_http=exchange(url=PLAIN))) == {}


def test_a_name_that_does_not_resolve_is_one_cause_for_everything():
    error = "nowhere.example could not be resolved: [Errno -2] Name or service not known"
    target = artifacts(
        scheme_https=failed_exchange(error),
        plain_http=failed_exchange(error, url=PLAIN),
        dns=DnsFacts(host="nowhere.example", error=error),
        tls=TlsFacts(host="nowhere.example", error=error),
    )
    causes = failure_causes(target)
    assert set(causes) == {SITE, TLS, HTTPS}
    assert (
        causes[SITE].summary
        == "example.com could not be reached: the name does not resolve in DNS."
    )
    results = evaluate(target)
    carriers = [r for r in results if r.status == "fail"]
    assert [r.check_id for r in carriers] == ["https_available"]
    assert carriers[0].message == causes[SITE].summary
    others = [r for r in results if r.check_id != "https_available"]
    assert {r.status for r in others} == {"not_applicable"}
    # Checks needing nothing but the artifacts they read say so in their own words.
    assert all(
        r.message == f"Not checked: {causes[SITE].summary}"
        for r in others
        if CHECKS[r.check_id].needs
    )


def test_both_schemes_failing_differently_are_named_each():
    target = artifacts(
        scheme_https=failed_exchange("https://example.com/ timed out"),
        plain_http=failed_exchange(
            "could not read http://example.com/: connection refused", url=PLAIN
        ),
    )
    assert failure_causes(target)[SITE].summary == (
        "example.com did not answer: over HTTPS, it did not answer in time; over plain HTTP, "
        "nothing is listening on the port (connection refused)."
    )


def test_an_untrusted_certificate_keeps_the_certificate_checks_running():
    # The handshake worked (facts were read), only the HTTPS fetch was refused.
    target = artifacts(
        scheme_https=failed_exchange(
            "TLS with https://example.com/ failed: certificate verify failed"
        ),
        plain_http=exchange(url=PLAIN),
        tls=TlsFacts(
            host="example.com",
            negotiated_protocol="TLSv1.3",
            protocols_accepted=("TLSv1.3",),
            cert_subject="CN=example.com",
            chain_verified=False,
            verify_error="self-signed certificate",
            cert_days_left=80,
        ),
    )
    causes = failure_causes(target)
    assert set(causes) == {HTTPS}
    assert CHECKS["certificate_valid"].evaluate(target).status == "fail"
    assert CHECKS["hsts"].evaluate(target).status == "not_applicable"


def test_every_check_declares_only_known_needs():
    assert {need for check in CHECKS.values() for need in check.needs} <= {SITE, TLS, HTTPS}
    assert CHECKS["https_available"].needs == ()
