"""Local probe targets for tests: a hardened site, a naive one, and hostile servers.

Every server listens on 127.0.0.1 at a random port, runs in daemon threads and is a context
manager yielding a ``TargetServer``; nothing here talks to any other address. Sites sniff the
first byte of each connection, so one port answers both TLS and plain HTTP -- which is what
the probe expects of a loopback target on a non-standard port (it tries https:// and http://
on the same port). A site without TLS answers a ClientHello with a plain-text 400, like a real
plain-HTTP server.

Certificates come from a trustme CA (``LocalCA``); its bundle is handed to the code under test
in place of the system trust store.

Pacing inside hostile servers (one byte every 0.1 s) is their behaviour, not synchronisation:
tests wait on the client's deadline, never on a sleep.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import http.server
import socket
import socketserver
import ssl
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import trustme

HOST = "localhost"
TLS_RECORD_HANDSHAKE = 0x16
NAIVE_SERVER_HEADER = "Apache/2.4.1 (Unix) PHP/5.6.40"
NAIVE_POWERED_BY = "PHP/5.6.40"
SSH_BANNER = b"SSH-2.0-OpenSSH_9.0\r\n"
HOSTILE_GIVE_UP_SECONDS = 10  # a hostile server stops on its own if a client never leaves

HARDENED_HEADERS = {
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains; preload",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}
STATIC_CSS = b"body { font-family: sans-serif; margin: 0 auto; max-width: 40rem; }\n" * 20
STATIC_ETAG = '"' + hashlib.sha256(STATIC_CSS).hexdigest()[:16] + '"'
STATIC_LAST_MODIFIED = "Wed, 01 Jan 2025 00:00:00 GMT"
SECURITY_TXT = (
    "Contact: mailto:security@example.com\nExpires: 2099-12-31T23:59:59Z\nPreferred-Languages: en\n"
)
ROBOTS_TXT = "User-agent: *\nDisallow: /search\n"
TRACEBACK_404 = """<html><body><h1>Internal error while rendering 404</h1><pre>
Traceback (most recent call last):
  File "/srv/app/views.py", line 42, in page
    return render(request, PAGES[slug])
KeyError: 'scaleready-missing'
</pre></body></html>"""
FILLER = "<p>" + "Scalability readiness test page. " * 60 + "</p>\n"


# --- Certificates ----------------------------------------------------------------------------


class LocalCA:
    """A trustme CA and its bundle file; certificates for the test servers come from it."""

    def __init__(self, directory: Path) -> None:
        self.ca = trustme.CA()
        self.bundle = str(directory / "probe-ca.pem")
        self.ca.cert_pem.write_to_path(self.bundle)

    def server_context(
        self,
        *identities: str,
        not_before: datetime | None = None,
        not_after: datetime | None = None,
        legacy_tls: bool = False,
    ) -> ssl.SSLContext:
        """A server context with a leaf certificate for ``identities`` (default: localhost)."""
        leaf = self.ca.issue_cert(
            *(identities or (HOST,)), not_before=not_before, not_after=not_after
        )
        context = _server_context(legacy_tls=legacy_tls)
        leaf.configure_cert(context)
        return context

    def expired_context(self) -> ssl.SSLContext:
        now = datetime.now(UTC)
        return self.server_context(
            HOST, not_before=now - timedelta(days=60), not_after=now - timedelta(days=2)
        )


def self_signed_context(hostname: str = HOST) -> ssl.SSLContext:
    """A certificate that signs itself: trusted by no bundle, valid for ``hostname``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=90))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(hostname)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    context = _server_context()
    with tempfile.TemporaryDirectory() as directory:
        cert_path, key_path = Path(directory) / "cert.pem", Path(directory) / "key.pem"
        cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(key_pem)
        context.load_cert_chain(cert_path, key_path)
    return context


def _server_context(*, legacy_tls: bool = False) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    if legacy_tls:  # accepts TLS 1.0/1.1 (needs SECLEVEL=0 with OpenSSL 3)
        context.minimum_version = ssl.TLSVersion.TLSv1
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
    else:
        context.minimum_version = ssl.TLSVersion.TLSv1_2
    # Offering h2 makes ALPN report it to a client offering h2 first (the TLS gatherer);
    # HTTP clients offering only http/1.1 (urllib3) still get HTTP/1.1, which is all we speak.
    context.set_alpn_protocols(["h2", "http/1.1"])
    return context


# --- Server plumbing -------------------------------------------------------------------------


@dataclass(frozen=True)
class SeenRequest:
    method: str
    path: str
    headers: dict[str, str]
    tls: bool


@dataclass
class TargetServer:
    """A running local target. ``url`` is its base URL (https:// when it speaks TLS)."""

    port: int
    tls: bool
    requests: list[SeenRequest] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)  # the live settings of the handler

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{HOST}:{self.port}/"

    @property
    def http_url(self) -> str:
        return f"http://{HOST}:{self.port}/"

    def paths(self) -> list[str]:
        return [request.path for request in self.requests]


class _SiteServer(http.server.ThreadingHTTPServer):
    """One port, both schemes: TLS when the first byte opens a TLS handshake record."""

    daemon_threads = True

    def __init__(
        self,
        handler: type[http.server.BaseHTTPRequestHandler],
        tls_context: ssl.SSLContext | None,
        config: dict[str, Any],
        bind: tuple[str, int] = ("127.0.0.1", 0),
    ) -> None:
        super().__init__(bind, handler)
        self.tls_context = tls_context
        self.config = config
        self.target = TargetServer(
            port=self.server_address[1], tls=tls_context is not None, config=config
        )
        self.lock = threading.Lock()
        self.request_count = 0

    def finish_request(self, request: socket.socket, client_address: Any) -> None:
        request.settimeout(5)
        # Headers and body go out in separate writes; without this, delayed ACKs add ~40 ms.
        request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            first = request.recv(1, socket.MSG_PEEK)
        except OSError:
            return
        if first and first[0] == TLS_RECORD_HANDSHAKE:
            if self.tls_context is None:
                # What a plain-HTTP server does with a ClientHello: a plain-text 400.
                with contextlib.suppress(OSError):
                    request.sendall(b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n")
                return
            try:
                request = self.tls_context.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError):
                return  # the client rejected our certificate or offered an old protocol
        try:
            self.RequestHandlerClass(request, client_address, self)
        finally:
            if isinstance(request, ssl.SSLSocket):
                request.close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients cutting connections at their deadline is what hostile tests do

    def count_request(self) -> int:
        with self.lock:
            self.request_count += 1
            return self.request_count


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 5
    server: _SiteServer
    server_header = "scaleready-test"

    def version_string(self) -> str:
        return self.server_header

    def log_message(self, format: str, *args: Any) -> None:
        pass

    @property
    def is_tls(self) -> bool:
        return isinstance(self.connection, ssl.SSLSocket)

    def do_GET(self) -> None:
        self.server.target.requests.append(
            SeenRequest(self.command, self.path, dict(self.headers.items()), self.is_tls)
        )
        self.server.count_request()
        self.route()

    def route(self) -> None:
        raise NotImplementedError

    def respond(
        self,
        status: int,
        body: bytes | str = b"",
        headers: dict[str, str] | None = None,
        cookies: tuple[str, ...] = (),
        *,
        compress: bool = False,
    ) -> None:
        data = body.encode() if isinstance(body, str) else body
        headers = dict(headers or {})
        if compress and "gzip" in self.headers.get("Accept-Encoding", ""):
            data = gzip.compress(data)
            headers["Content-Encoding"] = "gzip"
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        for cookie in cookies:
            self.send_header("Set-Cookie", cookie)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)


@contextlib.contextmanager
def serve(
    handler: type[_Handler],
    tls_context: ssl.SSLContext | None = None,
    *,
    bind: tuple[str, int] = ("127.0.0.1", 0),
    **config: Any,
) -> Iterator[TargetServer]:
    server = _SiteServer(handler, tls_context, config, bind)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server.target
    finally:
        server.shutdown()
        server.server_close()


# --- The hardened site -------------------------------------------------------------------------


class HardenedHandler(_Handler):
    """Everything a well-run site does; plain HTTP answers 301 to the same URL over HTTPS."""

    def route(self) -> None:
        delay = self.server.config.get("response_delay")
        if delay:
            time.sleep(delay)  # a distant or slow server (the wait is its behaviour)
        if not self.is_tls:
            host = self.headers.get("Host", f"{HOST}:{self.server.target.port}")
            self.respond(301, headers={"Location": f"https://{host}{self.path}"})
            return
        limit = self.server.config.get("rate_limit_after")
        if limit is not None and self.server.request_count > limit:
            self.respond(429, "slow down\n", {**self._security(), "Retry-After": "30"})
            return
        path = self.path.split("?", 1)[0]
        file_token = self.server.config.get("file_token")
        if path == "/":
            self._home()
        elif path == "/static/app.css":
            self._stylesheet()
        elif path == "/robots.txt":
            self.respond(200, ROBOTS_TXT, self._text())
        elif path == "/.well-known/security.txt":
            self.respond(200, SECURITY_TXT, self._text())
        elif file_token and path == f"/.well-known/scaleready-{file_token}.txt":
            self.respond(200, f"{file_token}\n", self._text())
        else:
            html = "<!doctype html><title>Not found</title><h1>Not found</h1>"
            self.respond(404, html, self._html())

    def _home(self) -> None:
        meta_token = self.server.config.get("meta_token")
        meta = f'<meta name="scaleready-verification" content="{meta_token}">' if meta_token else ""
        html = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f'<title>Hardened</title><link rel="stylesheet" href="/static/app.css">{meta}'
            f"</head><body><h1>Hardened test site</h1>{FILLER * 3}</body></html>"
        )
        headers = {**self._html(), "Cache-Control": "no-cache", "Vary": "Accept-Encoding"}
        cookie = "sessionid=s3cr3t; Path=/; Secure; HttpOnly; SameSite=Lax"
        self.respond(200, html, headers, (cookie,), compress=True)

    def _stylesheet(self) -> None:
        headers = {
            **self._security(),
            "Content-Type": "text/css; charset=utf-8",
            "Cache-Control": "public, max-age=31536000, immutable",
            "ETag": STATIC_ETAG,
            "Last-Modified": STATIC_LAST_MODIFIED,
        }
        if self.headers.get("If-None-Match") == STATIC_ETAG:
            self.respond(304, b"", headers)
            return
        self.respond(200, STATIC_CSS, headers)

    def _security(self) -> dict[str, str]:
        return dict(HARDENED_HEADERS)

    def _html(self) -> dict[str, str]:
        return {**self._security(), "Content-Type": "text/html; charset=utf-8"}

    def _text(self) -> dict[str, str]:
        return {**self._security(), "Content-Type": "text/plain; charset=utf-8"}


@contextlib.contextmanager
def hardened_server(
    ca: LocalCA,
    *,
    file_token: str | None = None,
    meta_token: str | None = None,
    rate_limit_after: int | None = None,
    tls_context: ssl.SSLContext | None = None,
    response_delay: float = 0.0,
) -> Iterator[TargetServer]:
    """The hardened site over HTTPS (certificate for localhost from ``ca``) plus HTTP -> 301.

    ``file_token``/``meta_token`` publish an ownership token; ``rate_limit_after`` answers 429
    with Retry-After once that many requests have been served; ``response_delay`` seconds pass
    before every answer (``target.config["response_delay"]`` changes it while it runs).
    """
    context = tls_context or ca.server_context()
    with serve(
        HardenedHandler,
        context,
        file_token=file_token,
        meta_token=meta_token,
        rate_limit_after=rate_limit_after,
        response_delay=response_delay,
    ) as target:
        yield target


@contextlib.contextmanager
def hardened_site_on_web_ports(ca: LocalCA, address: str) -> Iterator[str]:
    """The hardened site as a real one is served: HTTPS on ``address``:443 (certificate for
    that address) and the 301 on ``address``:80, for tools that take no port (Observatory's
    scanner). Yields the base URL. Binding ports below 1024 needs root; any 127/8 address is
    loopback, so each user of this picks its own."""
    with (
        serve(HardenedHandler, ca.server_context(address), bind=(address, 443)),
        serve(HardenedHandler, None, bind=(address, 80)),
    ):
        yield f"https://{address}/"


# --- The naive site ------------------------------------------------------------------------


class NaiveHandler(_Handler):
    """Plain HTTP only, versions disclosed, no security headers, leaky errors, lax CORS."""

    server_header = NAIVE_SERVER_HEADER

    def route(self) -> None:
        headers = {"X-Powered-By": NAIVE_POWERED_BY}
        origin = self.headers.get("Origin")
        if origin:
            headers["Access-Control-Allow-Origin"] = origin
            headers["Access-Control-Allow-Credentials"] = "true"
        path = self.path.split("?", 1)[0]
        if path == "/":
            html = (
                "<html><head><title>Naive</title></head><body><h1>Naive test site</h1>"
                f'<script src="/js/app.js"></script>{FILLER * 3}</body></html>'
            )
            headers["Content-Type"] = "text/html"
            self.respond(200, html, headers, ("PHPSESSID=abc123; path=/",))
        elif path == "/js/app.js":
            self.respond(
                200, "console.log('naive');\n" * 20, {**headers, "Content-Type": "text/javascript"}
            )
        else:
            self.respond(404, TRACEBACK_404, {**headers, "Content-Type": "text/html"})


@contextlib.contextmanager
def naive_server() -> Iterator[TargetServer]:
    with serve(NaiveHandler) as target:
        yield target


# --- Hostile servers ------------------------------------------------------------------------


class EndlessRedirectHandler(_Handler):
    def route(self) -> None:
        hop = self.server.request_count
        self.respond(302, headers={"Location": f"/loop/{hop}"})


class HugeBodyHandler(_Handler):
    """A 20 MB page, streamed as fast as the client reads it."""

    size = 20_000_000

    def route(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(self.size))
        self.end_headers()
        chunk = b"<p>big</p>" * 6_400
        sent = 0
        with contextlib.suppress(OSError):  # the client stops reading at its cap
            while sent < self.size:
                self.wfile.write(chunk)
                sent += len(chunk)


class FailingHandler(_Handler):
    """A site that is down: 503 for everything."""

    def route(self) -> None:
        self.respond(503, "upstream unavailable\n", {"Content-Type": "text/plain"})


class DegradingHandler(_Handler):
    """Fast for its first ``fast_requests`` answers, then each answer takes ``delay`` seconds:
    a server running out of capacity (the wait is its behaviour, not test synchronisation)."""

    def route(self) -> None:
        if self.server.request_count > self.server.config["fast_requests"]:
            time.sleep(self.server.config["delay"])
        self.respond(200, "ok\n", {"Content-Type": "text/plain"})


@contextlib.contextmanager
def degrading_server(fast_requests: int, delay: float) -> Iterator[TargetServer]:
    with serve(DegradingHandler, fast_requests=fast_requests, delay=delay) as target:
        yield target


class RareSlowHandler(_Handler):
    """Fast, except that one answer in every ``period`` takes ``delay`` seconds: the rare slow
    response (a GC pause, a cold cache) that must not decide a latency verdict. Which answer
    is slow is fixed by the request count, so every run of ``period`` requests meets exactly
    one (the wait is the server's behaviour, not test synchronisation)."""

    def route(self) -> None:
        config = self.server.config
        if self.server.request_count % config["period"] == config["slow_at"]:
            time.sleep(config["delay"])
        self.respond(200, "ok\n", {"Content-Type": "text/plain"})


@contextlib.contextmanager
def rare_slow_server(period: int, slow_at: int, delay: float) -> Iterator[TargetServer]:
    with serve(RareSlowHandler, period=period, slow_at=slow_at, delay=delay) as target:
        yield target


@contextlib.contextmanager
def endless_redirect_server(tls_context: ssl.SSLContext | None = None) -> Iterator[TargetServer]:
    """Every path redirects to a new one, forever (over HTTPS when given a context)."""
    with serve(EndlessRedirectHandler, tls_context) as target:
        yield target


@contextlib.contextmanager
def failing_server() -> Iterator[TargetServer]:
    with serve(FailingHandler) as target:
        yield target


@contextlib.contextmanager
def huge_body_server() -> Iterator[TargetServer]:
    with serve(HugeBodyHandler) as target:
        yield target


@contextlib.contextmanager
def raw_server(handle: Callable[[socket.socket, threading.Event], None]) -> Iterator[int]:
    """A loopback TCP server whose connections ``handle`` serves; yields its port."""
    stop = threading.Event()

    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            self.request.settimeout(5)
            with contextlib.suppress(OSError):
                handle(self.request, stop)

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        yield server.server_address[1]
    finally:
        stop.set()
        server.shutdown()
        server.server_close()


def _read_head(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk or chunk[0] == TLS_RECORD_HANDSHAKE:
            return b""  # gone, or a TLS client: this server speaks plain HTTP only
        data += chunk
    return data


def _drip(conn: socket.socket, stop: threading.Event) -> None:
    """Headers promising a large body, then one byte every 0.1 s until the client leaves."""
    if not _read_head(conn):
        return
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000\r\n\r\n")
    give_up_at = time.monotonic() + HOSTILE_GIVE_UP_SECONDS
    while time.monotonic() < give_up_at and not stop.wait(0.1):
        conn.sendall(b"x")


def _ssh_banner(conn: socket.socket, stop: threading.Event) -> None:
    conn.sendall(SSH_BANNER)


@contextlib.contextmanager
def slow_drip_server() -> Iterator[TargetServer]:
    with raw_server(_drip) as port:
        yield TargetServer(port=port, tls=False)


@contextlib.contextmanager
def silent_server() -> Iterator[TargetServer]:
    """Accepts connections and never says a word (nor closes them, until it gives up)."""
    with raw_server(lambda conn, stop: stop.wait(HOSTILE_GIVE_UP_SECONDS)) as port:
        yield TargetServer(port=port, tls=False)


@contextlib.contextmanager
def non_http_server() -> Iterator[TargetServer]:
    """Speaks SSH: sends its banner and closes, whatever the client says."""
    with raw_server(_ssh_banner) as port:
        yield TargetServer(port=port, tls=False)


@contextlib.contextmanager
def closed_port() -> Iterator[TargetServer]:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    yield TargetServer(port=port, tls=False)


# --- Network policing ------------------------------------------------------------------------


@contextlib.contextmanager
def loopback_only() -> Iterator[None]:
    """Make any connection to a non-loopback address fail the test, from every thread.

    Gatherers connect from worker threads, so unlike a main-thread-only guard this polices
    them all; nothing in the probe tests has a reason to leave the machine.
    """
    import ipaddress

    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def check(address: Any) -> None:
        if isinstance(address, tuple):
            host = str(address[0]).split("%")[0]
            if not ipaddress.ip_address(host).is_loopback:
                raise AssertionError(f"a probe test tried to connect to {address!r}")

    def connect(sock: socket.socket, address: Any) -> None:
        check(address)
        return real_connect(sock, address)

    def connect_ex(sock: socket.socket, address: Any) -> int:
        check(address)
        return real_connect_ex(sock, address)

    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
    try:
        yield
    finally:
        socket.socket.connect = real_connect  # type: ignore[method-assign]
        socket.socket.connect_ex = real_connect_ex  # type: ignore[method-assign]
