"""The TLS gatherer: handshake facts with the stdlib ``ssl`` module.

It connects to the address the SSRF guard vetted (SNI and certificate checks use the name) and
performs a few handshakes, all within one time budget (``limits.deadline_seconds``), each cut
by a watchdog so a server dripping its handshake cannot stretch it:

1. a verifying handshake (trust store or injected CA bundle, host name checked, ALPN offering
   h2 and http/1.1) -- when it passes, chain and host name are good;
2. when verification fails: an unverified handshake (negotiated facts and the certificate as
   sent) and a chain-only one (trusted chain, name not checked) to tell chain problems from
   host-name problems;
3. one handshake pinned to each of TLS 1.0, 1.1, 1.2 and 1.3. A version the local OpenSSL
   cannot offer even at ``SECLEVEL=0`` is "not testable" and lands in neither
   ``protocols_accepted`` nor ``protocols_refused``; so does a version whose attempt timed out.

When the first handshake fails for any reason other than the certificate (nothing listens,
the port does not speak TLS, timeout), the facts carry only ``error``.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import socket
import ssl
import tempfile
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from checks.engine.artifacts import TlsFacts
from checks.engine.gatherers.exchange import GatherOptions, scheme_urls
from checks.engine.safety import ProbeFailed, VettedTarget, vet_url

ALPN_OFFER = ["h2", "http/1.1"]

PINNED_VERSIONS: tuple[tuple[str, ssl.TLSVersion], ...] = (
    ("TLSv1", ssl.TLSVersion.TLSv1),
    ("TLSv1.1", ssl.TLSVersion.TLSv1_1),
    ("TLSv1.2", ssl.TLSVersion.TLSv1_2),
    ("TLSv1.3", ssl.TLSVersion.TLSv1_3),
)

_NAME_ABBREVIATIONS = {
    "commonName": "CN",
    "organizationName": "O",
    "organizationalUnitName": "OU",
    "countryName": "C",
    "stateOrProvinceName": "ST",
    "localityName": "L",
}


class _OutOfTime(Exception):
    """The gatherer's time budget is spent; no further handshake is started."""


@dataclass(frozen=True)
class Handshake:
    version: str | None
    cipher: str | None
    bits: int | None
    alpn: str | None
    certificate: dict[str, Any] = field(default_factory=dict)  # getpeercert() form
    chain_length: int | None = None


def gather_tls(base_url: str, options: GatherOptions) -> TlsFacts:
    """Handshake facts for the https:// form of ``base_url``; never raises for the target."""
    try:
        https_url, _ = scheme_urls(base_url)
        vetted = vet_url(
            https_url, allow_loopback=options.allow_loopback, resolver=options.resolver
        )
    except ProbeFailed as exc:
        parts = urlsplit(base_url)
        return TlsFacts(host=parts.hostname or base_url, error=exc.reason)
    return _Handshaker(vetted, options).facts()


class _Handshaker:
    def __init__(self, vetted: VettedTarget, options: GatherOptions) -> None:
        self.vetted = vetted
        self.host = vetted.target.host
        self.port = vetted.target.port
        self.limits = options.limits
        self.cafile = options.verify if isinstance(options.verify, str) else None
        self.expires_at = time.monotonic() + options.limits.deadline_seconds

    def facts(self) -> TlsFacts:
        base = TlsFacts(host=self.host, port=self.port)
        try:
            verified = self.handshake(_verifying_context(self.cafile, check_hostname=True))
        except ssl.SSLCertVerificationError as exc:
            return self._unverified_facts(base, exc)
        except (ssl.SSLError, OSError, _OutOfTime) as exc:
            return replace(base, error=self._failed(exc))
        facts = replace(
            base,
            **_negotiated(verified),
            **_certificate_facts(verified.certificate),
            hostname_matches=True,
            chain_verified=True,
        )
        return self._with_versions(facts)

    def _unverified_facts(self, base: TlsFacts, failure: ssl.SSLCertVerificationError) -> TlsFacts:
        try:
            sent = self.handshake(_unverified_context())
        except (ssl.SSLError, OSError, _OutOfTime) as exc:
            return replace(base, verify_error=_reason(failure), error=self._failed(exc))
        try:
            chain_only = self.handshake(_verifying_context(self.cafile, check_hostname=False))
        except ssl.SSLCertVerificationError as exc:
            certificate = sent.certificate
            chain_verified, verify_error = False, _reason(exc)
            sans = certificate.get("subjectAltName", ())
            matches: bool | None = hostname_in_sans(self.host, sans) if certificate else None
        except (ssl.SSLError, OSError, _OutOfTime):
            certificate, chain_verified, verify_error = sent.certificate, None, _reason(failure)
            matches = None
        else:
            certificate = chain_only.certificate
            chain_verified, verify_error, matches = True, _reason(failure), False
        facts = replace(
            base,
            **_negotiated(sent),
            **_certificate_facts(certificate),
            hostname_matches=matches,
            chain_verified=chain_verified,
            verify_error=verify_error,
        )
        return self._with_versions(facts)

    def _with_versions(self, facts: TlsFacts) -> TlsFacts:
        accepted: list[str] = []
        refused: list[str] = []
        for name, version in PINNED_VERSIONS:
            context = _pinned_context(version)
            if context is None:
                continue  # not testable with this OpenSSL build
            try:
                self.handshake(context)
            except (ssl.SSLError, ConnectionResetError, BrokenPipeError):
                refused.append(name)
            except (OSError, _OutOfTime):
                continue  # timed out or unreachable: unknown, not a refusal
            else:
                accepted.append(name)
        return replace(facts, protocols_accepted=tuple(accepted), protocols_refused=tuple(refused))

    def _failed(self, exc: BaseException) -> str:
        return f"TLS handshake with {self.host}:{self.port} failed: {_reason(exc)}"

    def handshake(self, context: ssl.SSLContext) -> Handshake:
        remaining = self.expires_at - time.monotonic()
        if remaining <= 0:
            raise _OutOfTime("the TLS time budget is spent")
        address = (str(self.vetted.ip), self.port)
        timeout = min(self.limits.connect_timeout, remaining)
        with socket.create_connection(address, timeout=timeout) as raw:
            raw.settimeout(min(self.limits.read_timeout, remaining))
            with (
                _Watchdog(raw, remaining) as watchdog,
                context.wrap_socket(
                    raw, server_hostname=self.host, do_handshake_on_connect=False
                ) as tls,
            ):
                try:
                    tls.do_handshake()
                except OSError as exc:  # ssl.SSLError included
                    if watchdog.fired:
                        raise TimeoutError(f"timed out after {remaining:.3g} s") from exc
                    raise
                return _handshake_of(tls)


def _handshake_of(tls: ssl.SSLSocket) -> Handshake:
    name, _, bits = tls.cipher() or (None, None, None)
    certificate = tls.getpeercert() or {}
    if not certificate:  # CERT_NONE: only the DER form is available
        certificate = decode_certificate(tls.getpeercert(binary_form=True))
    chain = getattr(tls, "get_unverified_chain", None)  # Python 3.13+
    return Handshake(
        version=tls.version(),
        cipher=name,
        bits=bits,
        alpn=tls.selected_alpn_protocol(),
        certificate=certificate,
        chain_length=len(chain() or ()) if chain is not None else None,
    )


class _Watchdog:
    """Shuts a connection down after ``seconds``: per-read timeouts restart with every byte.

    It acts through a dup, because wrapping the socket in TLS detaches the original.
    """

    def __init__(self, sock: socket.socket, seconds: float) -> None:
        self.seconds = seconds
        self.fired = False
        self._duplicate = sock.dup()
        self._lock = threading.Lock()  # never shut down a descriptor number once closed
        self._timer = threading.Timer(seconds, self._cut)
        self._timer.daemon = True

    def _cut(self) -> None:
        with self._lock, contextlib.suppress(OSError):  # the peer may have closed it already
            self.fired = True
            self._duplicate.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> _Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._timer.cancel()
        with self._lock:
            self._duplicate.close()


# --- Contexts ------------------------------------------------------------------------------


def _verifying_context(cafile: str | None, *, check_hostname: bool) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=cafile)
    context.check_hostname = check_hostname
    context.set_alpn_protocols(ALPN_OFFER)
    return context


def _unverified_context() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_alpn_protocols(ALPN_OFFER)
    return context


def offerable_versions() -> tuple[str, ...]:
    """The pinned versions this machine's OpenSSL can offer at all (others are not testable)."""
    return tuple(name for name, version in PINNED_VERSIONS if _pinned_context(version))


def _pinned_context(version: ssl.TLSVersion) -> ssl.SSLContext | None:
    """A context offering only ``version``; None when this OpenSSL cannot offer it.

    TLS 1.0/1.1 need ``SECLEVEL=0`` (their SHA-1 handshakes are below the default level).
    Whether a ClientHello can be built is tried in memory, so "not testable" never depends on
    the server. Setting the old versions emits a DeprecationWarning: testing them is the point.
    """
    context = _unverified_context()
    try:
        context.minimum_version = version
        context.maximum_version = version
        if version < ssl.TLSVersion.TLSv1_2:
            context.set_ciphers("DEFAULT:@SECLEVEL=0")
    except (ValueError, ssl.SSLError):
        return None
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    try:
        context.wrap_bio(incoming, outgoing, server_hostname="probe.invalid").do_handshake()
    except ssl.SSLWantReadError:
        return context  # a ClientHello was written: the version can be offered
    except ssl.SSLError:
        return None
    return None


# --- Facts (pure) --------------------------------------------------------------------------


def _negotiated(handshake: Handshake) -> dict[str, Any]:
    return {
        "negotiated_protocol": handshake.version,
        "negotiated_cipher": handshake.cipher,
        "cipher_bits": handshake.bits,
        "forward_secret": is_forward_secret(handshake.version, handshake.cipher),
        "alpn": handshake.alpn,
        "chain_length": handshake.chain_length,
    }


def is_forward_secret(version: str | None, cipher: str | None) -> bool | None:
    """TLS 1.3 always is; before it, only (EC)DHE key exchanges are."""
    if version is None or cipher is None:
        return None
    if version == "TLSv1.3":
        return True
    return cipher.startswith(("ECDHE-", "DHE-", "EDH-"))


def _certificate_facts(certificate: dict[str, Any], *, now: datetime | None = None) -> dict:
    if not certificate:
        return {}
    not_before = _cert_time(certificate.get("notBefore"))
    not_after = _cert_time(certificate.get("notAfter"))
    now = now or datetime.now(UTC)
    return {
        "cert_subject": format_name(certificate.get("subject", ())),
        "cert_issuer": format_name(certificate.get("issuer", ())),
        "cert_sans": tuple(value for _, value in certificate.get("subjectAltName", ())),
        "cert_not_before": not_before.isoformat() if not_before else None,
        "cert_not_after": not_after.isoformat() if not_after else None,
        "cert_days_left": (not_after - now).days if not_after else None,
    }


def _cert_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromtimestamp(ssl.cert_time_to_seconds(value), UTC)
    except ValueError:
        return None


def format_name(rdns: tuple) -> str:
    """``(( ('commonName', 'x'),), ...)`` as ``CN=x, O=...``."""
    parts = [f"{_NAME_ABBREVIATIONS.get(key, key)}={value}" for rdn in rdns for key, value in rdn]
    return ", ".join(parts)


def hostname_in_sans(host: str, sans: tuple[tuple[str, str], ...]) -> bool:
    """RFC 6125 matching against subjectAltName: exact names, or one left-most ``*`` label."""
    host = host.lower().rstrip(".")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    for kind, value in sans:
        if address is not None:
            if kind == "IP Address" and _same_ip(value, address):
                return True
            continue
        pattern = value.lower().rstrip(".")
        if kind != "DNS":
            continue
        if pattern == host:
            return True
        if pattern.startswith("*.") and "." in host and host.split(".", 1)[1] == pattern[2:]:
            return True
    return False


def _same_ip(value: str, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    try:
        return ipaddress.ip_address(value.strip()) == address
    except ValueError:
        return False


def decode_certificate(der: bytes | None) -> dict[str, Any]:
    """The ``getpeercert()`` dict of an unverified certificate; {} when it cannot be read.

    The stdlib only parses certificates from files, through a private helper used by its own
    tests; we use it for unverified certificates only and degrade to no details without it.
    """
    decode = getattr(getattr(ssl, "_ssl", None), "_test_decode_cert", None)
    if not der or decode is None:
        return {}
    handle, path = tempfile.mkstemp(suffix=".pem")
    try:
        with os.fdopen(handle, "w") as file:
            file.write(ssl.DER_cert_to_PEM_cert(der))
        return decode(path)
    except (ssl.SSLError, OSError, ValueError):
        return {}
    finally:
        os.unlink(path)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return exc.verify_message or str(exc)
    if isinstance(exc, TimeoutError):
        return str(exc) or "timed out"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    return str(exc) or type(exc).__name__
