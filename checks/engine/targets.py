"""Turning what a person typed into probe target URLs, with errors they can act on.

The rules are the SSRF guard's own (``checks.engine.safety``), applied at form time so a bad URL
is refused while the person is still typing it, not later in a failed probe run.
"""

import ipaddress

from checks.engine.safety import (
    ALLOWED_PORTS,
    ParsedTarget,
    TargetRefused,
    decide_address,
    decide_port,
    parse_target_url,
)

MAX_TARGETS_PER_SYSTEM = 10
LOOPBACK_NAMES = frozenset({"localhost"})


class InvalidTarget(ValueError):
    """A base URL that cannot be probed; the message says what to fix."""


def normalize_base_url(raw: str, *, allow_loopback: bool) -> str:
    """Validate one base URL and return its canonical form (normalised scheme, host, port)."""
    try:
        target = parse_target_url(raw)
    except TargetRefused as exc:
        raise InvalidTarget(exc.reason) from None
    address = target_address(target)
    if address is None:
        # A name's addresses are only known at probe time, when the guard vets them.
        if target.port not in ALLOWED_PORTS:
            allowed = ", ".join(str(p) for p in sorted(ALLOWED_PORTS))
            raise InvalidTarget(f"port {target.port} is not allowed (allowed: {allowed})")
        return target.url
    for decision in (
        decide_address(address, allow_loopback=allow_loopback),
        decide_port(target.port, address, allow_loopback=allow_loopback),
    ):
        if not decision.allowed:
            raise InvalidTarget(decision.reason)
    return target.url


def target_address(target: ParsedTarget) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address a URL names directly: an IP literal, or loopback for ``localhost``."""
    if target.address is not None:
        return target.address
    if target.host in LOOPBACK_NAMES:
        return ipaddress.ip_address("127.0.0.1")
    return None


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
            errors.append(f"Line {number} ({line.strip()[:80]}): {exc}.")
            continue
        if url not in urls:
            urls.append(url)
    if len(urls) > MAX_TARGETS_PER_SYSTEM:
        errors.append(f"At most {MAX_TARGETS_PER_SYSTEM} base URLs per system.")
    if errors:
        raise InvalidTarget(" ".join(errors))
    return urls
