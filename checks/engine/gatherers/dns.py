"""The DNS gatherer: the addresses a name resolves to, and its aliases when the stdlib sees them.

The stdlib has no DNS client: A/AAAA come from ``getaddrinfo`` (injectable), and the CNAME chain
is a best effort from ``gethostbyname_ex`` (its canonical name and aliases). Asking for CNAME
records properly needs dnspython, which the probe engine does not depend on; when the aliases
say nothing, ``cnames`` stays empty.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from typing import Any

from checks.engine.artifacts import DnsFacts
from checks.engine.gatherers.exchange import GatherOptions
from checks.engine.safety import TargetRefused, parse_target_url

AliasLookup = Callable[[str], tuple[str, list[str], list[str]]]


def gather_dns(
    base_url: str,
    options: GatherOptions,
    *,
    alias_lookup: AliasLookup | None = socket.gethostbyname_ex,
) -> DnsFacts:
    """Resolve the base URL's host; ``alias_lookup=None`` skips the CNAME best effort."""
    try:
        target = parse_target_url(base_url)
    except TargetRefused as exc:
        return DnsFacts(host=base_url, error=exc.reason)
    if target.address is not None:
        return DnsFacts(host=target.host, addresses=(str(target.address),))
    try:
        infos = options.resolver(target.host, target.port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        return DnsFacts(host=target.host, error=f"{target.host} could not be resolved: {exc}")
    addresses = addresses_of(infos)
    if not addresses:
        return DnsFacts(host=target.host, error=f"{target.host} has no IPv4 or IPv6 address")
    return DnsFacts(
        host=target.host, addresses=addresses, cnames=_cnames(target.host, alias_lookup)
    )


def addresses_of(infos: Sequence[tuple[Any, ...]]) -> tuple[str, ...]:
    """Distinct IPv4/IPv6 addresses of ``getaddrinfo`` results, in the resolver's order."""
    found = [
        str(ipaddress.ip_address(info[4][0]))
        for info in infos
        if info[0] in (socket.AF_INET, socket.AF_INET6)
    ]
    return tuple(dict.fromkeys(found))


def _cnames(host: str, alias_lookup: AliasLookup | None) -> tuple[str, ...]:
    if alias_lookup is None:
        return ()
    try:
        canonical, aliases, _ = alias_lookup(host)
    except (OSError, UnicodeError):
        return ()  # a best effort: the addresses above are what the checks rely on
    return cnames_from_aliases(host, canonical, aliases)


def cnames_from_aliases(host: str, canonical: str, aliases: list[str]) -> tuple[str, ...]:
    """The names ``host`` points through, ending with the canonical name; () for none."""
    host = host.lower().rstrip(".")
    names = [name.lower().rstrip(".") for name in (*aliases, canonical)]
    return tuple(dict.fromkeys(name for name in names if name and name != host))
