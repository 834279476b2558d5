"""Evidence for people: small labelled tables instead of raw JSON.

Two readers of the same facts:

- ``evidence_tables(evidence)``: the evidence of one check result as labelled rows (a
  key/value table), plus one table per list of records (redirect hops, cookies...).
- ``artifact_tables(artifacts)``: what was seen on one target, one table per kind of
  artifact -- certificate, response headers, cookies, redirects, timings.

Values are words and numbers ("yes", "—", "31,536,000"), never Python reprs; the machine
form stays available to people who want it in a collapsed "raw" block (``raw_json``).
Technical error text (``technical_detail``) appears only there.

Pure: no Django.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from checks.engine.artifacts import HttpExchange, TargetArtifacts

RAW_ONLY_KEYS = frozenset({"technical_detail"})

LABELS: dict[str, str] = {
    "url": "URL",
    "status": "HTTP status",
    "value": "Value",
    "header": "Header",
    "source": "Found in",
    "policy": "Policy in force",
    "policies": "Policies",
    "report_only": "Report-only policy",
    "issues": "Problems found",
    "header_count": "Headers sent",
    "max_age": "max-age (seconds)",
    "max_age_s": "max-age (seconds)",
    "include_subdomains": "includeSubDomains",
    "preload": "preload",
    "preload_ready": "Ready for the preload list",
    "frame_ancestors": "CSP frame-ancestors",
    "x_frame_options": "X-Frame-Options",
    "feature_policy": "Feature-Policy (obsolete)",
    "features": "Features",
    "disabled": "Features switched off",
    "origin_sent": "Origin we sent",
    "allow_origin": "Access-Control-Allow-Origin",
    "allow_credentials": "Allows credentials",
    "vary": "Vary",
    "cookies": "Cookies",
    "name": "Name",
    "location": "Redirects to",
    "hops": "Redirects",
    "chains": "Redirect chains",
    "longest": "Longest chain (hops)",
    "downgrade_to": "Downgrades to",
    "accepted": "Accepted",
    "refused": "Refused",
    "untested": "Not tested",
    "negotiated": "Negotiated",
    "cipher": "Cipher suite",
    "bits": "Key bits",
    "protocol": "Protocol",
    "forward_secret": "Forward secrecy",
    "aead": "AEAD cipher",
    "weak": "Weak suites",
    "subject": "Subject",
    "issuer": "Issuer",
    "sans": "Names covered",
    "host": "Host",
    "not_before": "Valid from",
    "not_after": "Valid until",
    "days_left": "Days left",
    "chain_verified": "Chain verified",
    "chain_length": "Certificates sent",
    "verify_error": "Verification error",
    "content_encoding": "Content-Encoding",
    "content_type": "Content-Type",
    "body_bytes": "Body size (bytes)",
    "accept_encoding_sent": "Accept-Encoding we sent",
    "alpn": "ALPN",
    "http_version": "HTTP version",
    "alt_svc": "Alt-Svc",
    "median_ms": "Median (ms)",
    "samples": "Samples",
    "errors": "Failed requests",
    "p50_ms": "p50 (ms)",
    "p90_ms": "p90 (ms)",
    "p95_ms": "p95 (ms)",
    "p99_ms": "p99 (ms)",
    "min_ms": "Fastest (ms)",
    "max_ms": "Slowest (ms)",
    "method": "Percentile method",
    "warmup_discarded": "Warm-up requests discarded",
    "percentile": "Percentile judged",
    "judged_ms": "Judged value (ms)",
    "cache_control": "Cache-Control",
    "expires": "Expires",
    "immutable": "immutable",
    "provider": "Provider",
    "leaks": "Leaks found",
    "debug_headers": "Debug headers",
    "has_contact": "Has a Contact line",
    "requests_sent": "Requests sent",
    "completed": "Completed",
    "duration_s": "Duration (s)",
    "sustained_rps": "Sustained requests/s",
    "status_counts": "Responses by status",
    "aborted_reason": "Stopped early because",
    "retry_after_seen": "Retry-After seen",
    "error_rate": "Error rate",
    "cause": "Why it was not checked",
    "hsts_covers_host": "HSTS keeps this host off plain HTTP",
    "directives": "Directives",
    "over_https": "Loaded over HTTPS",
    "crossorigin": "crossorigin attribute",
    "truncated": "Body cut at the size cap",
    "scripts": "Cross-origin scripts",
    "integrity": "Integrity attribute",
    "secure": "Secure",
    "http_only": "HttpOnly",
    "same_site": "SameSite",
    "credential_like": "Carries credentials",
}
EMPTY = "—"


@dataclass(frozen=True)
class EvidenceTable:
    """``columns`` empty: a two-column label/value table; else one row per record."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    @property
    def is_record_table(self) -> bool:
        return bool(self.columns)


def label(key: str) -> str:
    return LABELS.get(key, key.replace("_", " ").capitalize())


def display(value: Any) -> str:
    """One value in words: no None/True/False/[...] reprs."""
    if value is None or value == "" or value == [] or value == {}:
        return EMPTY
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.1f}" if not value.is_integer() else f"{int(value):,}"
    if isinstance(value, Mapping):
        return "; ".join(f"{label(str(k))}: {display(v)}" for k, v in value.items())
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return ", ".join(display(v) for v in items)
    return str(value)


def _is_records(value: Any) -> bool:
    return (
        isinstance(value, list | tuple)
        and bool(value)
        and all(isinstance(item, Mapping) for item in value)
    )


def _record_table(title: str, records: Sequence[Mapping[str, Any]]) -> EvidenceTable:
    keys = list(dict.fromkeys(k for record in records for k in record if k not in RAW_ONLY_KEYS))
    return EvidenceTable(
        title=title,
        columns=tuple(label(k) for k in keys),
        rows=tuple(tuple(display(record.get(k)) for k in keys) for record in records),
    )


def evidence_tables(evidence: Mapping[str, Any]) -> list[EvidenceTable]:
    """One check result's evidence as labelled tables (details first, then record lists)."""
    details: list[tuple[str, str]] = []
    tables: list[EvidenceTable] = []
    for key, value in evidence.items():
        if key in RAW_ONLY_KEYS:
            continue
        if _is_records(value):
            tables.append(_record_table(label(key), value))
        elif isinstance(value, Mapping) and value and all(_is_records(v) for v in value.values()):
            for name, records in value.items():
                tables.append(_record_table(f"{label(key)}: {name}", records))
        elif (
            isinstance(value, Mapping)
            and value
            and all(not isinstance(v, Mapping | list | tuple) for v in value.values())
        ):
            rows = tuple((str(k), display(v)) for k, v in value.items())
            tables.append(EvidenceTable(label(key), (), rows))
        else:
            details.append((label(key), display(value)))
    if details:
        tables.insert(0, EvidenceTable("Details", (), tuple(details)))
    return tables


def raw_json(value: Any) -> str:
    """The machine form, for the collapsed raw block."""
    return json.dumps(value, indent=2, sort_keys=True, default=str)


# --- Per artifact ----------------------------------------------------------------------------


def _certificate(artifacts: TargetArtifacts) -> EvidenceTable | None:
    tls = artifacts.tls
    if tls is None or (tls.cert_subject is None and tls.negotiated_protocol is None):
        return None
    rows = (
        ("Subject", display(tls.cert_subject)),
        ("Issuer", display(tls.cert_issuer)),
        ("Names covered", display(list(tls.cert_sans))),
        ("Valid from", display(tls.cert_not_before)),
        ("Valid until", display(tls.cert_not_after)),
        ("Days left", display(tls.cert_days_left)),
        ("Chain verified", display(tls.chain_verified)),
        ("Matches the host name", display(tls.hostname_matches)),
        ("Protocol negotiated", display(tls.negotiated_protocol)),
        ("Protocols accepted", display(list(tls.protocols_accepted))),
        ("Cipher suite", display(tls.negotiated_cipher)),
        ("ALPN", display(tls.alpn)),
    )
    return EvidenceTable("Certificate and TLS", (), rows)


def _landing(artifacts: TargetArtifacts) -> HttpExchange | None:
    for exchange in (artifacts.scheme_https, artifacts.plain_landing, artifacts.plain_http):
        if exchange is not None and exchange.ok:
            return exchange
    return None


def _headers(page: HttpExchange | None) -> EvidenceTable | None:
    if page is None or not page.headers:
        return None
    rows = tuple((name, value) for name, value in page.headers if name.lower() != "set-cookie")
    return EvidenceTable(f"Response headers of {page.url}", ("Header", "Value"), rows)


def _cookies(artifacts: TargetArtifacts) -> EvidenceTable | None:
    rows = []
    for exchange in (artifacts.scheme_https, artifacts.plain_http):
        if exchange is None or not exchange.ok:
            continue
        for line in exchange.header_all("set-cookie"):
            name, _, rest = line.partition("=")
            flags = {
                part.strip().split("=")[0].lower(): part.strip().partition("=")[2]
                for part in rest.split(";")[1:]
            }
            rows.append(
                (
                    name.strip(),
                    display("secure" in flags),
                    display("httponly" in flags),
                    flags.get("samesite") or EMPTY,
                    exchange.url,
                )
            )
    if not rows:
        return None
    columns = ("Name", "Secure", "HttpOnly", "SameSite", "Set by")
    return EvidenceTable("Cookies", columns, tuple(rows))


def _redirects(artifacts: TargetArtifacts) -> EvidenceTable | None:
    rows = []
    for exchange in (artifacts.plain_http, artifacts.scheme_https):
        if exchange is None:
            continue
        for hop in exchange.redirects():
            rows.append((hop.url, str(hop.status), hop.location or EMPTY))
    if not rows:
        return None
    return EvidenceTable("Redirects", ("From", "Status", "To"), tuple(rows))


def _timings(artifacts: TargetArtifacts) -> EvidenceTable | None:
    latency = artifacts.latency
    if latency is None or not latency.samples_ms:
        return None
    rows = (
        ("Samples measured", display(len(latency.samples_ms))),
        ("Failed requests", display(latency.errors)),
        ("Fastest (ms)", display(min(latency.samples_ms))),
        ("Median (ms)", display(latency.p50)),
        ("Slowest (ms)", display(max(latency.samples_ms))),
        ("Median time to first byte (ms)", display(latency.ttfb_percentile(50))),
    )
    return EvidenceTable("Timings", (), rows)


def artifact_tables(artifacts: TargetArtifacts) -> list[EvidenceTable]:
    """What was seen on one target: certificate, headers, cookies, redirects, timings."""
    tables = (
        _certificate(artifacts),
        _headers(_landing(artifacts)),
        _cookies(artifacts),
        _redirects(artifacts),
        _timings(artifacts),
    )
    return [table for table in tables if table is not None]
