"""The SSRF guard at the connection level, against loopback servers started here.

Nothing in this module may connect beyond loopback: ``network_blocked`` turns any such attempt
into a test failure, so "refused at the hop" also means "never connected". No database needed.
"""

import http.server
import ipaddress
import socket
import socketserver
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
import trustme
from werkzeug import Response

from checks.engine.safety import (
    SSL_REASONS,
    ConnectionFailed,
    DeadlineExceeded,
    ProbeLimits,
    RedirectLimitExceeded,
    TargetRefused,
    TLSFailed,
    fetch,
)

FAST = ProbeLimits(connect_timeout=1, read_timeout=2, deadline_seconds=3, max_body_bytes=100_000)


@pytest.fixture(autouse=True, scope="module")
def network_blocked():
    """Fail the test if it connects to a non-loopback address.

    Only the test thread is policed (fetch connects from the calling thread): background
    threads of other fixtures, such as a Celery worker's broker client, are not ours to break.
    """

    def loopback_only(sock, address, *args, **kwargs):
        if _in_test_thread() and isinstance(address, tuple) and not _is_loopback(address[0]):
            raise AssertionError(f"test tried to connect to {address!r}")
        return real_connect(sock, address, *args, **kwargs)

    real_connect = socket.socket.connect
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket.socket, "connect", loopback_only)
        mp.setattr(socket.socket, "connect_ex", loopback_only)
        yield


def _in_test_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _is_loopback(host: str) -> bool:
    return ipaddress.ip_address(host.split("%")[0]).is_loopback


def resolver_for(table: dict[str, str]):
    """A getaddrinfo stand-in: only the names in ``table``, each to one address."""

    calls: list[str] = []

    def resolve(host, port, *args, **kwargs):
        calls.append(host)
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (table[host], port))]

    resolve.calls = calls
    return resolve


# --- Servers -----------------------------------------------------------------------------


@contextmanager
def raw_server(handle: Callable[[socket.socket, threading.Event], None]) -> Iterator[int]:
    """A loopback TCP server whose connections are handled by ``handle``; yields its port."""
    stop = threading.Event()

    class Handler(socketserver.BaseRequestHandler):
        def handle(self):
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


def read_request_head(conn: socket.socket) -> None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            return
        data += chunk


def drip(conn: socket.socket, stop: threading.Event, payload: bytes, *, http: bool = True) -> None:
    """Send ``payload`` then one byte every 0.2 s until the client goes away.

    It gives up after 3 s, so a client without a working deadline fails the timing
    assertion instead of hanging the test run.
    """
    give_up_at = time.monotonic() + 3
    try:
        if http:
            read_request_head(conn)
        else:
            conn.recv(4096)
        conn.sendall(payload)
        while time.monotonic() < give_up_at and not stop.wait(0.2):
            conn.sendall(b"x")
    except OSError:
        return  # the client cut the connection, which is what the tests expect


@pytest.fixture
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def ca_bundle(ca, tmp_path) -> str:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


@contextmanager
def https_server(ca: trustme.CA, cert_hostname: str) -> Iterator[tuple[int, list[str], list]]:
    """A loopback HTTPS server with a certificate for ``cert_hostname``.

    Yields its port, the SNI names and Host headers it received.
    """
    seen_sni: list[str] = []
    seen_host: list = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert(cert_hostname).configure_cert(context)
    context.sni_callback = lambda sock, name, ctx: seen_sni.append(name)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            seen_host.append(self.headers["Host"])
            self.send_response(200)
            self.send_header("Content-Length", "5")
            self.end_headers()
            self.wfile.write(b"hello")

        def log_message(self, *args):
            pass

    class Server(http.server.ThreadingHTTPServer):
        daemon_threads = True

        def get_request(self):
            sock, address = self.socket.accept()
            return context.wrap_socket(sock, server_side=True), address

        def handle_error(self, request, client_address):
            pass  # a client rejecting our certificate is the point of some tests

    server = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        yield server.server_address[1], seen_sni, seen_host
    finally:
        server.shutdown()
        server.server_close()


# --- Loopback flag -----------------------------------------------------------------------


def test_loopback_target_is_refused_before_connecting_without_the_flag(httpserver):
    httpserver.expect_request("/").respond_with_data("hello")
    with pytest.raises(TargetRefused, match="loopback"):
        fetch(httpserver.url_for("/"), allow_loopback=False, limits=FAST)
    assert httpserver.log == []


def test_loopback_target_is_fetched_with_the_flag(httpserver):
    httpserver.expect_request("/").respond_with_data("hello", headers={"X-Probe": "yes"})
    response = fetch(httpserver.url_for("/"), allow_loopback=True, limits=FAST)
    assert (response.status, response.body, response.truncated) == (200, b"hello", False)
    assert response.header("x-probe") == "yes"
    assert response.ip == "127.0.0.1"
    assert response.redirects == ()


def test_connects_to_the_vetted_address_without_a_second_lookup(httpserver):
    """The name exists only in the injected resolver, so any second lookup would fail."""
    httpserver.expect_request("/").respond_with_data("hello")
    resolver = resolver_for({"probe-target.test": "127.0.0.1"})
    url = f"http://probe-target.test:{httpserver.port}/"
    response = fetch(url, allow_loopback=True, limits=FAST, resolver=resolver)
    assert response.status == 200
    assert resolver.calls == ["probe-target.test"]
    request, _ = httpserver.log[0]
    assert request.headers["Host"] == f"probe-target.test:{httpserver.port}"


# --- Redirects ---------------------------------------------------------------------------


def redirect(location: str) -> Response:
    return Response(status=302, headers={"Location": location})


@pytest.mark.parametrize(
    ("location", "reason"),
    [
        ("http://169.254.169.254/latest/meta-data/", "cloud metadata endpoint"),
        ("http://10.0.0.1/", "private"),
        ("http://internal.example/admin", "internal.example resolves to a forbidden address"),
        ("http://[::ffff:10.0.0.1]/", "IPv4-mapped"),
        ("gopher://127.0.0.1:6379/_INFO", "scheme 'gopher'"),
    ],
)
def test_redirect_to_a_forbidden_target_is_refused_at_the_hop(httpserver, location, reason):
    httpserver.expect_request("/start").respond_with_response(redirect(location))
    resolver = resolver_for({"localhost": "127.0.0.1", "internal.example": "10.0.0.5"})
    with pytest.raises(TargetRefused, match=reason) as refused:
        fetch(httpserver.url_for("/start"), allow_loopback=True, limits=FAST, resolver=resolver)
    assert [hop.status for hop in refused.value.chain] == [302]
    assert refused.value.chain[0].header("Location") == location


def test_redirects_are_followed_and_recorded(httpserver):
    httpserver.expect_request("/a").respond_with_response(redirect("/b"))
    httpserver.expect_request("/b").respond_with_response(redirect(httpserver.url_for("/c")))
    httpserver.expect_request("/c").respond_with_data("done")
    response = fetch(httpserver.url_for("/a"), allow_loopback=True, limits=FAST)
    assert response.body == b"done"
    assert response.url == httpserver.url_for("/c")
    assert [hop.url for hop in response.redirects] == [
        httpserver.url_for("/a"),
        httpserver.url_for("/b"),
    ]
    assert response.total_seconds >= response.ttfb_seconds > 0


def test_redirects_are_not_followed_when_asked(httpserver):
    httpserver.expect_request("/a").respond_with_response(redirect("http://10.0.0.1/"))
    response = fetch(
        httpserver.url_for("/a"), allow_loopback=True, limits=FAST, follow_redirects=False
    )
    assert (response.status, response.header("location")) == (302, "http://10.0.0.1/")


def test_a_redirect_body_is_capped_like_any_other(httpserver):
    httpserver.expect_request("/a").respond_with_response(
        Response(b"x" * 5_000_000, status=302, headers={"Location": "/b"})
    )
    response = fetch(
        httpserver.url_for("/a"), allow_loopback=True, limits=FAST, follow_redirects=False
    )
    assert (response.status, len(response.body), response.truncated) == (302, 100_000, True)


def test_request_headers_are_sent_with_the_probe_user_agent(httpserver):
    httpserver.expect_request("/").respond_with_data("hello")
    fetch(httpserver.url_for("/"), allow_loopback=True, limits=FAST, headers={"Origin": "x"})
    request, _ = httpserver.log[0]
    assert request.headers["User-Agent"].startswith("ScaleReady-Probe/")
    assert request.headers["Origin"] == "x"
    assert request.headers["Host"] == f"localhost:{httpserver.port}"


def test_a_redirect_loop_stops_after_five_redirects(httpserver):
    httpserver.expect_request("/loop").respond_with_response(redirect("/loop"))
    with pytest.raises(RedirectLimitExceeded, match="stopped after 5 redirects") as stopped:
        fetch(httpserver.url_for("/loop"), allow_loopback=True, limits=FAST)
    assert len(httpserver.log) == 6  # the first request and five redirects
    assert len(stopped.value.chain) == 6


# --- Limits ------------------------------------------------------------------------------


def test_a_slow_drip_body_is_cut_off_at_the_deadline():
    limits = ProbeLimits(connect_timeout=1, read_timeout=5, deadline_seconds=0.6)
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n"
    with raw_server(lambda conn, stop: drip(conn, stop, head)) as port:
        started = time.monotonic()
        with pytest.raises(DeadlineExceeded, match="deadline"):
            fetch(f"http://127.0.0.1:{port}/", allow_loopback=True, limits=limits)
        elapsed = time.monotonic() - started
    assert 0.6 <= elapsed < 0.6 + 0.4


def test_slow_drip_headers_are_cut_off_at_the_deadline():
    limits = ProbeLimits(connect_timeout=1, read_timeout=5, deadline_seconds=0.6)
    with raw_server(lambda conn, stop: drip(conn, stop, b"HTTP/1.1 200 OK\r\nX-Drip: ")) as port:
        started = time.monotonic()
        with pytest.raises(DeadlineExceeded):
            fetch(f"http://127.0.0.1:{port}/", allow_loopback=True, limits=limits)
        elapsed = time.monotonic() - started
    assert 0.6 <= elapsed < 0.6 + 0.4


def test_a_slow_tls_handshake_is_cut_off_at_the_deadline():
    limits = ProbeLimits(connect_timeout=1, read_timeout=5, deadline_seconds=0.6)
    record_head = b"\x16\x03\x03\x40\x00"  # a 16 KiB handshake record, then 1 byte / 0.2 s
    with raw_server(lambda conn, stop: drip(conn, stop, record_head, http=False)) as port:
        started = time.monotonic()
        with pytest.raises(DeadlineExceeded):
            fetch(f"https://127.0.0.1:{port}/", allow_loopback=True, limits=limits)
        elapsed = time.monotonic() - started
    assert 0.6 <= elapsed < 0.6 + 0.4


def test_a_huge_body_is_truncated_at_the_cap(httpserver):
    httpserver.expect_request("/big").respond_with_data(b"x" * 5_000_000)
    response = fetch(httpserver.url_for("/big"), allow_loopback=True, limits=FAST)
    assert response.truncated is True
    assert len(response.body) == FAST.max_body_bytes


def test_a_body_exactly_at_the_cap_is_not_truncated(httpserver):
    httpserver.expect_request("/fit").respond_with_data(b"x" * FAST.max_body_bytes)
    response = fetch(httpserver.url_for("/fit"), allow_loopback=True, limits=FAST)
    assert (len(response.body), response.truncated) == (FAST.max_body_bytes, False)


def test_proxy_environment_variables_are_ignored(httpserver, monkeypatch):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        dead_proxy = f"http://127.0.0.1:{closed.getsockname()[1]}"
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.setenv(name, dead_proxy)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    httpserver.expect_request("/").respond_with_data("direct")
    response = fetch(httpserver.url_for("/"), allow_loopback=True, limits=FAST)
    assert response.body == b"direct"


# --- TLS ---------------------------------------------------------------------------------


def test_https_verifies_the_name_while_connecting_to_the_vetted_ip(ca, ca_bundle):
    with https_server(ca, "localhost") as (port, seen_sni, seen_host):
        url = f"https://localhost:{port}/"
        response = fetch(url, allow_loopback=True, limits=FAST, verify=ca_bundle)
    assert (response.status, response.body, response.ip) == (200, b"hello", "127.0.0.1")
    assert seen_sni == ["localhost"]
    assert seen_host == [f"localhost:{port}"]


def test_a_certificate_for_another_name_fails_verification(ca, ca_bundle):
    with (
        https_server(ca, "wrong.example") as (port, _, seen_host),
        pytest.raises(TLSFailed, match="localhost"),
    ):
        fetch(f"https://localhost:{port}/", allow_loopback=True, limits=FAST, verify=ca_bundle)
    assert seen_host == []


def test_an_untrusted_certificate_fails_verification_by_default(ca):
    with (
        https_server(ca, "localhost") as (port, _, seen_host),
        pytest.raises(TLSFailed, match="certificate verify failed"),
    ):
        fetch(f"https://localhost:{port}/", allow_loopback=True, limits=FAST)
    assert seen_host == []


def test_https_to_a_plain_http_port_says_so_in_plain_words(httpserver):
    url = httpserver.url_for("/").replace("http://", "https://")
    with pytest.raises(TLSFailed) as refused:
        fetch(url, allow_loopback=True, limits=FAST)
    assert str(refused.value) == f"TLS with {url} failed: {SSL_REASONS['WRONG_VERSION_NUMBER']}"


def test_a_closed_port_is_reported_as_connection_refused():
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    url = f"http://127.0.0.1:{port}/"
    with pytest.raises(ConnectionFailed) as failed:
        fetch(url, allow_loopback=True, limits=FAST)
    assert str(failed.value) == f"could not read {url}: connection refused"
