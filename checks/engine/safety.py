"""SSRF guard for every outgoing probe connection.

Probes fetch URLs that customers type in, so neither a URL, nor a DNS answer, nor a redirect may
make a worker talk to our own network, the cloud metadata endpoint or anything else that is not on
the public internet. The guard therefore:

1. parses the URL itself (odd IPv4 spellings such as ``0x7f.1`` or ``2130706433`` are normalised
   the way browsers and libc read them, so the address we judge is the one that would be used);
2. resolves the name once and refuses it if *any* returned address is not globally routable
   (``ipaddress.is_global`` plus explicit ranges for what that flag misses or what differs
   between Python versions, and IPv6 forms that embed an IPv4 address);
3. connects to the vetted address only, while TLS SNI, certificate verification and the Host
   header keep using the name (``PinnedAddressAdapter``);
4. follows redirects by hand, re-parsing, re-resolving and re-vetting every hop;
5. bounds every request: connect/read timeouts, a total deadline enforced by a watchdog that
   shuts the sockets down (per-read timeouts alone never stop a server dripping one byte at a
   time), a body cap and a redirect cap. Proxy environment variables are ignored.

Requests go straight to the adapter rather than through ``requests.Session``, so nothing is
read from the environment (proxies, .netrc, CA overrides; the adapter also drops any proxies it
is handed). A session would also read a redirect's whole body even with
``allow_redirects=False`` (to prepare ``Response.next``), bypassing the body cap.

Why not ``requests-hardened`` (1.3.0, evaluated): its adapter pins the IP in the same way, but it
vets only the first address ``getaddrinfo`` returns (a name answering one public and one private
address gets through), judges with ``is_private`` plus a short list (site-local ``fec0::/10``
passes), cannot take an injected resolver, and has no port policy, total deadline or body cap --
the parts we would have to write anyway. Our adapter is a few dozen lines.

Pure decisions (``decide_address``, ``decide_port``, ``parse_target_url``) never touch the
network; ``vet_url`` only calls the resolver it is given; ``fetch`` is the one entry point that
sends traffic. Callers read Django settings (e.g. whether loopback is allowed) and pass values in.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[..., Sequence[tuple[Any, ...]]]

ALLOWED_SCHEMES = frozenset({"http", "https"})
ALLOWED_PORTS = frozenset({80, 443, 8080, 8443})
DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_REDIRECTS = 5
MAX_URL_LENGTH = 2048
USER_AGENT = "ScaleReady-Probe/1.0"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})

_V4 = ipaddress.IPv4Network
_V6 = ipaddress.IPv6Network

# Checked in order, so the most specific label wins (metadata before link-local).
_IPV4_RANGES: tuple[tuple[ipaddress.IPv4Network, str], ...] = (
    (_V4("0.0.0.0/32"), "the unspecified address"),
    (_V4("0.0.0.0/8"), "in 'this network' 0.0.0.0/8"),
    (_V4("10.0.0.0/8"), "a private address (RFC 1918)"),
    (_V4("172.16.0.0/12"), "a private address (RFC 1918)"),
    (_V4("192.168.0.0/16"), "a private address (RFC 1918)"),
    (_V4("100.64.0.0/10"), "in the carrier-grade NAT shared space (CGNAT, 100.64.0.0/10)"),
    (_V4("169.254.169.254/32"), "the cloud metadata endpoint (link-local)"),
    (_V4("169.254.0.0/16"), "a link-local address"),
    (_V4("192.0.0.0/24"), "an IETF protocol assignment (192.0.0.0/24)"),
    (_V4("192.0.2.0/24"), "a documentation address"),
    (_V4("198.51.100.0/24"), "a documentation address"),
    (_V4("203.0.113.0/24"), "a documentation address"),
    (_V4("192.88.99.0/24"), "in the deprecated 6to4 relay anycast range"),
    (_V4("198.18.0.0/15"), "a benchmarking address (198.18.0.0/15)"),
    (_V4("224.0.0.0/4"), "a multicast address"),
    (_V4("255.255.255.255/32"), "the broadcast address"),
    (_V4("240.0.0.0/4"), "a reserved address (240.0.0.0/4)"),
)

_IPV6_RANGES: tuple[tuple[ipaddress.IPv6Network, str], ...] = (
    (_V6("::/128"), "the unspecified address"),
    (_V6("::ffff:0:0:0/96"), "an IPv4-translated address (SIIT)"),
    (_V6("::/96"), "an IPv4-compatible address (deprecated)"),
    (_V6("64:ff9b:1::/48"), "in the local-use NAT64 prefix 64:ff9b:1::/48"),
    (_V6("100::/64"), "a discard-only address"),
    (_V6("2001::/32"), "a Teredo tunnelling address"),
    (_V6("2001:2::/48"), "a benchmarking address (2001:2::/48)"),
    (_V6("2001:db8::/32"), "a documentation address"),
    (_V6("3fff::/20"), "a documentation address"),
    (_V6("2001:10::/28"), "an ORCHID overlay identifier"),
    (_V6("2001:20::/28"), "an ORCHID overlay identifier"),
    (_V6("2001::/23"), "an IETF protocol assignment (2001::/23)"),
    (_V6("fd00:ec2::254/128"), "the cloud metadata endpoint (unique-local)"),
    (_V6("fc00::/7"), "a unique-local address"),
    (_V6("fe80::/10"), "a link-local address"),
    (_V6("fec0::/10"), "a site-local address (deprecated)"),
    (_V6("ff00::/8"), "a multicast address"),
)

_IPV6_GLOBAL_UNICAST = _V6("2000::/3")
_NAT64_WELL_KNOWN = _V6("64:ff9b::/96")
_NUMERIC_LABEL = re.compile(r"[0-9]+|0[xX][0-9a-fA-F]*", re.ASCII)
_HOST_NAME = re.compile(r"[a-z0-9_-]+(\.[a-z0-9_-]+)*", re.ASCII)


# --- Errors ------------------------------------------------------------------------------


class ProbeFailed(Exception):
    """A guarded fetch did not produce a response; ``reason`` says why in plain words.

    ``chain`` holds the hops answered before the failure (e.g. the redirect that pointed at a
    forbidden address), so a gatherer can still record what it saw.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.chain: tuple[Hop, ...] = ()


class TargetRefused(ProbeFailed):
    """The guard refused the URL: scheme, port, credentials, host or address."""


class ResolutionFailed(ProbeFailed):
    """The host name did not resolve to any address."""


class RedirectLimitExceeded(ProbeFailed):
    """The server kept redirecting past the redirect cap."""


class ProbeTimeout(ProbeFailed):
    """A connect or read timeout elapsed."""


class DeadlineExceeded(ProbeTimeout):
    """The total deadline of the fetch elapsed (slow or dripping server)."""


class ConnectionFailed(ProbeFailed):
    """The connection was refused, reset or spoke broken HTTP."""


class TLSFailed(ConnectionFailed):
    """The TLS handshake or certificate verification failed."""


# --- Values ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str


@dataclass(frozen=True)
class ParsedTarget:
    """A URL reduced to what the guard judges; ``host`` is normalised (IDNA, dotted IPv4)."""

    scheme: str
    host: str
    port: int
    path: str
    address: IPAddress | None = None  # set when the host is an IP literal

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host_header}{self.path}"


@dataclass(frozen=True)
class VettedTarget:
    """A target whose every resolved address passed; ``ip`` is the one to connect to."""

    target: ParsedTarget
    ip: IPAddress
    addresses: tuple[IPAddress, ...]

    @property
    def url(self) -> str:
        return self.target.url


@dataclass(frozen=True)
class ProbeLimits:
    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    deadline_seconds: float = 20.0
    max_body_bytes: int = 1_000_000
    max_redirects: int = MAX_REDIRECTS

    def __post_init__(self) -> None:
        if not 0 <= self.max_redirects <= MAX_REDIRECTS:
            raise ValueError(f"max_redirects must be between 0 and {MAX_REDIRECTS}")
        if min(self.connect_timeout, self.read_timeout, self.deadline_seconds) <= 0:
            raise ValueError("timeouts and deadline must be positive")
        if self.max_body_bytes < 0:
            raise ValueError("max_body_bytes must not be negative")


DEFAULT_LIMITS = ProbeLimits()


def _header_value(headers: tuple[tuple[str, str], ...], name: str) -> str | None:
    wanted = name.lower()
    return next((value for key, value in headers if key.lower() == wanted), None)


@dataclass(frozen=True)
class Hop:
    """One request/response exchange; ``headers`` keep duplicates such as Set-Cookie."""

    url: str
    ip: str
    status: int
    headers: tuple[tuple[str, str], ...]
    elapsed_seconds: float  # from sending the request to the end of the response headers

    def header(self, name: str) -> str | None:
        return _header_value(self.headers, name)


@dataclass(frozen=True)
class GuardedResponse:
    url: str
    ip: str
    status: int
    http_version: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    truncated: bool  # the body was longer than the cap and was cut
    ttfb_seconds: float  # final hop: request sent -> headers received
    total_seconds: float  # the whole fetch, redirects and body included
    redirects: tuple[Hop, ...] = field(default=())  # hops before the final response

    def header(self, name: str) -> str | None:
        return _header_value(self.headers, name)

    def header_values(self, name: str) -> list[str]:
        wanted = name.lower()
        return [value for key, value in self.headers if key.lower() == wanted]


# --- Pure decisions ----------------------------------------------------------------------


def decide_address(ip: IPAddress, *, allow_loopback: bool) -> Decision:
    """May a probe connect to this address? Only globally routable ones (and loopback in dev)."""
    label = _forbidden_as(ip, allow_loopback=allow_loopback)
    if label is not None:
        return Decision(False, f"{ip} is {label}")
    if _is_loopback(ip):
        return Decision(True, f"{ip} is a loopback address, allowed for local development")
    return Decision(True, f"{ip} is globally routable")


def decide_port(port: int, ip: IPAddress, *, allow_loopback: bool) -> Decision:
    """Only web ports on the internet; local test servers run on random loopback ports."""
    if port in ALLOWED_PORTS:
        return Decision(True, f"port {port} is a web port")
    if allow_loopback and _is_loopback(ip):
        return Decision(True, f"port {port} is allowed on loopback {ip} for local development")
    allowed = ", ".join(str(p) for p in sorted(ALLOWED_PORTS))
    return Decision(False, f"port {port} is not allowed (allowed: {allowed})")


def _is_loopback(ip: IPAddress) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped.is_loopback
    return ip.is_loopback


def _forbidden_as(ip: IPAddress, *, allow_loopback: bool) -> str | None:
    """What makes this address forbidden, as a phrase; None when it is allowed."""
    if ip.is_loopback:
        return None if allow_loopback else "a loopback address"
    if isinstance(ip, ipaddress.IPv6Address):
        return _ipv6_forbidden_as(ip, allow_loopback=allow_loopback)
    label = next((label for net, label in _IPV4_RANGES if ip in net), None)
    if label is None and not ip.is_global:
        label = "not a globally routable address"
    return label


def _ipv6_forbidden_as(ip: ipaddress.IPv6Address, *, allow_loopback: bool) -> str | None:
    embedding = _ipv4_embedding(ip)
    if embedding is not None:
        form, v4, keeps_loopback = embedding
        inner = _forbidden_as(v4, allow_loopback=allow_loopback and keeps_loopback)
        return None if inner is None else f"the {form} form of {v4}, which is {inner}"
    if ip.scope_id:
        return "a scoped (zone-local) IPv6 address"
    label = next((label for net, label in _IPV6_RANGES if ip in net), None)
    if label is None and ip not in _IPV6_GLOBAL_UNICAST:
        label = "outside the IPv6 global unicast range 2000::/3"
    if label is None and not ip.is_global:
        label = "not a globally routable address"
    return label


def _ipv4_embedding(ip: ipaddress.IPv6Address) -> tuple[str, ipaddress.IPv4Address, bool] | None:
    """IPv6 forms that reach an IPv4 address are judged by that address.

    Only IPv4-mapped addresses reach the local IPv4 stack (so keep the loopback allowance);
    NAT64 and 6to4 go out through a translator or relay, where loopback means nothing.
    """
    if ip.ipv4_mapped is not None:
        return "IPv4-mapped", ip.ipv4_mapped, True
    if ip in _NAT64_WELL_KNOWN:
        return "NAT64", ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF), False
    if ip.sixtofour is not None:
        return "6to4", ip.sixtofour, False
    return None


# --- URL parsing -------------------------------------------------------------------------


def parse_target_url(url: str) -> ParsedTarget:
    """Split a URL into what the guard judges; refuse anything a probe must never send."""
    url = url.strip()
    _refuse_malformed(url)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise TargetRefused(f"malformed URL: {exc}") from exc
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise TargetRefused(f"scheme '{scheme}' is not allowed; only http and https")
    if "@" in parts.netloc:
        raise TargetRefused("credentials in URLs are not allowed")
    host, address = _normalise_host(parts.hostname or "")
    if port == 0:
        raise TargetRefused("port 0 is not a valid port")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return ParsedTarget(scheme, host, port or DEFAULT_PORTS[scheme], path, address)


def _refuse_malformed(url: str) -> None:
    if len(url) > MAX_URL_LENGTH:
        raise TargetRefused(f"URL is longer than {MAX_URL_LENGTH} characters")
    if any(ord(char) < 0x21 or char == "\x7f" for char in url):
        raise TargetRefused("URL contains whitespace or control characters")
    if "\\" in url.split("?", 1)[0]:
        raise TargetRefused("URL contains a backslash, which parsers disagree about")


def _normalise_host(host: str) -> tuple[str, IPAddress | None]:
    """Return the host as we will resolve it, plus its address when it is an IP literal."""
    if not host:
        raise TargetRefused("URL has no host")
    if ":" in host:
        return _ipv6_literal(host)
    ascii_host = _idna(host).rstrip(".")
    if not ascii_host:
        raise TargetRefused("URL has no host")
    v4 = _ipv4_from_spelling(ascii_host)
    if v4 is not None:
        return str(v4), v4
    if len(ascii_host) > 253 or not _HOST_NAME.fullmatch(ascii_host):
        raise TargetRefused(f"'{host}' is not a valid host name")
    return ascii_host, None


def _ipv6_literal(host: str) -> tuple[str, IPAddress]:
    if "%" in host:
        raise TargetRefused("IPv6 zone identifiers are not allowed")
    try:
        ip = ipaddress.IPv6Address(host)
    except ValueError as exc:
        raise TargetRefused(f"'{host}' is not a valid IPv6 address") from exc
    return str(ip), ip


def _idna(host: str) -> str:
    """IDNA-encode first: NFKC turns '①②⑦' or full-width digits into an IPv4 spelling."""
    try:
        return host.encode("idna").decode("ascii").lower()
    except UnicodeError as exc:
        raise TargetRefused(f"'{host}' is not a valid international host name") from exc


def _ipv4_from_spelling(host: str) -> ipaddress.IPv4Address | None:
    """Read IPv4 the way browsers and inet_aton do: 127.1, 0x7f.1, 017700000001, 2130706433.

    A host whose last label is numeric is an IPv4 address or nothing (WHATWG URL standard).
    """
    labels = host.split(".")
    if not _NUMERIC_LABEL.fullmatch(labels[-1]):
        return None
    if len(labels) > 4:
        raise TargetRefused(f"'{host}' is a malformed IPv4 address")
    numbers = [_ipv4_number(label, host) for label in labels]
    *leading, last = numbers
    if any(n > 255 for n in leading) or last >= 256 ** (5 - len(numbers)):
        raise TargetRefused(f"'{host}' is a malformed IPv4 address")
    value = last + sum(n << (8 * (3 - i)) for i, n in enumerate(leading))
    return ipaddress.IPv4Address(value)


def _ipv4_number(label: str, host: str) -> int:
    try:
        if label[:2].lower() == "0x":
            return int(label[2:] or "0", 16)
        if len(label) > 1 and label.startswith("0"):
            return int(label, 8)
        return int(label, 10)
    except ValueError as exc:
        raise TargetRefused(f"'{host}' is a malformed IPv4 address") from exc


# --- Resolution --------------------------------------------------------------------------


def vet_url(
    url: str, *, allow_loopback: bool, resolver: Resolver = socket.getaddrinfo
) -> VettedTarget:
    """Parse, resolve once and vet every address; return the address to connect to."""
    target = parse_target_url(url)
    addresses = (target.address,) if target.address is not None else _resolve(target, resolver)
    for ip in addresses:
        decision = decide_address(ip, allow_loopback=allow_loopback)
        if not decision.allowed:
            raise TargetRefused(_refusal(target, decision))
    chosen = _preferred(addresses)
    port_decision = decide_port(target.port, chosen, allow_loopback=allow_loopback)
    if not port_decision.allowed:
        raise TargetRefused(port_decision.reason)
    return VettedTarget(target, chosen, addresses)


def _refusal(target: ParsedTarget, decision: Decision) -> str:
    if target.address is not None:
        return decision.reason
    return f"{target.host} resolves to a forbidden address: {decision.reason}"


def _resolve(target: ParsedTarget, resolver: Resolver) -> tuple[IPAddress, ...]:
    try:
        infos = resolver(target.host, target.port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise ResolutionFailed(f"{target.host} could not be resolved: {exc}") from exc
    families = (socket.AF_INET, socket.AF_INET6)
    found = [ipaddress.ip_address(info[4][0]) for info in infos if info[0] in families]
    if not found:
        raise ResolutionFailed(f"{target.host} has no IPv4 or IPv6 address")
    return tuple(dict.fromkeys(found))


def _preferred(addresses: tuple[IPAddress, ...]) -> IPAddress:
    """Prefer IPv4: workers may lack IPv6 routes, and we connect to one pinned address only."""
    return next((ip for ip in addresses if ip.version == 4), addresses[0])


# --- Connection layer --------------------------------------------------------------------


class _Deadline:
    """Cuts every socket of one fetch at a fixed moment, however slowly the server drips.

    Per-read timeouts restart with every byte, so a watchdog thread shuts the sockets down
    (through a dup: shutdown acts on the connection, and TLS wrapping detaches the original).
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._expires_at = time.monotonic() + seconds
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._fired = False
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    @property
    def fired(self) -> bool:
        """The watchdog has cut the sockets."""
        return self._fired

    @property
    def expired(self) -> bool:
        return self._fired or time.monotonic() >= self._expires_at

    def remaining(self) -> float:
        return max(0.0, self._expires_at - time.monotonic())

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            duplicate = sock.dup()
            self._sockets.append(duplicate)
            if self._fired:
                _shutdown(duplicate)

    def _expire(self) -> None:
        with self._lock:
            self._fired = True
            for sock in self._sockets:
                _shutdown(sock)

    def __enter__(self) -> _Deadline:
        self._timer.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._timer.cancel()
        with self._lock:
            for sock in self._sockets:
                sock.close()
            self._sockets.clear()


def _shutdown(sock: socket.socket) -> None:
    # The peer may have closed it already; then there is nothing left to cut.
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


class _WatchedConnectionMixin:
    """Registers each new socket with the fetch's deadline before TLS or HTTP use it."""

    def __init__(self, *args: Any, deadline: _Deadline, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline = deadline

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()  # type: ignore[misc]
        self._deadline.watch(sock)
        return sock


class _WatchedHTTPConnection(_WatchedConnectionMixin, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_WatchedConnectionMixin, HTTPSConnection):
    pass


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class PinnedAddressAdapter(HTTPAdapter):
    """Connects only to the address vetted for the current hop; TLS and Host keep the name.

    One adapter serves one fetch (single-threaded): ``fetch`` pins each hop's vetted target
    before sending, and a request whose URL is not that target is refused, so nothing reaches
    the network without having been vetted.
    """

    def __init__(self, deadline: _Deadline) -> None:
        self.deadline = deadline
        self._vetted: VettedTarget | None = None
        super().__init__(max_retries=0)

    def pin(self, vetted: VettedTarget) -> None:
        self._vetted = vetted

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _WatchedHTTPPool,
            "https": _WatchedHTTPSPool,
        }

    def build_connection_pool_key_attributes(
        self, request: requests.PreparedRequest, verify: bool | str, cert: Any = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(
            request, verify, cert
        )
        vetted = self._vetted_for(host_params)
        host_params["host"] = str(vetted.ip)
        if host_params["scheme"] == "https":
            pool_kwargs["server_hostname"] = vetted.target.host
            pool_kwargs["assert_hostname"] = vetted.target.host
        return host_params, pool_kwargs

    def _vetted_for(self, host_params: dict[str, Any]) -> VettedTarget:
        vetted = self._vetted
        scheme = host_params["scheme"]
        port = host_params["port"] or DEFAULT_PORTS.get(scheme)
        if vetted is None or (scheme, host_params["host"], port) != (
            vetted.target.scheme,
            vetted.target.host,
            vetted.target.port,
        ):
            raise TargetRefused("request was not vetted by the SSRF guard")
        return vetted

    def get_connection_with_tls_context(
        self,
        request: requests.PreparedRequest,
        verify: bool | str,
        proxies: Mapping[str, str] | None = None,
        cert: Any = None,
    ) -> HTTPConnectionPool:
        pool = super().get_connection_with_tls_context(request, verify, None, cert)
        pool.conn_kw["deadline"] = self.deadline
        return pool

    def send(  # type: ignore[override]
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: bool | str = True,
        cert: Any = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """Never use a proxy: it would connect somewhere other than the vetted address."""
        return super().send(request, stream, timeout, verify, cert, proxies=None)


# --- Fetch -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _FetchOptions:
    allow_loopback: bool
    limits: ProbeLimits
    headers: Mapping[str, str]
    follow_redirects: bool
    verify: bool | str
    resolver: Resolver
    body: bytes | None = None


def fetch(
    url: str,
    *,
    allow_loopback: bool,
    limits: ProbeLimits = DEFAULT_LIMITS,
    method: str = "GET",
    headers: Mapping[str, str] | None = None,
    follow_redirects: bool = True,
    verify: bool | str = True,
    resolver: Resolver = socket.getaddrinfo,
    body: bytes | None = None,
) -> GuardedResponse:
    """Fetch a URL through the guard: every hop vetted, one total deadline, capped body.

    Raises a ``ProbeFailed`` subclass, with the hops answered so far in ``chain``, when the
    guard refuses a hop or the server cannot be read within the limits. The deadline covers
    connecting, TLS and reading; name resolution is bounded by the system resolver's timeouts.
    A new connection pool serves each call, so no connection outlives its fetch; no cookies
    are carried between hops. ``body`` goes with a POST (and stays with it through a 307 or
    308 redirect, as in browsers).
    """
    options = _FetchOptions(
        allow_loopback=allow_loopback,
        limits=limits,
        headers={k: v for k, v in (headers or {}).items() if k.lower() != "host"},
        follow_redirects=follow_redirects,
        verify=verify,
        resolver=resolver,
        body=body,
    )
    started = time.monotonic()
    adapter = PinnedAddressAdapter(_Deadline(limits.deadline_seconds))
    redirects: list[Hop] = []
    try:
        with contextlib.closing(adapter), adapter.deadline:
            return _follow(adapter, url, method, options, redirects, started)
    except ProbeFailed as exc:
        exc.chain = tuple(redirects)
        raise


def _follow(
    adapter: PinnedAddressAdapter,
    url: str,
    method: str,
    options: _FetchOptions,
    redirects: list[Hop],
    started: float,
) -> GuardedResponse:
    """Send, and while the answer is a redirect, vet the next hop from scratch and send again."""
    while True:
        vetted = vet_url(url, allow_loopback=options.allow_loopback, resolver=options.resolver)
        response, hop = _send(adapter, vetted, method, options)
        location = response.headers.get("Location") if options.follow_redirects else None
        if response.status_code not in REDIRECT_STATUSES or not location:
            return _final(response, hop, redirects, options.limits, adapter.deadline, started)
        response.close()
        redirects.append(hop)
        if len(redirects) > options.limits.max_redirects:
            raise RedirectLimitExceeded(
                f"stopped after {options.limits.max_redirects} redirects: "
                f"{hop.url} redirects again to {location}"
            )
        url = urljoin(vetted.url, location)
        method = _redirect_method(response.status_code, method)


def _send(
    adapter: PinnedAddressAdapter,
    vetted: VettedTarget,
    method: str,
    options: _FetchOptions,
) -> tuple[requests.Response, Hop]:
    deadline = adapter.deadline
    if deadline.expired:
        raise DeadlineExceeded(f"the {deadline.seconds:g} s deadline passed before {vetted.url}")
    prepared = requests.PreparedRequest()
    data = options.body if method in BODY_METHODS else None
    prepared.prepare(
        method=method, url=vetted.url, headers=_request_headers(vetted, options), data=data
    )
    adapter.pin(vetted)
    remaining = deadline.remaining()
    timeout = (
        min(options.limits.connect_timeout, remaining),
        min(options.limits.read_timeout, remaining),
    )
    sent_at = time.monotonic()
    with _translated_errors(deadline, vetted.url):
        response = adapter.send(prepared, stream=True, timeout=timeout, verify=options.verify)
    hop = Hop(
        url=vetted.url,
        ip=str(vetted.ip),
        status=response.status_code,
        headers=tuple(response.raw.headers.items()),
        elapsed_seconds=time.monotonic() - sent_at,
    )
    return response, hop


def _request_headers(vetted: VettedTarget, options: _FetchOptions) -> dict[str, str]:
    defaults = {**requests.utils.default_headers(), "User-Agent": USER_AGENT}
    return {**defaults, **options.headers, "Host": vetted.target.host_header}


def _final(
    response: requests.Response,
    hop: Hop,
    redirects: list[Hop],
    limits: ProbeLimits,
    deadline: _Deadline,
    started: float,
) -> GuardedResponse:
    with _translated_errors(deadline, hop.url), contextlib.closing(response):
        body, truncated = _read_capped(response.raw, limits.max_body_bytes)
    if deadline.fired:  # the watchdog cut the socket: what we read may be partial
        raise DeadlineExceeded(f"{hop.url} was cut off at the {deadline.seconds:g} s deadline")
    return GuardedResponse(
        url=hop.url,
        ip=hop.ip,
        status=hop.status,
        http_version=response.raw.version_string,
        headers=hop.headers,
        body=body,
        truncated=truncated,
        ttfb_seconds=hop.elapsed_seconds,
        total_seconds=time.monotonic() - started,
        redirects=tuple(redirects),
    )


def _read_capped(raw: urllib3.BaseHTTPResponse, cap: int) -> tuple[bytes, bool]:
    """Read at most ``cap`` decoded bytes; one byte more tells us the body was longer."""
    chunks: list[bytes] = []
    size = 0
    while size <= cap:
        chunk = raw.read(min(64 * 1024, cap + 1 - size), decode_content=True)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    body = b"".join(chunks)
    return body[:cap], size > cap


def _redirect_method(status: int, method: str) -> str:
    """What browsers do: 303 becomes GET, and so does POST after 301/302."""
    if status == 303 and method != "HEAD":
        return "GET"
    if status in (301, 302) and method == "POST":
        return "GET"
    return method


@contextlib.contextmanager
def _translated_errors(deadline: _Deadline, url: str) -> Iterator[None]:
    """Turn requests/urllib3/socket errors into ProbeFailed subclasses with a plain reason."""
    try:
        yield
    except (OSError, urllib3.exceptions.HTTPError) as exc:  # requests' errors are OSErrors
        raise _probe_error(exc, deadline, url) from exc


def _probe_error(exc: Exception, deadline: _Deadline, url: str) -> ProbeFailed:
    if deadline.expired:
        return DeadlineExceeded(f"{url} did not answer within the {deadline.seconds:g} s deadline")
    reason = plain_reason(exc)
    if isinstance(exc, ssl.SSLError | requests.exceptions.SSLError | urllib3.exceptions.SSLError):
        return TLSFailed(f"TLS with {url} failed: {reason}")
    if isinstance(exc, TimeoutError | requests.Timeout | urllib3.exceptions.TimeoutError):
        return ProbeTimeout(f"{url} timed out")
    return ConnectionFailed(f"could not read {url}: {reason}")


# OpenSSL reasons people meet when probing, said the way a person would say them.
SSL_REASONS = {
    "WRONG_VERSION_NUMBER": "the port does not speak TLS (it may serve plain HTTP)",
    "UNSUPPORTED_PROTOCOL": "no TLS version both sides accept",
    "TLSV1_ALERT_PROTOCOL_VERSION": "no TLS version both sides accept",
    "SSLV3_ALERT_HANDSHAKE_FAILURE": "the handshake was refused (no common cipher?)",
    "TLSV1_UNRECOGNIZED_NAME": "the server does not know this host name (SNI)",
}


def plain_reason(exc: BaseException) -> str:
    """The root cause of a requests/urllib3 error in a few words, not a nested repr: the
    cause chain is walked to the socket or OpenSSL error underneath."""
    seen: set[int] = set()
    current: BaseException | None = exc
    root = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        root = current
        wrapped = getattr(current, "reason", None)  # urllib3's MaxRetryError keeps it here
        if isinstance(wrapped, BaseException):
            current = wrapped
            continue
        nested = current.args[0] if current.args else None
        current = nested if isinstance(nested, BaseException) else current.__cause__
    if isinstance(root, ssl.SSLCertVerificationError):
        return f"certificate verify failed: {root.verify_message or 'not trusted'}"
    if isinstance(root, ssl.SSLError):
        code = getattr(root, "reason", None) or ""
        return SSL_REASONS.get(code, code.replace("_", " ").lower() or str(root))
    if isinstance(root, ConnectionRefusedError):
        return "connection refused"
    if isinstance(root, ConnectionResetError):
        return "the connection was reset"
    if isinstance(root, TimeoutError):
        return "timed out"
    return str(root) or type(root).__name__
