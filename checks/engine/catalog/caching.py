"""HTTP caching of static assets, revalidation, and whether an edge cache / CDN is in front."""

from __future__ import annotations

import re
from email.utils import parsedate_to_datetime
from typing import Any

from checks.engine.artifacts import HttpExchange, TargetArtifacts
from checks.engine.causes import plain_failure

from .base import (
    Outcome,
    answered,
    check,
    clamp,
    errored,
    failed,
    not_applicable,
    passed,
    warned,
)

STATIC_MIN_MAX_AGE = 7 * 86_400  # a week: long enough that repeat visits skip the network
MDN_CACHING = "https://developer.mozilla.org/en-US/docs/Web/HTTP/Caching"
RFC_CACHING = "https://www.rfc-editor.org/rfc/rfc9111"


def parse_cache_control(value: str) -> dict[str, list[str | None]]:
    """Directive -> every value it was given (None for flags), names lower-cased (RFC 9111 5.2).

    Lists, because RFC 9111 4.2.1 treats a repeated freshness directive as a sign of trouble
    (we then take the shortest lifetime)."""
    directives: dict[str, list[str | None]] = {}
    for part in value.split(","):
        name, has_value, raw = part.strip().partition("=")
        name = name.strip().lower()
        if name:
            directives.setdefault(name, []).append(raw.strip().strip('"') if has_value else None)
    return directives


def _seconds(values: list[str | None] | None) -> int | None:
    """The shortest delta-seconds among the values; an invalid one counts as 0 (stale)."""
    if not values:
        return None
    return min(int(v) if v is not None and v.isdigit() else 0 for v in values)


def _http_date(value: str | None):
    try:
        return parsedate_to_datetime(value or "")
    except (TypeError, ValueError, IndexError):
        return None


def _expires_lifetime(exchange: HttpExchange) -> int | None:
    """Expires minus Date in seconds (RFC 9111 4.2.1); an invalid Expires such as "0" means
    already expired (RFC 9111 5.3). None when there is no Expires or no usable Date."""
    raw_expires = exchange.header("expires")
    if raw_expires is None:
        return None
    expires, date = _http_date(raw_expires), _http_date(exchange.header("date"))
    if expires is None:
        return 0
    if date is None:
        return None
    return max(0, int((expires - date).total_seconds()))


def freshness(exchange: HttpExchange) -> tuple[dict[str, list[str | None]], int | None]:
    """(Cache-Control directives, explicit lifetime in seconds or None when there is none)."""
    directives = parse_cache_control(", ".join(exchange.header_all("cache-control")))
    lifetime = _seconds(directives.get("max-age"))
    if lifetime is None:
        lifetime = _expires_lifetime(exchange)
    return directives, lifetime


def _days(seconds: int) -> str:
    return f"{seconds / 86_400:.1f} days" if seconds >= 86_400 else f"{seconds} s"


@check(
    id="static_caching",
    category="caching_cdn",
    why=(
        "Long-lived caching of versioned static files lets browsers and CDNs serve repeat "
        "visits without touching the origin: the cheapest capacity there is."
    ),
    how_to_fix=(
        "Serve fingerprinted assets (app.3f9c2.js) with 'Cache-Control: public, "
        "max-age=31536000, immutable'; e.g. Django ManifestStaticFilesStorage with WhiteNoise."
    ),
    references=(
        MDN_CACHING,
        RFC_CACHING,
        "https://developer.chrome.com/docs/lighthouse/performance/uses-long-cache-ttl",
    ),
    informs=(
        "infrastructure.static_and_media_delivery",
        "caching.http_cache_headers",
    ),
)
def static_caching(artifacts: TargetArtifacts) -> Outcome:
    asset = artifacts.static_asset
    if asset is None:
        return not_applicable("No static asset (CSS, JS or image) was found on the page.")
    if not asset.ok:
        return errored(
            f"The static asset {asset.url} could not be fetched: {plain_failure(asset.error)}.",
            technical_detail=asset.error,
        )
    if not 200 <= asset.status < 300:
        return not_applicable(f"The static asset {asset.url} answered {asset.status}.")
    directives, lifetime = freshness(asset)
    evidence: dict[str, Any] = {
        "url": asset.url,
        "cache_control": ", ".join(asset.header_all("cache-control")) or None,
        "expires": asset.header("expires"),
        "max_age_s": lifetime,
        "immutable": "immutable" in directives,
        "duplicate_max_age": len(directives.get("max-age", ())) > 1,
    }
    if "no-store" in directives:
        return failed("The static asset is sent with no-store, so nothing caches it.", **evidence)
    if "no-cache" in directives:
        return warned(
            "The static asset is sent with no-cache, so every use costs a round trip.",
            score=30,
            **evidence,
        )
    if lifetime == 0:
        return failed("The static asset expires immediately (a zero lifetime).", **evidence)
    if "private" in directives and (lifetime or 0) >= STATIC_MIN_MAX_AGE:
        return warned(
            "The static asset is cached by browsers only (private), not by CDNs.",
            score=70,
            **evidence,
        )
    if "immutable" in directives or (lifetime or 0) >= STATIC_MIN_MAX_AGE:
        told = "immutable" if lifetime is None else _days(lifetime)
        return passed(f"The static asset is cacheable for {told}.", **evidence)
    if lifetime is not None:
        return warned(
            f"The static asset is cacheable for only {_days(lifetime)} (aim for 7 days or more).",
            score=clamp(40 + 50 * lifetime / STATIC_MIN_MAX_AGE),
            **evidence,
        )
    if asset.header("last-modified") or asset.header("expires"):
        return warned(
            "The static asset has no usable cache lifetime, so browsers guess one.",
            score=40,
            **evidence,
        )
    return failed("The static asset carries no caching headers at all.", **evidence)


@check(
    id="conditional_requests",
    category="caching_cdn",
    why=(
        "With ETag / Last-Modified and 304 answers, an expired cached copy is revalidated with "
        "a few hundred bytes instead of being downloaded again."
    ),
    how_to_fix=(
        "Send ETag or Last-Modified on static and cacheable responses and answer "
        "If-None-Match / If-Modified-Since with 304 (Django: ConditionalGetMiddleware)."
    ),
    references=(
        "https://developer.mozilla.org/en-US/docs/Web/HTTP/Conditional_requests",
        "https://www.rfc-editor.org/rfc/rfc9110#section-13",
    ),
    informs=("caching.http_cache_headers",),
)
def conditional_requests(artifacts: TargetArtifacts) -> Outcome:
    asset, again = artifacts.static_asset, artifacts.static_conditional
    if asset is None:
        return not_applicable("No static asset was found to re-request.")
    if not answered(asset) or not 200 <= asset.status < 300:
        return not_applicable(f"The static asset {asset.url} could not be fetched.")
    validators = {"etag": asset.header("etag"), "last_modified": asset.header("last-modified")}
    has_validator = any(validators.values())
    evidence: dict[str, Any] = {"url": asset.url, **validators}
    if again is None:
        if has_validator:
            return not_applicable("The conditional re-request did not run.", **evidence)
        return warned(
            "The static asset has no ETag or Last-Modified, so it can never be revalidated.",
            score=30,
            **evidence,
        )
    if not again.ok:
        return errored(
            f"The conditional re-request failed: {plain_failure(again.error)}.",
            technical_detail=again.error,
            **evidence,
        )
    evidence |= {
        "status": again.status,
        "sent": {k: v for k, v in again.request_headers if k.lower().startswith("if-")},
    }
    if again.status == 304:
        return passed("A conditional re-request is answered 304 Not Modified.", **evidence)
    if has_validator:
        return warned(
            f"The asset has validators but a conditional re-request got {again.status}, not 304.",
            **evidence,
        )
    return warned(
        "The static asset has no ETag or Last-Modified, so it can never be revalidated.",
        score=30,
        **evidence,
    )


# --- CDN detection ----------------------------------------------------------------------
# (provider, header, pattern the value must match or None for any value)
CDN_HEADERS: tuple[tuple[str, str, str | None], ...] = (
    ("Cloudflare", "cf-ray", None),
    ("Cloudflare", "cf-cache-status", None),
    ("Cloudflare", "server", r"^cloudflare"),
    ("Amazon CloudFront", "x-amz-cf-id", None),
    ("Amazon CloudFront", "x-amz-cf-pop", None),
    ("Amazon CloudFront", "via", r"cloudfront"),
    ("Amazon CloudFront", "x-cache", r"cloudfront"),
    ("Fastly", "x-fastly-request-id", None),
    ("Fastly", "fastly-debug-digest", None),
    ("Fastly", "x-served-by", r"^cache-"),
    ("Akamai", "akamai-grn", None),
    ("Akamai", "akamai-cache-status", None),
    ("Akamai", "x-akamai-request-id", None),
    ("Akamai", "x-akamai-transformed", None),
    ("Akamai", "server", r"^akamai"),
    ("Azure Front Door", "x-azure-ref", None),
    ("Azure CDN", "x-msedge-ref", None),
    ("Vercel", "x-vercel-id", None),
    ("Vercel", "x-vercel-cache", None),
    ("Netlify", "x-nf-request-id", None),
    ("Bunny CDN", "cdn-pullzone", None),
    ("Bunny CDN", "server", r"^bunnycdn"),
    ("KeyCDN", "server", r"^keycdn"),
    ("Sucuri", "x-sucuri-id", None),
    ("Imperva", "x-iinfo", None),
    ("Imperva", "x-cdn", r"incapsula|imperva"),
    ("StackPath", "x-hw", None),
)
# Signs of some shared cache whose operator the headers do not name.
GENERIC_CACHE_HEADERS: tuple[tuple[str, str | None], ...] = (
    ("x-cache", None),
    ("x-cache-status", None),
    ("age", r"^\s*\d+\s*$"),
    ("via", r"varnish|squid|cache"),
)
CDN_CNAME_SUFFIXES = {
    "cloudfront.net": "Amazon CloudFront",
    "cdn.cloudflare.net": "Cloudflare",
    "fastly.net": "Fastly",
    "fastlylb.net": "Fastly",
    "akamaiedge.net": "Akamai",
    "akamaized.net": "Akamai",
    "akamai.net": "Akamai",
    "edgekey.net": "Akamai",
    "edgesuite.net": "Akamai",
    "azurefd.net": "Azure Front Door",
    "azureedge.net": "Azure CDN",
    "vercel-dns.com": "Vercel",
    "netlify.app": "Netlify",
    "netlifyglobalcdn.com": "Netlify",
    "b-cdn.net": "Bunny CDN",
    "kxcdn.com": "KeyCDN",
    "incapdns.net": "Imperva",
    "stackpathdns.com": "StackPath",
    "edgecastcdn.net": "Edgio",
    "cdn77.org": "CDN77",
}
UNIDENTIFIED_CACHE = "an unidentified edge cache"
UNIDENTIFIED_CACHE_SCORE = 80
NO_CDN_SCORE = 40


def _matches(value: str, pattern: str | None) -> bool:
    return pattern is None or re.search(pattern, value, re.IGNORECASE) is not None


def cdn_signals(artifacts: TargetArtifacts) -> list[dict[str, str]]:
    """Every header or CNAME that names a CDN (or, with provider None, an unnamed cache)."""
    signals: list[dict[str, Any]] = []
    exchanges = (artifacts.scheme_https, artifacts.static_asset, artifacts.plain_http)
    for exchange in (e for e in exchanges if answered(e)):
        for provider, header, pattern in CDN_HEADERS:
            for value in exchange.header_all(header):
                if _matches(value, pattern):
                    signals.append(
                        {
                            "provider": provider,
                            "source": exchange.url,
                            "header": header,
                            "value": value,
                        }
                    )
        for header, pattern in GENERIC_CACHE_HEADERS:
            for value in exchange.header_all(header):
                if _matches(value, pattern):
                    signals.append(
                        {"provider": None, "source": exchange.url, "header": header, "value": value}
                    )
    for cname in artifacts.dns.cnames if artifacts.dns is not None else ():
        name = cname.lower().rstrip(".")
        for suffix, provider in CDN_CNAME_SUFFIXES.items():
            if name == suffix or name.endswith("." + suffix):
                signals.append(
                    {"provider": provider, "source": "dns", "header": "CNAME", "value": cname}
                )
    return signals


@check(
    id="cdn",
    category="caching_cdn",
    why=(
        "A CDN serves cached content from near the user, absorbs traffic spikes and many "
        "attacks before they reach the origin, and terminates TLS close to visitors."
    ),
    how_to_fix=(
        "Put a CDN (Cloudflare, CloudFront, Fastly...) in front of the site, at least for "
        "static assets, and let it cache what the Cache-Control headers allow."
    ),
    references=(
        "https://developer.mozilla.org/en-US/docs/Glossary/CDN",
        MDN_CACHING,
    ),
    informs=(
        "infrastructure.static_and_media_delivery",
        "caching.edge_caching",
        "security.waf_and_ddos",
    ),
)
def cdn(artifacts: TargetArtifacts) -> Outcome:
    looked = [e for e in (artifacts.scheme_https, artifacts.static_asset) if answered(e)]
    if not looked and artifacts.dns is None:
        return not_applicable("No page or DNS answer was collected to look for a CDN.")
    signals = cdn_signals(artifacts)
    providers = sorted({s["provider"] for s in signals if s["provider"]})
    evidence = {"providers": providers, "signals": signals}
    if providers:
        return passed(f"The site is served through {', '.join(providers)}.", **evidence)
    if signals:
        return passed(
            f"Responses pass through {UNIDENTIFIED_CACHE} (cache headers seen, provider "
            "not identified).",
            score=UNIDENTIFIED_CACHE_SCORE,
            **evidence,
        )
    return warned(
        "No CDN or edge cache was detected in front of the site.", score=NO_CDN_SCORE, **evidence
    )


CHECKS = (static_caching, conditional_requests, cdn)
