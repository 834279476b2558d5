"""One cause, one finding: what a failed gatherer means, said once and in plain words.

When the site does not answer, or its HTTPS port does not speak TLS, every check that reads
the missing artifact would otherwise report its own "error" repeating the same OpenSSL line.
Instead, ``failure_causes`` names each cause once; one check carries it as its finding
(``https_available``), and every check that *needs* the missing artifact is "not applicable"
with that cause (see ``Check.needs`` in ``checks.engine.catalog.base``).

The causes a check may need:

- ``site``: nothing answered (DNS failure, refused, timed out on both HTTPS and plain HTTP);
- ``tls``: no TLS handshake succeeded, so the certificate and protocol facts are unknown;
- ``https``: the HTTPS page itself could not be fetched (its headers are unknown).

A broader cause stands in for the narrower ones: when the site is down, ``tls`` and
``https`` carry the ``site`` cause, so a person reads the same sentence everywhere.

Pure: no network, no Django.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from checks.engine.artifacts import HttpExchange, TargetArtifacts, TlsFacts

SITE, TLS, HTTPS = "site", "tls", "https"
CAUSE_KEYS = (SITE, TLS, HTTPS)

# (marker in a technical error, the same in plain words); the first match wins.
PLAIN_FAILURES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("could not be resolved", "no ipv4 or ipv6 address"), "the name does not resolve in DNS"),
    (("resolves to a forbidden address",), "the name resolves to an address we may not probe"),
    (
        ("wrong_version_number", "wrong version number", "does not speak tls"),
        "the HTTPS port does not speak TLS (it probably serves plain HTTP)",
    ),
    (
        ("unsupported_protocol", "protocol_version", "no tls version both sides accept"),
        "the server offers no TLS version we both accept",
    ),
    (("certificate verify failed",), "its certificate is not trusted"),
    (("connection refused",), "nothing is listening on the port (connection refused)"),
    (("reset",), "the server dropped the connection"),
    (("timed out", "deadline", "time budget"), "it did not answer in time"),
    # Last of the TLS ones: every TLS gatherer error starts "TLS handshake with ... failed".
    (
        ("handshake_failure", "handshake failure", "handshake was refused", "alert"),
        "the TLS handshake was refused",
    ),
    (("is not allowed", "not a valid", "malformed"), "the address cannot be probed"),
)
UNKNOWN_FAILURE = "the connection failed"


def plain_failure(error: str | None) -> str:
    """A gatherer's technical error (OpenSSL, socket, guard) in a few plain words."""
    text = (error or "").lower()
    for markers, words in PLAIN_FAILURES:
        if any(marker in text for marker in markers):
            return words
    return UNKNOWN_FAILURE


@dataclass(frozen=True)
class Cause:
    """Why a group of checks could not judge: ``summary`` for people, ``detail`` for the raw
    block (the technical errors, never repeated in messages)."""

    key: str
    summary: str
    detail: tuple[str, ...] = ()


def _failed(exchange: HttpExchange | None) -> bool:
    return exchange is not None and not exchange.ok


def _tls_failed(tls: TlsFacts | None) -> bool:
    if tls is None or not tls.error:
        return False
    return not tls.protocols_accepted and tls.negotiated_protocol is None and not tls.cert_subject


def _host(artifacts: TargetArtifacts) -> str:
    return urlsplit(artifacts.target_url).hostname or artifacts.target_url


def _site_cause(artifacts: TargetArtifacts) -> Cause | None:
    dns = artifacts.dns
    if dns is not None and dns.error:
        words = plain_failure(dns.error)
        return Cause(SITE, f"{_host(artifacts)} could not be reached: {words}.", (dns.error,))
    probed = [e for e in (artifacts.scheme_https, artifacts.plain_http) if e is not None]
    if not probed or not all(_failed(e) for e in probed):
        return None
    errors = tuple(dict.fromkeys(e.error or "" for e in probed))
    words = sorted({plain_failure(e) for e in errors})
    if len(words) == 1:
        reason = words[0]
    else:
        reason = "; ".join(
            f"over {'HTTPS' if e is artifacts.scheme_https else 'plain HTTP'}, "
            f"{plain_failure(e.error)}"
            for e in probed
        )
    return Cause(SITE, f"{_host(artifacts)} did not answer: {reason}.", errors)


def failure_causes(artifacts: TargetArtifacts) -> dict[str, Cause]:
    """Each failed artifact the checks may need -> its cause, in plain words."""
    site = _site_cause(artifacts)
    if site is not None:
        return {SITE: site, TLS: site, HTTPS: site}
    causes: dict[str, Cause] = {}
    tls = artifacts.tls
    if _tls_failed(tls):
        words = plain_failure(tls.error)
        causes[TLS] = Cause(TLS, f"HTTPS is not served: {words}.", (tls.error or "",))
    page = artifacts.scheme_https
    if _failed(page):
        if TLS in causes:
            causes[HTTPS] = causes[TLS]
        else:
            words = plain_failure(page.error)
            causes[HTTPS] = Cause(
                HTTPS, f"The HTTPS page could not be fetched: {words}.", (page.error or "",)
            )
    return causes


def unmet_need(needs: tuple[str, ...], causes: dict[str, Cause]) -> Cause | None:
    """The cause that stops a check needing ``needs``, broadest first; None when it may run."""
    for key in CAUSE_KEYS:
        if key in needs and key in causes:
            return causes[key]
    return None
