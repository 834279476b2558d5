"""Small builders for artifacts in check tests: only what a test varies is spelt out."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from checks.engine.artifacts import (
    BurstResult,
    DnsFacts,
    HttpExchange,
    LatencySamples,
    RedirectHop,
    TargetArtifacts,
    TlsFacts,
)
from checks.engine.catalog import CHECKS, CheckResult

BASE = "https://example.com/"
PLAIN = "http://example.com/"

HeaderInput = Mapping[str, str] | Iterable[tuple[str, str]] | None


def header_pairs(headers: HeaderInput) -> tuple[tuple[str, str], ...]:
    if headers is None:
        return ()
    if isinstance(headers, Mapping):
        return tuple(headers.items())
    return tuple(headers)


def exchange(
    headers: HeaderInput = None,
    *,
    url: str = BASE,
    status: int | None = 200,
    body: str = "",
    **fields,
) -> HttpExchange:
    fields.setdefault("body_bytes", len(body.encode()))
    return HttpExchange(
        url=url, status=status, headers=header_pairs(headers), body_sample=body, **fields
    )


def failed_exchange(error: str = "connection refused", *, url: str = BASE) -> HttpExchange:
    return HttpExchange(url=url, status=None, error=error)


def hop(url: str, status: int, location: str | None) -> RedirectHop:
    return RedirectHop(url=url, status=status, location=location)


def artifacts(**fields) -> TargetArtifacts:
    return TargetArtifacts(target_url=BASE, **fields)


def with_page(headers: HeaderInput = None, **page_fields) -> TargetArtifacts:
    """Artifacts whose only content is the HTTPS base page."""
    return artifacts(scheme_https=exchange(headers, **page_fields))


def tls(**fields) -> TlsFacts:
    """A healthy TLS setup unless a test says otherwise."""
    values = {
        "host": "example.com",
        "port": 443,
        "protocols_accepted": ("TLSv1.2", "TLSv1.3"),
        "protocols_refused": ("TLSv1", "TLSv1.1"),
        "negotiated_protocol": "TLSv1.3",
        "negotiated_cipher": "TLS_AES_256_GCM_SHA384",
        "cipher_bits": 256,
        "forward_secret": True,
        "alpn": "h2",
        "cert_subject": "CN=example.com",
        "cert_issuer": "CN=R3, O=Let's Encrypt",
        "cert_sans": ("example.com", "www.example.com"),
        "cert_not_before": "2024-01-01T00:00:00+00:00",
        "cert_not_after": "2024-04-01T00:00:00+00:00",
        "cert_days_left": 60,
        "hostname_matches": True,
        "chain_verified": True,
        "chain_length": 2,
    }
    values.update(fields)
    return TlsFacts(**values)


def latency(samples: Iterable[float], ttfb: Iterable[float] = (), errors: int = 0):
    return LatencySamples(url=BASE, samples_ms=tuple(samples), ttfb_ms=tuple(ttfb), errors=errors)


def burst(**fields) -> BurstResult:
    """A verified burst of 200 requests that went well unless a test says otherwise."""
    values = {
        "url": BASE,
        "verified": True,
        "requests_sent": 200,
        "completed": 200,
        "errors": 0,
        "status_counts": ((200, 200),),
        "duration_s": 10.0,
        "sustained_rps": 20.0,
        "p50_ms": 80.0,
        "p95_ms": 200.0,
        "p99_ms": 300.0,
    }
    values.update(fields)
    return BurstResult(**values)


def dns(*cnames: str) -> DnsFacts:
    return DnsFacts(host="example.com", addresses=("93.184.216.34",), cnames=cnames)


def run(check_id: str, target: TargetArtifacts) -> CheckResult:
    return CHECKS[check_id].evaluate(target)
