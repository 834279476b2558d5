"""Compression, HTTP/2 and response times of the base page."""

from __future__ import annotations

import math

from checks.engine.artifacts import TargetArtifacts, claimable_percentile
from checks.engine.causes import TLS, plain_failure

from .base import (
    Outcome,
    answered,
    check,
    errored,
    failed,
    graded,
    main_page,
    missing_page,
    not_applicable,
    passed,
    warned,
)

GOOD_ENCODINGS = {"br": 100, "zstd": 100, "gzip": 100, "deflate": 80}
COMPRESSIBLE_TYPES = (
    "text/",
    "application/json",
    "application/javascript",
    "application/xml",
    "application/xhtml+xml",
    "application/ld+json",
    "application/manifest+json",
    "image/svg+xml",
)
MIN_COMPRESSIBLE_BYTES = 1_400  # fits in one TCP segment: servers rightly skip these

TTFB_PASS_MS = 200
TTFB_WARN_MS = 600

LATENCY_MIN_SAMPLES = 5
LATENCY_TAIL_PERCENT = 95  # the tail we judge, when the samples can claim it
LATENCY_P95_PASS_MS = 500
LATENCY_P95_WARN_MS = 1_500
LATENCY_MAX_ERROR_SHARE = 0.05

WEB_VITALS_TTFB = "https://web.dev/articles/ttfb"


@check(
    id="compression",
    category="performance",
    why=(
        "HTML, CSS, JS and JSON shrink 70-90 % with gzip or brotli: less egress to pay for, "
        "faster pages on slow links, more requests per second through the same bandwidth."
    ),
    how_to_fix=(
        "Enable brotli and gzip for text types at the CDN or reverse proxy (or WhiteNoise's "
        "compressed storage for static files)."
    ),
    references=(
        "https://developer.mozilla.org/en-US/docs/Web/HTTP/Compression",
        "https://developer.chrome.com/docs/lighthouse/performance/uses-text-compression",
    ),
    informs=("caching.payload_efficiency",),
)
def compression(artifacts: TargetArtifacts) -> Outcome:
    page = main_page(artifacts)
    if page is None:
        return missing_page(artifacts)
    encoding = (page.header("content-encoding") or "").strip().lower()
    content_type = (page.header("content-type") or "").split(";")[0].strip().lower()
    evidence = {
        "url": page.url,
        "content_encoding": encoding or None,
        "content_type": content_type or None,
        "body_bytes": page.body_bytes,
        "accept_encoding_sent": next(
            (v for k, v in page.request_headers if k.lower() == "accept-encoding"), None
        ),
    }
    codings = [c.strip() for c in encoding.split(",") if c.strip() and c.strip() != "identity"]
    known = [c for c in codings if c in GOOD_ENCODINGS]
    if known:
        score = max(GOOD_ENCODINGS[c] for c in known)
        return passed(f"The page is compressed with {', '.join(known)}.", score=score, **evidence)
    if content_type and not content_type.startswith(COMPRESSIBLE_TYPES):
        return not_applicable(f"The page is {content_type}, which is not text.", **evidence)
    if page.body_bytes and page.body_bytes < MIN_COMPRESSIBLE_BYTES and not page.truncated:
        return not_applicable(
            f"The page is only {page.body_bytes} bytes, too small to need compression.",
            **evidence,
        )
    if codings:
        return warned(f"The page uses an unusual encoding ({encoding}).", **evidence)
    return failed("The page is sent uncompressed (no gzip or brotli).", **evidence)


@check(
    id="http2",
    category="performance",
    why=(
        "HTTP/2 multiplexes many requests over one connection, so pages with many assets load "
        "faster and the server holds far fewer connections per visitor."
    ),
    how_to_fix=(
        "Enable HTTP/2 (ALPN 'h2') on the load balancer, CDN or reverse proxy; most enable it "
        "with one setting once TLS is on."
    ),
    references=(
        "https://developer.mozilla.org/en-US/docs/Glossary/HTTP_2",
        "https://www.rfc-editor.org/rfc/rfc9113",
        "https://www.rfc-editor.org/rfc/rfc7301",
    ),
    informs=("infrastructure.edge_tls_dns", "caching.frontend_assets"),
    needs=(TLS,),
)
def http2(artifacts: TargetArtifacts) -> Outcome:
    tls, page = artifacts.tls, artifacts.scheme_https
    version = page.http_version if answered(page) else None
    alpn = tls.alpn if tls is not None else None
    alt_svc = page.header("alt-svc") if answered(page) else None
    evidence = {"alpn": alpn, "http_version": version, "alt_svc": alt_svc}
    if alpn == "h2" or (version or "").upper() in {"HTTP/2", "HTTP/2.0", "HTTP/3", "H2", "H3"}:
        return passed("HTTP/2 is negotiated.", **evidence)
    if tls is None and not answered(page):
        return not_applicable("Neither TLS nor the HTTPS page was probed.", **evidence)
    if tls is not None and tls.error and alpn is None and not answered(page):
        return errored(
            f"The TLS handshake failed: {plain_failure(tls.error)}.",
            technical_detail=tls.error,
            **evidence,
        )
    return warned("Only HTTP/1.1 is offered; HTTP/2 is not negotiated.", score=30, **evidence)


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


@check(
    id="ttfb",
    category="performance",
    why=(
        "Time to first byte is server think-time plus network; when it is already high for "
        "one visitor, it grows fastest under load as requests queue."
    ),
    how_to_fix=(
        "Profile the slow path (database queries, external calls), cache rendered pages or "
        "fragments, move slow work to background jobs, and serve from a region near users."
    ),
    references=(
        WEB_VITALS_TTFB,
        "https://developer.mozilla.org/en-US/docs/Glossary/Time_to_first_byte",
    ),
    informs=("caching.performance_budgets",),
)
def ttfb(artifacts: TargetArtifacts) -> Outcome:
    samples = artifacts.latency.ttfb_ms if artifacts.latency is not None else ()
    if samples:
        median = artifacts.latency.ttfb_percentile(50)
        evidence = {"median_ms": _ms(median), "samples": len(samples), "source": "latency"}
    elif answered(artifacts.scheme_https) and artifacts.scheme_https.ttfb_ms is not None:
        median = artifacts.scheme_https.ttfb_ms
        evidence = {"median_ms": _ms(median), "samples": 1, "source": "https page"}
    else:
        return not_applicable("No time to first byte was measured.")
    if median <= TTFB_PASS_MS:
        return passed(f"Median time to first byte is {median:.0f} ms.", **evidence)
    if median <= TTFB_WARN_MS:
        score = graded(median, TTFB_PASS_MS, TTFB_WARN_MS)
        return warned(
            f"Median time to first byte is {median:.0f} ms (target {TTFB_PASS_MS} ms).",
            score=score,
            **evidence,
        )
    return failed(
        f"Median time to first byte is {median:.0f} ms, above {TTFB_WARN_MS} ms.",
        score=graded(median, TTFB_WARN_MS, 4 * TTFB_WARN_MS, high=40, low=0),
        **evidence,
    )


@check(
    id="latency_percentiles",
    category="performance",
    why=(
        "Averages hide the slow tail; p95 and p99 are what the unluckiest users (and every "
        "page that makes many calls) experience, and the tail is what degrades first at scale."
    ),
    how_to_fix=(
        "Track p95/p99 per endpoint, set a budget, and remove tail causes: N+1 queries, lock "
        "contention, cold caches, synchronous calls to slow third parties."
    ),
    references=(
        "https://sre.google/sre-book/monitoring-distributed-systems/",
        "https://research.google/pubs/the-tail-at-scale/",
    ),
    informs=("caching.performance_budgets",),
)
def latency_percentiles(artifacts: TargetArtifacts) -> Outcome:
    """Judged on the highest percentile the sample count supports (``claimable_percentile``):
    p95 from 20 samples, else p90/p75 -- said in the message --, never a "p95" that is
    really the slowest request. So one slow outlier cannot flip the verdict: at least one
    sample always lies above the judged rank. Warm-up requests are not counted."""
    latency = artifacts.latency
    if latency is None:
        return not_applicable("Repeated latency samples were not collected.")
    count, errors = len(latency.samples_ms), latency.errors
    claimed = claimable_percentile(count)
    judged = latency.percentile(min(claimed or 50, LATENCY_TAIL_PERCENT))
    evidence = {
        "url": latency.url,
        "samples": count,
        "errors": errors,
        "warmup_discarded": len(latency.warmup_ms),
        "percentile": f"p{min(claimed or 50, LATENCY_TAIL_PERCENT)}" if claimed else None,
        "judged_ms": _ms(judged),
        "p50_ms": _ms(latency.p50),
        "p95_ms": _ms(latency.p95) if (claimed or 0) >= 95 else None,
        "p99_ms": _ms(latency.p99) if (claimed or 0) >= 99 else None,
        "min_ms": _ms(min(latency.samples_ms, default=None)),
        "max_ms": _ms(max(latency.samples_ms, default=None)),
        "method": "nearest-rank",
    }
    if count < LATENCY_MIN_SAMPLES:
        if errors:
            return errored(
                f"Only {count} of {count + errors} requests succeeded, too few for percentiles.",
                **evidence,
            )
        return not_applicable(
            f"Only {count} sample(s) were taken; at least {LATENCY_MIN_SAMPLES} are needed.",
            **evidence,
        )
    tail = min(claimed, LATENCY_TAIL_PERCENT)
    summary = f"p50 {latency.p50:.0f} ms, p{tail} {judged:.0f} ms over {count} requests"
    if tail < LATENCY_TAIL_PERCENT:
        needed = math.ceil(100 / (100 - LATENCY_TAIL_PERCENT))
        summary += f" (p{LATENCY_TAIL_PERCENT} needs at least {needed} samples)"
    error_share = errors / (count + errors)
    if judged > LATENCY_P95_WARN_MS:
        return failed(
            f"Latency is high: {summary}.",
            score=graded(judged, LATENCY_P95_WARN_MS, 4 * LATENCY_P95_WARN_MS, high=40, low=0),
            **evidence,
        )
    if judged > LATENCY_P95_PASS_MS:
        score = graded(judged, LATENCY_P95_PASS_MS, LATENCY_P95_WARN_MS)
        return warned(f"The latency tail is slow: {summary}.", score=score, **evidence)
    if error_share > LATENCY_MAX_ERROR_SHARE:
        return warned(f"{errors} request(s) failed; {summary}.", score=60, **evidence)
    return passed(f"Latency is low: {summary}.", **evidence)


CHECKS = (compression, http2, ttfb, latency_percentiles)
