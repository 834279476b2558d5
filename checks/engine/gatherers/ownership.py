"""Looking for a published ownership token: the token file, the ``<meta>`` tag on the base
page, and the DNS TXT record, every request through the SSRF guard.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from urllib.parse import urljoin, urlsplit

from checks.engine.gatherers.exchange import GatherOptions, base_headers, body_text
from checks.engine.ownership import (
    META_NAME,
    TOKEN_PATTERN,
    TXT_PREFIX,
    VerificationResult,
    file_has_token,
    meta_tokens,
    txt_has_token,
    verification_path,
)
from checks.engine.safety import (
    GuardedResponse,
    ProbeFailed,
    TargetRefused,
    fetch,
    parse_target_url,
)

NO_DNS_CLIENT = "DNS TXT lookups need dnspython, which is not installed"

TxtLookup = Callable[[str], Sequence[str] | None]


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
