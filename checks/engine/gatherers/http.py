"""The HTTP gatherer: the few requests every header, caching and hygiene check reads.

The https:// and http:// base URLs are fetched first (plain HTTP without following redirects,
so its first hop shows whether it upgrades to HTTPS). The page a visitor lands on -- the HTTPS
one, else the plain page -- then gives the origin for the other requests: one static asset it
references (and a conditional repeat of it), a missing path, robots.txt, security.txt and a
cross-origin GET. When HTTPS failed and plain HTTP redirects, the redirect is followed to find
that page; when no page answered, those requests are not attempted (left None).
"""

from __future__ import annotations

import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from checks.engine.artifacts import CORS_PROBE_ORIGIN, HttpExchange
from checks.engine.gatherers.exchange import (
    GatherOptions,
    base_headers,
    exchange,
    origin_of,
    scheme_urls,
)
from checks.engine.safety import TargetRefused

MISSING_PATH_PREFIX = "/scaleready-missing-"


@dataclass(frozen=True)
class HttpArtifacts:
    """The exchanges of one target, named as the fields of ``TargetArtifacts``."""

    scheme_https: HttpExchange
    plain_http: HttpExchange
    plain_landing: HttpExchange | None = None
    static_asset: HttpExchange | None = None
    static_conditional: HttpExchange | None = None
    not_found: HttpExchange | None = None
    robots: HttpExchange | None = None
    security_txt: HttpExchange | None = None
    cors_preflight: HttpExchange | None = None

    def as_fields(self) -> dict[str, HttpExchange | None]:
        return {field.name: getattr(self, field.name) for field in fields(self)}


def gather_http(base_url: str, options: GatherOptions) -> HttpArtifacts:
    """Fetch the base URLs, then the requests that depend on the landing page, in parallel."""
    try:
        https_url, http_url = scheme_urls(base_url)
    except TargetRefused as exc:
        failed = HttpExchange(url=base_url, error=exc.reason)
        return HttpArtifacts(scheme_https=failed, plain_http=failed)

    with ThreadPoolExecutor(max_workers=5, thread_name_prefix="probe-http") as pool:
        https_future = pool.submit(exchange, https_url, options)
        plain_future = pool.submit(exchange, http_url, options, follow_redirects=False)
        scheme_https, plain_http = https_future.result(), plain_future.result()
        landing = landing_page(scheme_https, plain_http)
        plain_landing = None
        if landing is None and plain_http.ok:
            # HTTPS on this name failed but plain HTTP redirects (often to www.): follow it.
            followed = exchange(http_url, options)
            landing = plain_landing = followed if followed.ok else None
        if landing is None:
            return HttpArtifacts(scheme_https=scheme_https, plain_http=plain_http)

        root = urljoin(landing.url, "/")
        missing = f"{MISSING_PATH_PREFIX}{secrets.token_hex(8)}"
        assets = pool.submit(_static_asset_and_repeat, landing, options)
        not_found = pool.submit(exchange, urljoin(root, missing), options)
        robots = pool.submit(exchange, urljoin(root, "/robots.txt"), options)
        security_txt = pool.submit(exchange, urljoin(root, "/.well-known/security.txt"), options)
        cors = pool.submit(
            exchange, landing.url, options, headers=base_headers(Origin=CORS_PROBE_ORIGIN)
        )
        static_asset, static_conditional = assets.result()
        return HttpArtifacts(
            scheme_https=scheme_https,
            plain_http=plain_http,
            plain_landing=plain_landing,
            static_asset=static_asset,
            static_conditional=static_conditional,
            not_found=not_found.result(),
            robots=robots.result(),
            security_txt=security_txt.result(),
            cors_preflight=cors.result(),
        )


def landing_page(scheme_https: HttpExchange, plain_http: HttpExchange) -> HttpExchange | None:
    """The page a visitor ends up on: HTTPS when it answered, else a plain page (not a 3xx)."""
    if scheme_https.ok:
        return scheme_https
    if plain_http.ok and not 300 <= (plain_http.status or 0) < 400:
        return plain_http
    return None


def _static_asset_and_repeat(
    page: HttpExchange, options: GatherOptions
) -> tuple[HttpExchange | None, HttpExchange | None]:
    html = page.body_sample
    if not html and page.header("Content-Encoding"):
        # Compressed with a coding we cannot undo (br without brotli): ask for gzip only.
        gzip_only = base_headers(**{"Accept-Encoding": "gzip"})
        html = exchange(page.url, options, headers=gzip_only).body_sample
    asset_url = find_static_asset(html, page.url)
    if asset_url is None:
        return None, None
    asset = exchange(asset_url, options)
    validators = conditional_headers(asset)
    if not validators:
        return asset, None
    return asset, exchange(asset.url, options, headers=base_headers(**validators))


def conditional_headers(asset: HttpExchange) -> dict[str, str]:
    """If-None-Match / If-Modified-Since built from the validators of the first response."""
    headers: dict[str, str] = {}
    if not asset.ok:
        return headers
    etag = asset.header("ETag")
    last_modified = asset.header("Last-Modified")
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


# --- Finding a static asset (pure) ---------------------------------------------------------


class _AssetFinder(HTMLParser):
    """Collects stylesheet, script and image references in document order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.references: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name.lower(): (value or "").strip() for name, value in attrs}
        if tag == "link" and "stylesheet" in values.get("rel", "").lower().split():
            reference = values.get("href", "")
        elif tag in ("script", "img"):
            reference = values.get("src", "")
        else:
            return
        if reference:
            self.references.append(reference)


def find_static_asset(html: str, page_url: str) -> str | None:
    """The first stylesheet, script or image of the page that is on the page's own origin."""
    finder = _AssetFinder()
    finder.feed(html)
    finder.close()
    page_origin = origin_of(page_url)
    for reference in finder.references:
        url = urljoin(page_url, reference)
        if urlsplit(url).scheme in ("http", "https") and origin_of(url) == page_origin:
            return url.split("#", 1)[0]
    return None
