"""Proving that whoever asks for a burst controls the target.

A team proves ownership in any one of three ways:

- **file**: ``/.well-known/scaleready-<token>.txt`` answers 200 with the token on a line;
- **meta**: the base page has ``<meta name="scaleready-verification" content="<token>">``;
- **DNS TXT**: the host has a TXT record ``scaleready-verification=<token>``.

The file must be served by the target's own host (a redirect to another host does not count),
and must hold the token on a line of its own rather than merely somewhere in the body, so a
page that echoes the requested path back cannot verify itself. TXT records are read with
dnspython (a dependency: the stdlib has no DNS client); should it be missing, the default
lookup says so and the other two methods remain.

Parsing (``meta_tokens``, ``file_has_token``, ``txt_has_token``) is pure; ``verify_ownership``
does the fetching, through the SSRF guard like every other probe request.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from checks.gatherers.exchange import GatherOptions, base_headers, body_text
from checks.safety import (
    GuardedResponse,
    ProbeFailed,
    TargetRefused,
    fetch,
    parse_target_url,
)

META_NAME = "scaleready-verification"
TXT_PREFIX = "scaleready-verification="
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{8,128}")
NO_DNS_CLIENT = "DNS TXT lookups need dnspython, which is not installed"

TxtLookup = Callable[[str], Sequence[str] | None]


@dataclass(frozen=True)
class VerificationResult:
    verified: bool
    method: str | None  # "file", "meta" or "dns_txt" when verified
    detail: str


# --- Pure parsing --------------------------------------------------------------------------


def verification_path(token: str) -> str:
    return f"/.well-known/scaleready-{token}.txt"


def file_has_token(body: str, token: str) -> bool:
    """The token on a line of its own (surrounding whitespace ignored)."""
    return any(line.strip() == token for line in body.splitlines())


class _MetaFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.contents: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "meta":
            return
        values = {name.lower(): (value or "") for name, value in attrs}
        if values.get("name", "").strip().lower() == META_NAME:
            self.contents.append(values.get("content", "").strip())


def meta_tokens(html: str) -> tuple[str, ...]:
    """The content of every ``<meta name="scaleready-verification">`` tag, in order."""
    finder = _MetaFinder()
    finder.feed(html)
    finder.close()
    return tuple(finder.contents)


def txt_has_token(records: Iterable[str], token: str) -> bool:
    expected = f"{TXT_PREFIX}{token}"
    return any(record.strip().strip('"').strip() == expected for record in records)


# --- DNS -----------------------------------------------------------------------------------


def default_txt_lookup(host: str) -> list[str] | None:
    """TXT records of ``host`` via dnspython when it is installed; None when it is not."""
    try:
        import dns.exception
        import dns.resolver
    except ImportError:
        return None
    try:
        answer = dns.resolver.resolve(host, "TXT", lifetime=5.0)
    except dns.exception.DNSException:
        return []
    return [b"".join(record.strings).decode("utf-8", "replace") for record in answer]


# --- Fetching ------------------------------------------------------------------------------


def verify_ownership(
    base_url: str,
    token: str,
    options: GatherOptions,
    *,
    txt_lookup: TxtLookup = default_txt_lookup,
) -> VerificationResult:
    """Try the file, then the meta tag, then DNS TXT; the first that holds the token wins."""
    if not TOKEN_PATTERN.fullmatch(token or ""):
        detail = "the token must be 8-128 letters, digits, '-' or '_'"
        return VerificationResult(False, None, detail)
    try:
        target = parse_target_url(base_url)
    except TargetRefused as exc:
        return VerificationResult(False, None, exc.reason)

    failures: list[str] = []
    for method, attempt in (("file", _by_file), ("meta", _by_meta)):
        found, detail = attempt(base_url, target.host, token, options)
        if found:
            return VerificationResult(True, method, detail)
        failures.append(f"{method}: {detail}")
    found, detail = _by_txt(target.host, target.address is not None, token, txt_lookup)
    if found:
        return VerificationResult(True, "dns_txt", detail)
    failures.append(f"DNS TXT: {detail}")
    return VerificationResult(False, None, "not verified -- " + "; ".join(failures))


def _by_file(base_url: str, host: str, token: str, options: GatherOptions) -> tuple[bool, str]:
    url = urljoin(base_url, verification_path(token))
    try:
        response = _get(url, options)
    except ProbeFailed as exc:
        return False, exc.reason
    if _host_of(response.url) != host:
        return False, f"{url} redirected to another host ({response.url})"
    if response.status != 200:
        return False, f"{url} answered {response.status}"
    if not file_has_token(body_text(response), token):
        return False, f"{url} does not contain the token on a line of its own"
    return True, f"the token is served at {url}"


def _by_meta(base_url: str, host: str, token: str, options: GatherOptions) -> tuple[bool, str]:
    try:
        response = _get(base_url, options)
    except ProbeFailed as exc:
        return False, exc.reason
    if _host_of(response.url) != host:
        return False, f"{base_url} redirected to another host ({response.url})"
    contents = meta_tokens(body_text(response))
    if token in contents:
        return True, f'{response.url} has <meta name="{META_NAME}"> with the token'
    if contents:
        return False, f'{response.url} has <meta name="{META_NAME}"> with another token'
    return False, f'{response.url} has no <meta name="{META_NAME}">'


def _by_txt(host: str, is_address: bool, token: str, txt_lookup: TxtLookup) -> tuple[bool, str]:
    if is_address:
        return False, "the target is an IP address, which has no TXT records"
    records = txt_lookup(host)
    if records is None:
        return False, NO_DNS_CLIENT
    if txt_has_token(records, token):
        return True, f'{host} has the TXT record "{TXT_PREFIX}{token}"'
    return False, f'{host} has no TXT record "{TXT_PREFIX}<token>" with this token'


def _get(url: str, options: GatherOptions) -> GuardedResponse:
    # gzip only: the page must be readable, and urllib3 cannot undo br without brotli.
    return fetch(
        url,
        allow_loopback=options.allow_loopback,
        limits=options.limits,
        headers=base_headers(**{"Accept-Encoding": "gzip"}),
        verify=options.verify,
        resolver=options.resolver,
    )


def _host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()
