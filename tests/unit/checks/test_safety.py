"""The SSRF guard's decisions, without any traffic.

Every test here runs with the network blocked (see ``network_blocked``): names resolve only
through ``FakeResolver``, and any attempt to connect anywhere but loopback fails the test, so a
hostile URL is judged by the guard alone, never "verified" by trying it.
"""

import ipaddress
import socket
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from checks.engine.safety import (
    ALLOWED_PORTS,
    Decision,
    ProbeLimits,
    ResolutionFailed,
    TargetRefused,
    decide_address,
    decide_port,
    parse_target_url,
    vet_url,
)


@pytest.fixture(autouse=True, scope="module")
def network_blocked():
    """Fail loudly if a test here opens a socket to a non-loopback address or looks up a name.

    Only the test thread is policed: background threads of other fixtures (a Celery worker
    and its broker client) are not ours to break.
    """

    def refuse_connect(sock, address, *args, **kwargs):
        if _in_test_thread() and isinstance(address, tuple) and not _is_loopback(address[0]):
            raise AssertionError(f"unit test tried to connect to {address!r}")
        return real_connect(sock, address, *args, **kwargs)

    def refuse_create_connection(address, *args, **kwargs):
        if _in_test_thread() and not _is_loopback(address[0]):
            raise AssertionError(f"unit test tried to connect to {address!r}")
        return real_create_connection(address, *args, **kwargs)

    def refuse_resolve(host, *args, **kwargs):
        if _in_test_thread():
            raise AssertionError(f"unit test tried a real DNS lookup of {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    real_connect = socket.socket.connect
    real_create_connection = socket.create_connection
    real_getaddrinfo = socket.getaddrinfo
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket.socket, "connect", refuse_connect)
        mp.setattr(socket.socket, "connect_ex", refuse_connect)
        mp.setattr(socket, "create_connection", refuse_create_connection)
        mp.setattr(socket, "getaddrinfo", refuse_resolve)
        yield


def _in_test_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


class FakeResolver:
    """A getaddrinfo stand-in answering from a table; records what it was asked."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table
        self.calls: list[str] = []

    def __call__(self, host, port, family=0, type=0, proto=0, flags=0):
        self.calls.append(host)
        if host not in self.table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [_addrinfo(address, port) for address in self.table[host]]


def _addrinfo(address: str, port: int) -> tuple:
    if ":" in address:
        return (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0))
    return (socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))


DNS = {
    "public.example": ["93.184.215.14"],
    "dual.example": ["2606:2800:21f:cb07:6820:80da:af6b:8b2c", "93.184.215.14"],
    "public6.example": ["2606:4700::1111"],
    "internal.example": ["10.0.0.5"],
    "mixed.example": ["93.184.215.14", "10.0.0.7"],
    "mixed6.example": ["2606:4700::1111", "fd12:3456::1"],
    "metadata.example": ["169.254.169.254"],
    "cgnat.example": ["100.64.1.1"],
    "nat64.example": ["64:ff9b::a00:1"],
    "zero.example": ["0.0.0.0"],  # noqa: S104 (a DNS answer, not a bind address)
    "linklocal6.example": ["fe80::1"],
    "localhost": ["::1", "127.0.0.1"],
    "rebind.example": ["::ffff:127.0.0.1"],
}


@pytest.fixture
def resolver() -> FakeResolver:
    return FakeResolver(DNS)


def never_resolve(host, *args, **kwargs):
    raise AssertionError(f"an IP literal must not be resolved, got {host!r}")


# Refused whatever the loopback flag says: (url, substring of the reason).
HOSTILE = [
    # schemes
    ("ftp://public.example/", "scheme 'ftp'"),
    ("file:///etc/passwd", "scheme 'file'"),
    ("gopher://public.example:70/_HELO", "scheme 'gopher'"),
    ("dict://public.example:11211/stats", "scheme 'dict'"),
    ("javascript:alert(1)", "scheme 'javascript'"),
    # credentials and parser confusion
    ("http://public.example@127.0.0.1/", "credentials"),
    ("http://user:pass@public.example/", "credentials"),
    ("http://@public.example/", "credentials"),
    ("http://public.example\\@127.0.0.1/", "backslash"),
    ("http://10.0.0.1#@public.example/", "private"),
    ("http://exa mple.com/", "whitespace"),
    ("http://public.example/\r\nX-Injected: 1", "control characters"),
    # empty or malformed hosts
    ("http:///path", "no host"),
    ("http://:80/", "no host"),
    ("http://1.2.3.4.5/", "malformed IPv4"),
    ("http://08.0.0.1/", "malformed IPv4"),
    ("http://127.0.0.256/", "malformed IPv4"),
    ("http://public.0x1/", "malformed IPv4"),
    ("http://[fe80::1%25eth0]/", "zone identifiers"),
    ("http://[127.0.0.1]/", "malformed URL"),
    ("http://%31%30.0.0.1/", "malformed IPv4"),
    ("http://in%74ernal.example/", "not a valid host name"),
    # ports
    ("http://public.example:22/", "port 22 is not allowed"),
    ("http://public.example:6379/", "port 6379 is not allowed"),
    ("https://public.example:8081/", "port 8081 is not allowed"),
    ("http://93.184.215.14:25/", "port 25 is not allowed"),
    ("http://public.example:0/", "port 0"),
    ("http://public.example:99999/", "out of range"),
    # IPv4 ranges
    ("http://10.0.0.1/", "private address (RFC 1918)"),
    ("http://172.16.0.1/", "private address (RFC 1918)"),
    ("http://172.31.255.254:8080/", "private address (RFC 1918)"),
    ("http://192.168.1.1/", "private address (RFC 1918)"),
    ("http://169.254.169.254/latest/meta-data/", "cloud metadata endpoint"),
    ("http://169.254.0.1/", "link-local"),
    ("http://100.64.0.1/", "CGNAT"),
    ("http://100.100.100.200/latest/meta-data/", "CGNAT"),
    ("http://0.0.0.0/", "unspecified"),
    ("http://0/", "unspecified"),
    ("http://0.1.2.3/", "'this network'"),
    ("http://224.0.0.1/", "multicast"),
    ("http://239.255.255.250:8080/", "multicast"),
    ("http://240.0.0.1/", "reserved"),
    ("http://255.255.255.255/", "broadcast"),
    ("http://198.18.0.1/", "benchmarking"),
    ("http://198.19.255.254/", "benchmarking"),
    ("http://192.0.2.1/", "documentation"),
    ("http://198.51.100.7/", "documentation"),
    ("http://203.0.113.9/", "documentation"),
    ("http://192.0.0.170/", "IETF protocol assignment"),
    ("http://192.88.99.1/", "6to4 relay"),
    # odd IPv4 spellings of forbidden addresses
    ("http://0xa9.0xfe.0xa9.0xfe/", "cloud metadata endpoint"),
    ("http://2852039166/", "cloud metadata endpoint"),
    ("http://0251.0376.0251.0376/", "cloud metadata endpoint"),
    ("http://0xA9FEA9FE/", "cloud metadata endpoint"),
    ("http://169.254.43518/", "cloud metadata endpoint"),
    ("http://10.1/", "private"),
    ("http://192.168.257/", "private"),
    ("http://0x0a000001/", "private"),
    ("http://012.0.0.1/", "private"),
    ("http://0x/", "unspecified"),
    ("http://10.0.0.1./", "private"),
    ("http://①⓪.0.0.1/", "private"),
    ("http://\uff11\uff10.\uff10.\uff10.\uff11/", "private"),  # full-width digits
    ("http://10。0。0。1/", "private"),
    # IPv6
    ("http://[::]/", "unspecified"),
    ("http://[fd00::1]/", "unique-local"),
    ("http://[fc00::1]:8080/", "unique-local"),
    ("http://[fd00:ec2::254]/latest/meta-data/", "cloud metadata endpoint"),
    ("http://[fe80::1]/", "link-local"),
    ("http://[fec0::1]/", "site-local"),
    ("http://[ff02::1]/", "multicast"),
    ("http://[ff0e::1]/", "multicast"),
    ("http://[2001:db8::1]/", "documentation"),
    ("http://[100::1]/", "discard-only"),
    ("http://[4000::1]/", "global unicast"),
    # IPv6 forms embedding a forbidden IPv4 address
    ("http://[::ffff:10.0.0.1]/", "IPv4-mapped form of 10.0.0.1"),
    ("http://[::ffff:a9fe:a9fe]/", "cloud metadata endpoint"),
    ("http://[0:0:0:0:0:ffff:c0a8:101]/", "IPv4-mapped form of 192.168.1.1"),
    ("http://[::ffff:0.0.0.0]/", "unspecified"),
    ("http://[64:ff9b::a9fe:a9fe]/", "NAT64 form of 169.254.169.254"),
    ("http://[64:ff9b::10.0.0.1]/", "NAT64 form of 10.0.0.1"),
    ("http://[64:ff9b::7f00:1]/", "NAT64 form of 127.0.0.1"),
    ("http://[64:ff9b:1::a00:1]/", "local-use NAT64"),
    ("http://[2002:a00:1::]/", "6to4 form of 10.0.0.1"),
    ("http://[2002:7f00:1::1]/", "6to4 form of 127.0.0.1"),
    ("http://[2002:a9fe:a9fe::]/", "cloud metadata endpoint"),
    ("http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/", "Teredo"),
    ("http://[::127.0.0.1]/", "IPv4-compatible"),
    ("http://[::10.0.0.1]/", "IPv4-compatible"),
    ("http://[::ffff:0:10.0.0.1]/", "IPv4-translated"),
    # names resolving to forbidden addresses
    ("http://internal.example/", "internal.example resolves to a forbidden address"),
    ("http://mixed.example/", "10.0.0.7 is a private address"),
    ("http://mixed6.example/", "unique-local"),
    ("http://metadata.example/latest/meta-data/", "cloud metadata endpoint"),
    ("http://cgnat.example/", "CGNAT"),
    ("http://nat64.example/", "NAT64 form of 10.0.0.1"),
    ("http://zero.example/", "unspecified"),
    ("http://linklocal6.example/", "link-local"),
    ("http://internal.example:8080/", "private"),
    ("https://INTERNAL.Example./", "private"),
]

# Loopback targets: refused unless the development flag is on, then allowed on any port.
LOOPBACK = [
    "http://127.0.0.1/",
    "http://127.1/",
    "http://0x7f.1/",
    "http://017700000001/",
    "http://2130706433/",
    "http://0x7f000001/",
    "http://127.0.0.1./",
    "http://①②⑦.0.0.1/",
    "http://127.255.255.254:54321/",
    "http://[::1]/",
    "http://[::1]:8000/",
    "http://[0:0:0:0:0:0:0:1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://localhost/",
    "http://LOCALHOST:8000/",
    "https://localhost:54321/",
    "http://rebind.example/",
]

ALLOWED = [
    ("http://public.example/", "93.184.215.14"),
    ("https://public.example:8443/x?y=1", "93.184.215.14"),
    ("http://public.example:8080/", "93.184.215.14"),
    ("https://dual.example/", "93.184.215.14"),
    ("https://public6.example/", "2606:4700::1111"),
    ("http://93.184.215.14/", "93.184.215.14"),
    ("http://[2606:4700::1111]/", "2606:4700::1111"),
    ("http://[::ffff:93.184.215.14]/", "::ffff:5db8:d70e"),
    ("http://[64:ff9b::93.184.215.14]/", "64:ff9b::5db8:d70e"),
    ("http://public.example#@10.0.0.1/", "93.184.215.14"),
    ("http://public.example/?next=http://10.0.0.1/", "93.184.215.14"),
]


def test_the_hostile_table_is_large_enough():
    assert len(HOSTILE) >= 40


@pytest.mark.parametrize("allow_loopback", [False, True])
@pytest.mark.parametrize(("url", "reason"), HOSTILE)
def test_hostile_url_is_refused_with_a_reason(url, reason, allow_loopback, resolver):
    with pytest.raises(TargetRefused) as refused:
        vet_url(url, allow_loopback=allow_loopback, resolver=resolver)
    assert reason in refused.value.reason


@pytest.mark.parametrize("url", LOOPBACK)
def test_loopback_is_refused_without_the_development_flag(url, resolver):
    with pytest.raises(TargetRefused) as refused:
        vet_url(url, allow_loopback=False, resolver=resolver)
    assert "loopback" in refused.value.reason


@pytest.mark.parametrize("url", LOOPBACK)
def test_loopback_is_allowed_on_any_port_with_the_development_flag(url, resolver):
    vetted = vet_url(url, allow_loopback=True, resolver=resolver)
    assert decide_address(vetted.ip, allow_loopback=False).allowed is False


@pytest.mark.parametrize(("url", "ip"), ALLOWED)
def test_public_target_is_allowed(url, ip, resolver):
    vetted = vet_url(url, allow_loopback=False, resolver=resolver)
    assert str(vetted.ip) == ip


def test_name_is_resolved_once_and_ip_literals_not_at_all(resolver):
    vet_url("https://public.example/", allow_loopback=False, resolver=resolver)
    vet_url("https://93.184.215.14/", allow_loopback=False, resolver=never_resolve)
    vet_url("https://[2606:4700::1111]/", allow_loopback=False, resolver=never_resolve)
    assert resolver.calls == ["public.example"]


def test_every_resolved_address_is_vetted_not_only_the_first(resolver):
    with pytest.raises(TargetRefused, match=r"10\.0\.0\.7"):
        vet_url("http://mixed.example/", allow_loopback=True, resolver=resolver)


def test_ipv4_is_preferred_and_all_addresses_are_kept(resolver):
    vetted = vet_url("https://dual.example/", allow_loopback=False, resolver=resolver)
    assert vetted.ip == ipaddress.ip_address("93.184.215.14")
    assert len(vetted.addresses) == 2


def test_unresolvable_name_is_a_resolution_failure_not_a_refusal(resolver):
    with pytest.raises(ResolutionFailed, match=r"nowhere\.example could not be resolved"):
        vet_url("http://nowhere.example/", allow_loopback=False, resolver=resolver)


def test_forbidden_port_is_refused_even_when_the_address_is_public(resolver):
    with pytest.raises(TargetRefused, match="port 3306"):
        vet_url("http://public.example:3306/", allow_loopback=True, resolver=resolver)


@pytest.mark.parametrize(
    ("url", "scheme", "host", "port", "path"),
    [
        ("HTTPS://Example.COM./a/b?c=d#frag", "https", "example.com", 443, "/a/b?c=d"),
        ("http://example.com", "http", "example.com", 80, "/"),
        ("  http://example.com:8080/x  ", "http", "example.com", 8080, "/x"),
        ("http://bücher.example/", "http", "xn--bcher-kva.example", 80, "/"),
        ("http://0x7f.1/", "http", "127.0.0.1", 80, "/"),
        ("http://017700000001/", "http", "127.0.0.1", 80, "/"),
        ("http://2130706433/", "http", "127.0.0.1", 80, "/"),
        ("http://127.1/", "http", "127.0.0.1", 80, "/"),
        ("http://1.2.3/", "http", "1.2.0.3", 80, "/"),
        ("https://[2606:4700:0::1111]:8443/", "https", "2606:4700::1111", 8443, "/"),
        ("http://[::FFFF:127.0.0.1]/", "http", "::ffff:7f00:1", 80, "/"),
    ],
)
def test_parse_target_url_normalises_what_it_judges(url, scheme, host, port, path):
    target = parse_target_url(url)
    assert (target.scheme, target.host, target.port, target.path) == (scheme, host, port, path)


@pytest.mark.parametrize(
    ("url", "host_header", "canonical"),
    [
        ("https://example.com/", "example.com", "https://example.com/"),
        ("https://example.com:443/", "example.com", "https://example.com/"),
        ("http://example.com:8080/a?b", "example.com:8080", "http://example.com:8080/a?b"),
        ("http://[2606:4700::1111]:8080/", "[2606:4700::1111]:8080", None),
    ],
)
def test_host_header_and_url_use_the_name_and_omit_default_ports(url, host_header, canonical):
    target = parse_target_url(url)
    assert target.host_header == host_header
    assert target.url == (canonical or url)


@pytest.mark.parametrize(
    ("port", "ip", "allow_loopback", "allowed"),
    [
        (443, "93.184.215.14", False, True),
        (8443, "93.184.215.14", False, True),
        (22, "93.184.215.14", True, False),
        (54321, "127.0.0.1", False, False),
        (54321, "127.0.0.1", True, True),
        (54321, "::1", True, True),
        (54321, "::ffff:127.0.0.1", True, True),
    ],
)
def test_decide_port(port, ip, allow_loopback, allowed):
    decision = decide_port(port, ipaddress.ip_address(ip), allow_loopback=allow_loopback)
    assert decision.allowed is allowed
    assert str(port) in decision.reason


def test_allowed_ports_are_the_web_ports():
    assert frozenset({80, 443, 8080, 8443}) == ALLOWED_PORTS


def test_decision_explains_why_an_address_is_allowed():
    assert decide_address(ipaddress.ip_address("8.8.8.8"), allow_loopback=False) == Decision(
        True, "8.8.8.8 is globally routable"
    )


def test_probe_limits_refuse_more_than_five_redirects():
    with pytest.raises(ValueError, match="max_redirects"):
        ProbeLimits(max_redirects=6)


# --- Properties --------------------------------------------------------------------------

FORBIDDEN_V4 = [
    ipaddress.IPv4Network(net)
    for net in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.88.99.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",
    )
]
LOOPBACK_V4 = ipaddress.IPv4Network("127.0.0.0/8")
FORBIDDEN_V6 = [
    ipaddress.IPv6Network(net)
    for net in (
        "fc00::/7",
        "fe80::/10",
        "fec0::/10",
        "ff00::/8",
        "2001:db8::/32",
        "3fff::/20",
        "2001::/32",
        "2001:2::/48",
        "64:ff9b:1::/48",
        "100::/64",
        "::/96",
        "4000::/2",
    )
]


def _in(network) -> st.SearchStrategy:
    first = int(network.network_address)
    address_class = ipaddress.IPv6Address if network.version == 6 else ipaddress.IPv4Address
    return st.integers(first, first + network.num_addresses - 1).map(address_class)


forbidden_v4 = st.sampled_from(FORBIDDEN_V4).flatmap(_in)
loopback_v4 = _in(LOOPBACK_V4)
forbidden_v6 = st.sampled_from(FORBIDDEN_V6).flatmap(_in).filter(lambda ip: not ip.is_loopback)


def _octets(ip: ipaddress.IPv4Address) -> list[int]:
    return list(ip.packed)


IPV4_SPELLINGS = {
    "dotted": str,
    "decimal": lambda ip: str(int(ip)),
    "hex": lambda ip: hex(int(ip)),
    "octal": lambda ip: "0" + format(int(ip), "o"),
    "dotted hex": lambda ip: ".".join(hex(o) for o in _octets(ip)),
    "dotted octal": lambda ip: ".".join("0" + format(o, "o") for o in _octets(ip)),
    "three parts": lambda ip: "{}.{}.{}".format(*_octets(ip)[:2], int(ip) & 0xFFFF),
    "two parts": lambda ip: f"{_octets(ip)[0]}.{int(ip) & 0xFFFFFF}",
    "trailing dot": lambda ip: f"{ip}.",
}
IPV6_FORMS_OF_V4 = {
    "IPv4-mapped": lambda ip: f"[::ffff:{ip}]",
    "IPv4-mapped hex": lambda ip: f"[::ffff:{int(ip) >> 16:x}:{int(ip) & 0xFFFF:x}]",
    "NAT64": lambda ip: f"[64:ff9b::{ip}]",
    "local NAT64": lambda ip: f"[64:ff9b:1::{ip}]",
    "6to4": lambda ip: f"[2002:{int(ip) >> 16:x}:{int(ip) & 0xFFFF:x}::1]",
    "IPv4-compatible": lambda ip: f"[::{ip}]",
    "IPv4-translated": lambda ip: f"[::ffff:0:{ip}]",
}
ALL_SPELLINGS = {**IPV4_SPELLINGS, **IPV6_FORMS_OF_V4}


@given(
    ip=forbidden_v4,
    spelling=st.sampled_from(sorted(ALL_SPELLINGS)),
    allow_loopback=st.booleans(),
    port=st.sampled_from(sorted(ALLOWED_PORTS)),
)
def test_forbidden_ipv4_is_refused_whatever_its_spelling(ip, spelling, allow_loopback, port):
    url = f"http://{ALL_SPELLINGS[spelling](ip)}:{port}/"
    with pytest.raises(TargetRefused):
        vet_url(url, allow_loopback=allow_loopback, resolver=never_resolve)


@given(ip=loopback_v4, spelling=st.sampled_from(sorted(ALL_SPELLINGS)))
def test_loopback_is_refused_whatever_its_spelling(ip, spelling):
    url = f"http://{ALL_SPELLINGS[spelling](ip)}/"
    with pytest.raises(TargetRefused):
        vet_url(url, allow_loopback=False, resolver=never_resolve)


@given(ip=loopback_v4, spelling=st.sampled_from(sorted(IPV4_SPELLINGS)))
def test_every_ipv4_spelling_means_the_same_address(ip, spelling):
    assert parse_target_url(f"http://{IPV4_SPELLINGS[spelling](ip)}/").address == ip


@given(ip=forbidden_v6, exploded=st.booleans(), allow_loopback=st.booleans())
def test_forbidden_ipv6_is_refused_whatever_its_spelling(ip, exploded, allow_loopback):
    host = ip.exploded if exploded else ip.compressed
    assert decide_address(ip, allow_loopback=allow_loopback).allowed is False
    with pytest.raises(TargetRefused):
        vet_url(f"https://[{host}]/", allow_loopback=allow_loopback, resolver=never_resolve)


@given(ip=st.one_of(forbidden_v4, forbidden_v6))
def test_a_name_resolving_to_a_forbidden_address_is_refused(ip):
    resolver = FakeResolver({"target.example": ["93.184.215.14", str(ip)]})
    with pytest.raises(TargetRefused):
        vet_url("https://target.example/", allow_loopback=True, resolver=resolver)
