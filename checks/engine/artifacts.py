"""What the gatherers collect about a target, once, for every check to read.

As in Lighthouse, gatherers talk to the network and produce *artifacts*; checks are pure
functions of these artifacts. Everything here is a frozen dataclass of plain values
(tuples, not lists) so that a run's artifacts can be stored as JSON
(``dataclasses.asdict`` then ``json.dumps``) and read back with ``artifacts_from_dict`` to
re-evaluate the checks later, e.g. after a threshold changes.

A gatherer that did not run leaves its field of ``TargetArtifacts`` as ``None``; a gatherer
that ran and failed records the failure in the artifact's ``error`` field.

No network, no Django: this module is imported by gatherers, checks, tasks and tests alike.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

# The Origin the CORS gatherer sends; the cors check looks for it reflected back.
CORS_PROBE_ORIGIN = "https://evil.example"

Headers = tuple[tuple[str, str], ...]


def _pairs(raw: Iterable[Sequence[Any]] | None) -> tuple[tuple[Any, Any], ...]:
    """JSON turns tuples of pairs into lists of lists; turn them back."""
    return tuple((first, second) for first, second in raw or ())


def _strs(raw: Iterable[str] | None) -> tuple[str, ...]:
    return tuple(raw or ())


@dataclass(frozen=True)
class RedirectHop:
    """One redirect response: ``url`` answered ``status`` with ``Location: location``."""

    url: str
    status: int
    location: str | None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RedirectHop:
        return cls(url=data["url"], status=data["status"], location=data.get("location"))


@dataclass(frozen=True)
class HttpExchange:
    """One request and the response it got.

    ``status``/``headers``/``body_*`` describe the response the gatherer stopped at.
    ``redirect_chain`` lists the redirect responses received *before* it, in order. A gatherer
    that does not follow redirects leaves the chain empty and the exchange itself is then the
    first (3xx) hop; ``redirects()`` gives the same view in both cases.

    ``headers`` keep their order, original casing and duplicates (several Set-Cookie); use
    ``header``/``header_all`` to look them up case-insensitively. An exchange that failed
    (refused, timed out, TLS error...) has ``status`` None and ``error`` set.
    ``request_headers`` are the notable headers the gatherer sent (Origin, If-None-Match...).
    """

    url: str
    method: str = "GET"
    status: int | None = None
    headers: Headers = ()
    body_sample: str = ""  # the first KBs of the body, decoded; "" when there was none
    body_bytes: int = 0  # bytes read (at most the cap when truncated)
    truncated: bool = False
    elapsed_ms: float = 0.0
    ttfb_ms: float | None = None
    redirect_chain: tuple[RedirectHop, ...] = ()
    http_version: str | None = None  # "HTTP/1.1", "HTTP/2"...
    error: str | None = None
    request_headers: Headers = ()

    @property
    def ok(self) -> bool:
        """The server answered (any status); False when the exchange itself failed."""
        return self.status is not None and self.error is None

    def header(self, name: str) -> str | None:
        """The first value of a header, matched case-insensitively; None when absent."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)

    def header_all(self, name: str) -> tuple[str, ...]:
        """Every value of a header, in order (one per header line)."""
        wanted = name.lower()
        return tuple(value for key, value in self.headers if key.lower() == wanted)

    def redirects(self) -> tuple[RedirectHop, ...]:
        """Every redirect seen: the chain, plus this response when it is itself a redirect."""
        if self.status is not None and 300 <= self.status < 400:
            last = RedirectHop(self.url, self.status, self.header("location"))
            return (*self.redirect_chain, last)
        return self.redirect_chain

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> HttpExchange:
        return cls(
            url=data["url"],
            method=data.get("method", "GET"),
            status=data.get("status"),
            headers=_pairs(data.get("headers")),
            body_sample=data.get("body_sample", ""),
            body_bytes=data.get("body_bytes", 0),
            truncated=data.get("truncated", False),
            elapsed_ms=data.get("elapsed_ms", 0.0),
            ttfb_ms=data.get("ttfb_ms"),
            redirect_chain=tuple(RedirectHop.from_dict(h) for h in data.get("redirect_chain", ())),
            http_version=data.get("http_version"),
            error=data.get("error"),
            request_headers=_pairs(data.get("request_headers")),
        )


@dataclass(frozen=True)
class TlsFacts:
    """The TLS handshake(s) with one host.

    Protocol names are spelt as ``ssl.SSLSocket.version()`` returns them: "SSLv3", "TLSv1",
    "TLSv1.1", "TLSv1.2", "TLSv1.3". ``protocols_accepted``/``protocols_refused`` come from
    handshakes pinned to one version each; a version in neither was not tried. Cipher names are
    OpenSSL's ("ECDHE-RSA-AES128-GCM-SHA256", "TLS_AES_256_GCM_SHA384").
    ``cert_not_before``/``cert_not_after`` are ISO 8601 strings. ``error`` is set when no
    handshake succeeded at all.
    """

    host: str
    port: int = 443
    protocols_accepted: tuple[str, ...] = ()
    protocols_refused: tuple[str, ...] = ()
    negotiated_protocol: str | None = None
    negotiated_cipher: str | None = None
    cipher_bits: int | None = None
    forward_secret: bool | None = None
    alpn: str | None = None  # "h2", "http/1.1"
    cert_subject: str | None = None
    cert_issuer: str | None = None
    cert_sans: tuple[str, ...] = ()
    cert_not_before: str | None = None
    cert_not_after: str | None = None
    cert_days_left: int | None = None
    hostname_matches: bool | None = None
    chain_verified: bool | None = None
    verify_error: str | None = None
    chain_length: int | None = None  # certificates the server sent, leaf included
    error: str | None = None
    ciphers_accepted: tuple[str, ...] = ()  # when suites were enumerated; () when not

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TlsFacts:
        values = dict(data)
        for name in (
            "protocols_accepted",
            "protocols_refused",
            "cert_sans",
            "ciphers_accepted",
        ):
            values[name] = _strs(values.get(name))
        return cls(**values)


@dataclass(frozen=True)
class DnsFacts:
    host: str
    addresses: tuple[str, ...] = ()
    cnames: tuple[str, ...] = ()  # the CNAME chain, in resolution order
    error: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DnsFacts:
        return cls(
            host=data["host"],
            addresses=_strs(data.get("addresses")),
            cnames=_strs(data.get("cnames")),
            error=data.get("error"),
        )


def nearest_rank(values: Sequence[float], percent: float) -> float | None:
    """The nearest-rank percentile: the smallest value with at least ``percent`` % of the
    values at or below it, i.e. ``sorted(values)[ceil(percent / 100 * n) - 1]``.

    Always one of the measured values (no interpolation), so a p99 over 20 samples is simply
    the slowest one. None for no values.
    """
    if not values:
        return None
    if not 0 < percent <= 100:
        raise ValueError(f"percent must be in (0, 100], got {percent}")
    ordered = sorted(values)
    rank = max(1, math.ceil(percent / 100 * len(ordered)))
    return ordered[rank - 1]


CLAIMABLE_PERCENTILES = (99, 95, 90, 75, 50)


def claimable_percentile(count: int) -> int | None:
    """The highest percentile ``count`` samples can honestly claim, or None.

    A nearest-rank percentile p is claimed only when at least one sample lies above it
    (``count >= 100 / (100 - p)``): p95 needs 20 samples, p99 needs 100. Below that the
    "p95" is simply the slowest sample, and one outlier decides the verdict.
    """
    for percent in CLAIMABLE_PERCENTILES:
        if count >= math.ceil(100 / (100 - percent)):
            return percent
    return None


@dataclass(frozen=True)
class LatencySamples:
    """Repeated sequential GETs of one URL: total time and time to first byte per success.

    ``warmup_ms`` are the first requests, timed but not counted: they pay for the connection,
    the TLS handshake and cold caches once, which no later visitor waits for.
    """

    url: str
    samples_ms: tuple[float, ...] = ()
    ttfb_ms: tuple[float, ...] = ()
    errors: int = 0  # requests that failed and have no sample
    warmup_ms: tuple[float, ...] = ()

    def percentile(self, percent: float) -> float | None:
        return nearest_rank(self.samples_ms, percent)

    def ttfb_percentile(self, percent: float) -> float | None:
        return nearest_rank(self.ttfb_ms, percent)

    @property
    def p50(self) -> float | None:
        return self.percentile(50)

    @property
    def p95(self) -> float | None:
        return self.percentile(95)

    @property
    def p99(self) -> float | None:
        return self.percentile(99)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LatencySamples:
        return cls(
            url=data["url"],
            samples_ms=tuple(data.get("samples_ms", ())),
            ttfb_ms=tuple(data.get("ttfb_ms", ())),
            errors=data.get("errors", 0),
            warmup_ms=tuple(data.get("warmup_ms", ())),
        )


@dataclass(frozen=True)
class BurstResult:
    """A bounded burst against a verified target.

    ``refused_reason`` is set when the burst was not run (target not verified, cooldown...);
    ``aborted_reason`` when it started and was stopped early (429s, 5xx, latency doubling).
    ``status_counts`` pairs each HTTP status with how many responses had it.
    """

    url: str
    verified: bool = False
    requests_sent: int = 0
    completed: int = 0
    errors: int = 0  # transport failures plus 5xx responses
    status_counts: tuple[tuple[int, int], ...] = ()
    duration_s: float = 0.0
    sustained_rps: float | None = None
    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    aborted_reason: str | None = None
    retry_after_seen: bool = False
    refused_reason: str | None = None

    def count_of(self, status: int) -> int:
        return sum(count for code, count in self.status_counts if code == status)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BurstResult:
        values = dict(data)
        values["status_counts"] = _pairs(values.get("status_counts"))
        return cls(**values)


_EXCHANGE_FIELDS = (
    "scheme_https",
    "plain_http",
    "plain_landing",
    "static_asset",
    "static_conditional",
    "not_found",
    "robots",
    "security_txt",
    "cors_preflight",
)


@dataclass(frozen=True)
class TargetArtifacts:
    """Everything gathered about one target base URL.

    - ``scheme_https``: GET of the https:// base URL.
    - ``plain_http``: GET of the http:// base URL; its redirects show in ``redirects()``.
    - ``plain_landing``: where plain HTTP leads when HTTPS failed and the base URL redirects
      (e.g. to a login page or www.), redirects followed; None otherwise.
    - ``static_asset``: a CSS/JS/image asset referenced by the page, None if none was found.
    - ``static_conditional``: the asset requested again with If-None-Match/If-Modified-Since.
    - ``not_found``: GET of a random path that should not exist.
    - ``robots``/``security_txt``: /robots.txt and /.well-known/security.txt.
    - ``cors_preflight``: GET with ``Origin: CORS_PROBE_ORIGIN``.
    """

    target_url: str
    scheme_https: HttpExchange | None = None
    plain_http: HttpExchange | None = None
    plain_landing: HttpExchange | None = None
    static_asset: HttpExchange | None = None
    static_conditional: HttpExchange | None = None
    not_found: HttpExchange | None = None
    robots: HttpExchange | None = None
    security_txt: HttpExchange | None = None
    cors_preflight: HttpExchange | None = None
    tls: TlsFacts | None = None
    dns: DnsFacts | None = None
    latency: LatencySamples | None = None
    burst: BurstResult | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TargetArtifacts:
        def load(name: str, loader: Any) -> Any:
            raw = data.get(name)
            return None if raw is None else loader(raw)

        exchanges = {name: load(name, HttpExchange.from_dict) for name in _EXCHANGE_FIELDS}
        return cls(
            target_url=data["target_url"],
            **exchanges,
            tls=load("tls", TlsFacts.from_dict),
            dns=load("dns", DnsFacts.from_dict),
            latency=load("latency", LatencySamples.from_dict),
            burst=load("burst", BurstResult.from_dict),
        )


def artifacts_from_dict(data: Mapping[str, Any]) -> TargetArtifacts:
    """Rebuild stored artifacts (the output of ``dataclasses.asdict``, after JSON)."""
    return TargetArtifacts.from_dict(data)
