"""How every gatherer talks HTTP: through the SSRF guard, into an ``HttpExchange``.

``GatherOptions`` carries what a gatherer needs to send traffic safely (the loopback allowance,
limits, the trust store, the resolver); ``exchange`` turns one guarded fetch, or its failure,
into the artifact the checks read. A failure on the target's side is data, never an exception.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, replace
from email.message import Message
from urllib.parse import urlsplit

from urllib3.util.request import ACCEPT_ENCODING

from checks.engine.artifacts import HttpExchange, RedirectHop
from checks.engine.safety import (
    DEFAULT_PORTS,
    GuardedResponse,
    Hop,
    ProbeFailed,
    ProbeLimits,
    Resolver,
    fetch,
    parse_target_url,
)

USER_AGENT = "ScaleReady-Probe/1.0 (+scalability readiness check)"
ACCEPT_ENCODING_OFFERED = "gzip, br"
BODY_SAMPLE_CHARS = 32_000

# Real use: a slow target must not hold a worker for long, and a page over 2 MB is not a page.
GATHERER_LIMITS = ProbeLimits(
    connect_timeout=5.0, read_timeout=10.0, deadline_seconds=15.0, max_body_bytes=2_000_000
)

# Content codings urllib3 can undo here (brotli only when the optional package is installed).
_DECODABLE = {"identity", *(coding.strip() for coding in ACCEPT_ENCODING.split(","))}


@dataclass(frozen=True)
class GatherOptions:
    """What every gatherer needs to send traffic through the guard.

    ``verify`` is True (the system trust store) or the path of a CA bundle (tests).
    """

    allow_loopback: bool = False
    limits: ProbeLimits = GATHERER_LIMITS
    verify: bool | str = True
    resolver: Resolver = socket.getaddrinfo


def base_headers(**extra: str) -> dict[str, str]:
    return {"User-Agent": USER_AGENT, "Accept-Encoding": ACCEPT_ENCODING_OFFERED, **extra}


def exchange(
    url: str,
    options: GatherOptions,
    *,
    headers: dict[str, str] | None = None,
    follow_redirects: bool = True,
) -> HttpExchange:
    """GET ``url`` through the guard; a refused, failed or timed-out request sets ``error``."""
    sent = headers if headers is not None else base_headers()
    try:
        response = fetch(
            url,
            allow_loopback=options.allow_loopback,
            limits=options.limits,
            headers=sent,
            follow_redirects=follow_redirects,
            verify=options.verify,
            resolver=options.resolver,
        )
    except ProbeFailed as exc:
        return HttpExchange(
            url=url,
            error=exc.reason,
            redirect_chain=_hops(exc.chain),
            request_headers=tuple(sent.items()),
        )
    return exchange_from_response(response, sent)


def exchange_from_response(response: GuardedResponse, sent: dict[str, str]) -> HttpExchange:
    return HttpExchange(
        url=response.url,
        status=response.status,
        headers=response.headers,
        body_sample=body_text(response)[:BODY_SAMPLE_CHARS],
        body_bytes=len(response.body),
        truncated=response.truncated,
        elapsed_ms=round(response.total_seconds * 1000, 2),
        ttfb_ms=round(response.ttfb_seconds * 1000, 2),
        redirect_chain=_hops(response.redirects),
        http_version=response.http_version,
        request_headers=tuple(sent.items()),
    )


def body_text(response: GuardedResponse) -> str:
    """The body as text; "" when it is still compressed with a coding we cannot undo."""
    if not is_decoded(response):
        return ""
    message = Message()
    message["Content-Type"] = response.header("Content-Type") or "text/plain"
    charset = message.get_content_charset() or "utf-8"
    try:
        return response.body.decode(charset, errors="replace")
    except LookupError:  # a charset name Python does not know
        return response.body.decode("utf-8", errors="replace")


def is_decoded(response: GuardedResponse) -> bool:
    codings = (response.header("Content-Encoding") or "identity").lower().split(",")
    return all(coding.strip() in _DECODABLE for coding in codings if coding.strip())


def _hops(hops: tuple[Hop, ...]) -> tuple[RedirectHop, ...]:
    return tuple(RedirectHop(hop.url, hop.status, hop.header("Location")) for hop in hops)


# --- URLs ----------------------------------------------------------------------------------

# The web ports the guard allows pair up: 443 <-> 80 and 8443 <-> 8080.
_COUNTERPART_PORT = {
    ("https", 443): 80,
    ("https", 8443): 8080,
    ("http", 80): 443,
    ("http", 8080): 8443,
}


def scheme_urls(base_url: str) -> tuple[str, str]:
    """The https:// and http:// forms of a base URL, as ``(https_url, http_url)``.

    Standard ports swap (443 <-> 80, 8443 <-> 8080); any other port (a loopback development
    server) is kept, so one local server may answer both schemes on one port. Raises
    ``TargetRefused`` for a URL the guard cannot parse.
    """
    target = parse_target_url(base_url)
    other = "http" if target.scheme == "https" else "https"
    port = _COUNTERPART_PORT.get((target.scheme, target.port), target.port)
    counterpart = replace(target, scheme=other, port=port)
    if target.scheme == "https":
        return target.url, counterpart.url
    return counterpart.url, target.url


def origin_of(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) of a URL, for same-origin comparisons."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port or DEFAULT_PORTS.get(scheme)
    except ValueError:
        port = None
    return scheme, (parts.hostname or "").lower(), port
