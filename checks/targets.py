"""Turning what a person typed into probe target URLs, with errors they can act on."""

import ipaddress
from urllib.parse import urlsplit, urlunsplit

MAX_TARGETS_PER_SYSTEM = 10
MAX_URL_LENGTH = 2000
PROBE_PORTS = frozenset({80, 443, 8080, 8443})


class InvalidTarget(ValueError):
    """A base URL that cannot be probed; the message says what to fix."""


def is_loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def normalize_base_url(raw: str, *, allow_loopback: bool) -> str:
    """Validate one base URL and return its canonical form (lower-case scheme and host)."""
    text = raw.strip()
    if len(text) > MAX_URL_LENGTH:
        raise InvalidTarget(f"is longer than {MAX_URL_LENGTH} characters")
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in {"http", "https"}:
        raise InvalidTarget("must start with http:// or https://")
    if parts.username or parts.password:
        raise InvalidTarget("must not contain a user name or password")
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        raise InvalidTarget("has an invalid port") from None
    if not host:
        raise InvalidTarget("has no host name")
    loopback = allow_loopback and is_loopback_host(host)
    if port is not None and port not in PROBE_PORTS and not loopback:
        raise InvalidTarget("uses a port we do not probe; use 80, 443, 8080 or 8443")
    if parts.fragment:
        raise InvalidTarget("must not contain a #fragment")
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc = f"{netloc}:{port}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


def parse_base_urls(text: str, *, allow_loopback: bool) -> list[str]:
    """One URL per line; blank lines ignored, duplicates dropped, every bad line reported."""
    urls: list[str] = []
    errors: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            url = normalize_base_url(line, allow_loopback=allow_loopback)
        except InvalidTarget as exc:
            errors.append(f"Line {number} ({line.strip()[:80]}) {exc}.")
            continue
        if url not in urls:
            urls.append(url)
    if len(urls) > MAX_TARGETS_PER_SYSTEM:
        errors.append(f"At most {MAX_TARGETS_PER_SYSTEM} base URLs per system.")
    if errors:
        raise InvalidTarget(" ".join(errors))
    return urls
