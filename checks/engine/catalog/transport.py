"""HTTPS, redirects, TLS versions and cipher suites, and the certificate."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from checks.engine.artifacts import RedirectHop, TargetArtifacts, TlsFacts
from checks.engine.causes import SITE, TLS, failure_causes, plain_failure

from .base import (
    Outcome,
    check,
    errored,
    failed,
    not_applicable,
    passed,
    warned,
)

PERMANENT_REDIRECTS = frozenset({301, 308})
TEMPORARY_REDIRECTS = frozenset({302, 303, 307})
MAX_REDIRECT_HOPS = 2  # http://a -> https://a -> https://www.a is fine
MAX_TOLERABLE_REDIRECT_HOPS = 4  # beyond this a chain is a fault, not a nuisance

LEGACY_PROTOCOLS = ("SSLv2", "SSLv3", "TLSv1", "TLSv1.1")
MODERN_PROTOCOLS = ("TLSv1.2", "TLSv1.3")

# Substrings of OpenSSL cipher names that mark a broken or export-grade suite.
WEAK_CIPHER_MARKERS = {
    "RC4": "RC4",
    "DES-CBC3": "3DES",
    "3DES": "3DES",
    "DES-CBC-": "DES",
    "NULL": "no encryption (NULL)",
    "EXP": "export-grade",
    "ADH": "anonymous key exchange",
    "AECDH": "anonymous key exchange",
    "ANON": "anonymous key exchange",
    "MD5": "MD5",
}
AEAD_MARKERS = ("GCM", "CHACHA20", "CCM")
FORWARD_SECRET_PREFIXES = ("ECDHE", "DHE", "EDH", "TLS_")  # TLS_ = TLS 1.3 suites
MIN_CIPHER_BITS = 128

CERT_EXPIRY_FAIL_DAYS = 14
CERT_EXPIRY_WARN_DAYS = 30

# OpenSSL verification errors that mean the server did not send the intermediates.
INCOMPLETE_CHAIN_ERRORS = (
    "unable to get local issuer certificate",
    "unable to verify the first certificate",
    "unable to get issuer certificate",
)
UNTRUSTED_ROOT_ERRORS = ("self signed certificate", "self-signed certificate")

TRANSPORT_QUESTION = "security.encryption_in_transit"
EDGE_QUESTION = "infrastructure.edge_tls_dns"
MDN_HTTPS = "https://developer.mozilla.org/en-US/docs/Glossary/HTTPS"
OWASP_TLS = (
    "https://cheatsheetseries.owasp.org/cheatsheets/Transport_Layer_Security_Cheat_Sheet.html"
)
MOZILLA_TLS = "https://wiki.mozilla.org/Security/Server_Side_TLS"


def _is_https(url: str | None) -> bool:
    return bool(url) and urlsplit(url).scheme.lower() == "https"


def _target(hop: RedirectHop) -> str | None:
    """The absolute URL a redirect points to (Location may be relative)."""
    return urljoin(hop.url, hop.location) if hop.location else None


def _hop_evidence(hops: tuple[RedirectHop, ...]) -> list[dict]:
    return [{"url": h.url, "status": h.status, "location": h.location} for h in hops]


@check(
    id="https_available",
    category="transport",
    why=(
        "Without HTTPS every request can be read and altered on the way, and browsers mark the "
        "site as not secure; HTTP/2, service workers and many APIs need it too."
    ),
    how_to_fix=(
        "Serve the site over HTTPS with a certificate from a public CA (e.g. Let's Encrypt), "
        "usually at the load balancer or CDN."
    ),
    references=(MDN_HTTPS, OWASP_TLS),
    informs=(EDGE_QUESTION, TRANSPORT_QUESTION),
    needs=(),
)
def https_available(artifacts: TargetArtifacts) -> Outcome:
    """The one finding that carries a failed connection (``checks.engine.causes``): when the
    site or its HTTPS port does not answer, this check says why in plain words, and the checks
    that needed the answer are "not applicable" with the same sentence."""
    exchange = artifacts.scheme_https
    causes = failure_causes(artifacts)
    if SITE in causes:
        cause = causes[SITE]
        return failed(cause.summary, url=artifacts.target_url, technical_detail=list(cause.detail))
    if exchange is None:
        return not_applicable("The HTTPS URL was not probed.")
    evidence = {"url": exchange.url, "status": exchange.status}
    if not exchange.ok:
        cause = causes.get(TLS)
        summary = (
            cause.summary if cause else f"HTTPS does not work: {plain_failure(exchange.error)}."
        )
        return failed(summary, **evidence, technical_detail=[exchange.error])
    downgrade = next(
        (h for h in exchange.redirects() if _target(h) and not _is_https(_target(h))), None
    )
    if downgrade is not None:
        return failed(
            f"HTTPS answers, but redirects back to plain HTTP ({_target(downgrade)}).",
            downgrade_to=_target(downgrade),
            **evidence,
        )
    return passed(f"HTTPS is served (status {exchange.status}).", **evidence)


@check(
    id="http_redirects_to_https",
    category="transport",
    why=(
        "Visitors and old links still arrive over plain HTTP; a permanent redirect moves them "
        "to HTTPS once and lets browsers and caches remember it."
    ),
    how_to_fix=(
        "Answer every plain-HTTP request with a 301 (or 308) to the same path on https://, "
        "at the edge, before any application logic."
    ),
    references=(
        "https://developer.mozilla.org/en-US/docs/Web/HTTP/Redirections",
        "https://infosec.mozilla.org/guidelines/web_security#http-redirections",
    ),
    informs=(TRANSPORT_QUESTION,),
)
def http_redirects_to_https(artifacts: TargetArtifacts) -> Outcome:
    exchange = artifacts.plain_http
    if exchange is None:
        return not_applicable("Plain HTTP was not probed.")
    hops = exchange.redirects()
    evidence = {"url": exchange.url, "status": exchange.status, "hops": _hop_evidence(hops)}
    if not hops and not exchange.ok:
        return warned(
            f"Plain HTTP did not answer ({plain_failure(exchange.error)}), so visitors typing the "
            "bare domain "
            "get an error instead of a redirect to HTTPS.",
            score=70,
            technical_detail=exchange.error,
            **evidence,
        )
    if not hops:
        return failed(
            f"Plain HTTP serves content (status {exchange.status}) instead of redirecting to "
            "HTTPS.",
            **evidence,
        )
    first, final = hops[0], _target(hops[-1])
    if not _is_https(final):
        return failed(f"Plain HTTP redirects, but never to HTTPS (ends at {final}).", **evidence)
    if not _is_https(_target(first)):
        return warned(
            f"The first redirect stays on plain HTTP ({_target(first)}) before reaching HTTPS.",
            score=60,
            **evidence,
        )
    if first.status in PERMANENT_REDIRECTS:
        return passed(f"Plain HTTP redirects permanently ({first.status}) to HTTPS.", **evidence)
    return warned(
        f"Plain HTTP redirects to HTTPS with a temporary {first.status}; use 301 or 308 so "
        "browsers and caches remember it.",
        score=70,
        **evidence,
    )


@check(
    id="redirect_chain",
    category="transport",
    why=(
        "Every redirect is one more round trip (and often one more TLS handshake) before the "
        "first byte; long chains add hundreds of milliseconds on mobile networks."
    ),
    how_to_fix=(
        "Redirect straight to the canonical https:// URL in one hop (e.g. http://example.com "
        "-> https://www.example.com), and never from HTTPS back to HTTP."
    ),
    references=(
        "https://developer.mozilla.org/en-US/docs/Web/HTTP/Redirections",
        "https://developer.chrome.com/docs/lighthouse/performance/redirects",
    ),
    informs=(TRANSPORT_QUESTION,),
)
def redirect_chain(artifacts: TargetArtifacts) -> Outcome:
    exchanges = [e for e in (artifacts.plain_http, artifacts.scheme_https) if e is not None]
    if not exchanges:
        return not_applicable("Neither the HTTP nor the HTTPS URL was probed.")
    chains = {e.url: e.redirects() for e in exchanges}
    evidence = {"chains": {url: _hop_evidence(hops) for url, hops in chains.items()}}
    longest = max(len(hops) for hops in chains.values())
    evidence["longest"] = longest
    for url, hops in chains.items():
        if hops and not _is_https(_target(hops[-1])):
            return failed(
                f"The redirects from {url} end on plain HTTP ({_target(hops[-1])}).", **evidence
            )
    if longest == 0:
        return passed("No redirect chain: the URLs answer directly.", **evidence)
    if longest <= MAX_REDIRECT_HOPS:
        return passed(f"Redirects take at most {longest} hop(s) and end on HTTPS.", **evidence)
    if longest <= MAX_TOLERABLE_REDIRECT_HOPS:
        return warned(
            f"A redirect chain takes {longest} hops; keep it to {MAX_REDIRECT_HOPS} or fewer.",
            score=60 - 10 * (longest - MAX_REDIRECT_HOPS - 1),
            **evidence,
        )
    return failed(f"A redirect chain takes {longest} hops before reaching a page.", **evidence)


def _normalise_protocol(name: str) -> str:
    """Accept "TLSv1.0", "tlsv1_1", "TLS 1.2"... and spell them as ssl does ("TLSv1.1")."""
    text = name.strip().upper().replace("_", ".").replace(" ", "").replace("TLSV", "TLS")
    text = text.replace("TLS", "TLSv").replace("SSLV", "SSLv")
    return "TLSv1" if text == "TLSv1.0" else text


def _tls_unusable(tls: TlsFacts | None, what: str) -> Outcome | None:
    if tls is None:
        return not_applicable(f"TLS was not probed, so {what} could not be checked.")
    if tls.error and not tls.protocols_accepted and tls.negotiated_protocol is None:
        return errored(
            f"No TLS handshake succeeded ({plain_failure(tls.error)}), so {what} is unknown.",
            technical_detail=tls.error,
        )
    return None


@check(
    id="tls_protocols",
    category="transport",
    why=(
        "TLS 1.0 and 1.1 have known weaknesses, are disabled in every current browser and are "
        "banned by PCI DSS; accepting them invites downgrade attacks for no benefit."
    ),
    how_to_fix=(
        "Accept TLS 1.2 and 1.3 only (Mozilla 'intermediate' profile); turn on TLS 1.3 where "
        "the load balancer or CDN supports it."
    ),
    references=(MOZILLA_TLS, OWASP_TLS, "https://www.rfc-editor.org/rfc/rfc8996"),
    informs=(TRANSPORT_QUESTION,),
    needs=(TLS,),
)
def tls_protocols(artifacts: TargetArtifacts) -> Outcome:
    tls = artifacts.tls
    if (unusable := _tls_unusable(tls, "the protocol versions")) is not None:
        return unusable
    accepted = {_normalise_protocol(p) for p in tls.protocols_accepted}
    if tls.negotiated_protocol:
        accepted.add(_normalise_protocol(tls.negotiated_protocol))
    refused = {_normalise_protocol(p) for p in tls.protocols_refused}
    legacy = sorted(p for p in accepted if p in LEGACY_PROTOCOLS)
    untested = [p for p in ("TLSv1", "TLSv1.1") if p not in accepted | refused]
    evidence = {
        "accepted": sorted(accepted),
        "refused": sorted(refused),
        "untested": untested,
        "negotiated": tls.negotiated_protocol,
    }
    if legacy:
        return failed(f"The server still accepts {', '.join(legacy)}.", **evidence)
    if not accepted & set(MODERN_PROTOCOLS):
        return failed("The server accepts neither TLS 1.2 nor TLS 1.3.", **evidence)
    score, notes = 100, []
    if "TLSv1.3" not in accepted:
        score -= 10
        notes.append("TLS 1.3 is not offered")
    if untested:
        score -= 10
        notes.append(f"{' and '.join(untested)} could not be tested")
    suffix = f" ({'; '.join(notes)})" if notes else ""
    return passed(f"Only TLS 1.2 and newer are accepted{suffix}.", score=score, **evidence)


def _weaknesses(cipher: str) -> list[str]:
    upper = cipher.upper()
    return sorted({label for marker, label in WEAK_CIPHER_MARKERS.items() if marker in upper})


def _forward_secret(cipher: str, protocol: str | None) -> bool:
    if protocol and _normalise_protocol(protocol) == "TLSv1.3":
        return True
    return cipher.upper().startswith(FORWARD_SECRET_PREFIXES)


@check(
    id="tls_forward_secrecy",
    category="transport",
    why=(
        "Without forward secrecy, anyone who later obtains the server's private key can decrypt "
        "recorded traffic; RC4, 3DES, NULL and export suites are breakable today."
    ),
    how_to_fix=(
        "Offer only ECDHE/DHE key exchange with AEAD ciphers (AES-GCM, ChaCha20-Poly1305), as "
        "in Mozilla's 'intermediate' configuration."
    ),
    references=(MOZILLA_TLS, OWASP_TLS, "https://www.rfc-editor.org/rfc/rfc7525"),
    informs=(TRANSPORT_QUESTION,),
    needs=(TLS,),
)
def tls_forward_secrecy(artifacts: TargetArtifacts) -> Outcome:
    tls = artifacts.tls
    if (unusable := _tls_unusable(tls, "the cipher suite")) is not None:
        return unusable
    cipher = tls.negotiated_cipher
    if not cipher:
        return errored("The handshake did not report a cipher suite.")
    offered = tuple(dict.fromkeys((cipher, *tls.ciphers_accepted)))
    weak = {c: w for c in offered if (w := _weaknesses(c))}
    forward_secret = tls.forward_secret
    if forward_secret is None:
        forward_secret = _forward_secret(cipher, tls.negotiated_protocol)
    aead = any(marker in cipher.upper() for marker in AEAD_MARKERS)
    evidence = {
        "cipher": cipher,
        "bits": tls.cipher_bits,
        "protocol": tls.negotiated_protocol,
        "forward_secret": forward_secret,
        "aead": aead,
        "weak": weak,
    }
    if weak:
        names = ", ".join(sorted({w for ws in weak.values() for w in ws}))
        return failed(f"Weak cipher suites are accepted ({names}).", **evidence)
    if tls.cipher_bits is not None and tls.cipher_bits < MIN_CIPHER_BITS:
        return failed(f"The negotiated cipher uses only {tls.cipher_bits}-bit keys.", **evidence)
    if not forward_secret and not aead:
        return failed(
            f"The negotiated suite {cipher} has no forward secrecy and uses CBC.", **evidence
        )
    if not forward_secret:
        return warned(f"The negotiated suite {cipher} has no forward secrecy.", **evidence)
    if not aead:
        return warned(
            f"The negotiated suite {cipher} is forward-secret but uses CBC rather than an "
            "AEAD cipher.",
            score=70,
            **evidence,
        )
    return passed(f"The negotiated suite {cipher} is forward-secret and AEAD.", **evidence)


def _cert_evidence(tls: TlsFacts) -> dict:
    return {
        "subject": tls.cert_subject,
        "issuer": tls.cert_issuer,
        "not_before": tls.cert_not_before,
        "not_after": tls.cert_not_after,
        "days_left": tls.cert_days_left,
        "chain_verified": tls.chain_verified,
        "verify_error": tls.verify_error,
    }


def _cert_unknown(tls: TlsFacts | None, what: str) -> Outcome | None:
    if tls is None:
        return not_applicable(f"TLS was not probed, so {what} could not be checked.")
    if tls.cert_subject is None and tls.chain_verified is None and tls.cert_days_left is None:
        reason = f" ({plain_failure(tls.error)})" if tls.error else ""
        return errored(f"No certificate was read{reason}, so {what} is unknown.")
    return None


@check(
    id="certificate_valid",
    category="transport",
    why=(
        "An untrusted or expired certificate turns every visit into a full-page browser error "
        "and breaks API clients outright: an outage, not a warning."
    ),
    how_to_fix=(
        "Use a certificate from a publicly trusted CA, install it with its intermediates, and "
        "automate renewal (ACME / managed certificates)."
    ),
    references=(
        OWASP_TLS,
        "https://developer.mozilla.org/en-US/docs/Web/Security/Certificate_Transparency",
    ),
    informs=(TRANSPORT_QUESTION,),
    needs=(TLS,),
)
def certificate_valid(artifacts: TargetArtifacts) -> Outcome:
    tls = artifacts.tls
    if (unknown := _cert_unknown(tls, "certificate validity")) is not None:
        return unknown
    evidence = _cert_evidence(tls)
    if tls.cert_days_left is not None and tls.cert_days_left < 0:
        return failed(f"The certificate expired {-tls.cert_days_left} day(s) ago.", **evidence)
    if tls.chain_verified is False:
        reason = tls.verify_error or "verification failed"
        return failed(f"The certificate is not trusted: {reason}.", **evidence)
    if tls.chain_verified is None:
        return errored("Certificate verification did not complete.", **evidence)
    return passed("The certificate is trusted and currently valid.", **evidence)


@check(
    id="certificate_expiry",
    category="transport",
    why=(
        "Expired certificates are one of the most common self-inflicted outages; renewing with "
        "weeks to spare leaves time to notice a broken renewal job."
    ),
    how_to_fix=(
        "Automate renewal (ACME, cloud-managed certificates) to run at least 30 days before "
        "expiry, and alert on days-left."
    ),
    references=(OWASP_TLS, "https://letsencrypt.org/docs/integration-guide/"),
    informs=(EDGE_QUESTION, TRANSPORT_QUESTION),
    needs=(TLS,),
)
def certificate_expiry(artifacts: TargetArtifacts) -> Outcome:
    tls = artifacts.tls
    if (unknown := _cert_unknown(tls, "the expiry date")) is not None:
        return unknown
    days = tls.cert_days_left
    evidence = {"not_after": tls.cert_not_after, "days_left": days}
    if days is None:
        return errored("The certificate's expiry date could not be read.", **evidence)
    if days < 0:
        return failed(f"The certificate expired {-days} day(s) ago.", **evidence)
    if days < CERT_EXPIRY_FAIL_DAYS:
        return failed(f"The certificate expires in {days} day(s).", **evidence)
    if days < CERT_EXPIRY_WARN_DAYS:
        return warned(f"The certificate expires in {days} days.", **evidence)
    return passed(f"The certificate is valid for another {days} days.", **evidence)


def hostname_matches(host: str, names: tuple[str, ...]) -> bool:
    """RFC 6125 matching: exact, or a wildcard standing for exactly the left-most label."""
    host = host.lower().rstrip(".")
    for name in names:
        name = name.lower().rstrip(".")
        if name == host:
            return True
        if name.startswith("*.") and "." in host:
            label, rest = host.split(".", 1)
            if label and rest == name[2:] and rest.count(".") >= 1:
                return True
    return False


@check(
    id="certificate_hostname",
    category="transport",
    why=(
        "A certificate issued for another name is rejected by every browser and client, exactly "
        "like an untrusted one; it typically appears when a new domain or load balancer is added."
    ),
    how_to_fix=(
        "Issue the certificate with every served host name in its Subject Alternative Names "
        "(or a wildcard covering them)."
    ),
    references=("https://www.rfc-editor.org/rfc/rfc6125", OWASP_TLS),
    informs=(TRANSPORT_QUESTION,),
    needs=(TLS,),
)
def certificate_hostname(artifacts: TargetArtifacts) -> Outcome:
    tls = artifacts.tls
    if (unknown := _cert_unknown(tls, "the host name match")) is not None:
        return unknown
    matches = tls.hostname_matches
    if matches is None and tls.cert_sans:
        matches = hostname_matches(tls.host, tls.cert_sans)
    evidence = {"host": tls.host, "sans": list(tls.cert_sans), "subject": tls.cert_subject}
    if matches is None:
        return errored("The certificate's names could not be read.", **evidence)
    if not matches:
        return failed(f"The certificate is not valid for {tls.host}.", **evidence)
    return passed(f"The certificate covers {tls.host}.", **evidence)


@check(
    id="certificate_chain",
    category="transport",
    why=(
        "A server that omits intermediate certificates works in desktop browsers that cache "
        "them but fails in mobile apps, API clients and fresh browsers: an intermittent outage."
    ),
    how_to_fix=(
        "Serve the full chain (leaf plus intermediates, e.g. Let's Encrypt's fullchain.pem), "
        "not the leaf certificate alone."
    ),
    references=(OWASP_TLS, "https://www.rfc-editor.org/rfc/rfc8446#section-4.4.2"),
    informs=(TRANSPORT_QUESTION,),
    needs=(TLS,),
)
def certificate_chain(artifacts: TargetArtifacts) -> Outcome:
    tls = artifacts.tls
    if (unknown := _cert_unknown(tls, "the certificate chain")) is not None:
        return unknown
    evidence = {
        "chain_length": tls.chain_length,
        "chain_verified": tls.chain_verified,
        "verify_error": tls.verify_error,
        "issuer": tls.cert_issuer,
    }
    if tls.chain_verified:
        return passed("The certificate chain is complete and verifies.", **evidence)
    reason = (tls.verify_error or "").lower()
    if any(marker in reason for marker in INCOMPLETE_CHAIN_ERRORS):
        return failed(
            "The certificate chain is incomplete: an intermediate certificate is missing.",
            **evidence,
        )
    if any(marker in reason for marker in UNTRUSTED_ROOT_ERRORS):
        return failed("The certificate chain ends in a self-signed certificate.", **evidence)
    if tls.chain_verified is False:
        return warned(
            f"The chain could not be confirmed because verification stopped at: "
            f"{tls.verify_error or 'an unknown error'}.",
            **evidence,
        )
    return errored("Certificate chain verification did not complete.", **evidence)


CHECKS = (
    https_available,
    http_redirects_to_https,
    redirect_chain,
    tls_protocols,
    tls_forward_secrecy,
    certificate_valid,
    certificate_expiry,
    certificate_hostname,
    certificate_chain,
)
