import pytest

from checks.engine.catalog.caching import parse_cache_control
from tests.unit.checks.catalog_builders import (
    BASE,
    PLAIN,
    artifacts,
    dns,
    exchange,
    failed_exchange,
    run,
    with_page,
)

ASSET = "https://example.com/static/app.3f9c2.js"
CC = "Cache-Control"
WEEK = 604_800
DATE = "Mon, 01 Jan 2024 00:00:00 GMT"


def asset(headers=None, status=200):
    return exchange(headers, url=ASSET, status=status)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({CC: "public, max-age=31536000, immutable"}, "pass"),
        ({CC: f"max-age={WEEK}"}, "pass"),
        ({CC: "MAX-AGE=31536000"}, "pass"),
        ({CC: 'max-age="31536000"'}, "pass"),
        ({CC: "immutable"}, "pass"),
        ({CC: "public,max-age=31536000"}, "pass"),
        ([(CC, "public"), (CC, "max-age=31536000")], "pass"),  # split over two lines
        ({"Expires": "Mon, 01 Jan 2025 00:00:00 GMT", "Date": DATE}, "pass"),
        ({CC: f"max-age={WEEK - 1}"}, "warn"),
        ({CC: "max-age=3600"}, "warn"),
        ({CC: "max-age=31536000, max-age=60"}, "warn"),  # duplicates: shortest counts
        ({CC: "private, max-age=31536000"}, "warn"),
        ({CC: "no-cache"}, "warn"),
        ({"Last-Modified": DATE}, "warn"),  # heuristic freshness only
        ({CC: "no-store"}, "fail"),
        ({CC: "max-age=31536000, no-store"}, "fail"),
        ({CC: "max-age=0"}, "fail"),
        ({CC: "max-age=soon"}, "fail"),  # invalid lifetime means stale
        ({"Expires": "0", "Date": DATE}, "fail"),  # an invalid Expires means already expired
        ({"Expires": "Mon, 01 Jan 2025 00:00:00 GMT"}, "warn"),  # no Date: lifetime unknown
        ({}, "fail"),
    ],
)
def test_static_caching(headers, expected):
    assert run("static_caching", artifacts(static_asset=asset(headers))).status == expected


@pytest.mark.parametrize(
    ("static_asset", "expected"),
    [
        (None, "not_applicable"),
        (failed_exchange(url=ASSET), "error"),
        (asset(status=404), "not_applicable"),
    ],
)
def test_static_caching_without_a_usable_asset(static_asset, expected):
    assert run("static_caching", artifacts(static_asset=static_asset)).status == expected


def test_static_caching_short_lifetime_scores_lower():
    day = run("static_caching", artifacts(static_asset=asset({CC: "max-age=86400"})))
    minute = run("static_caching", artifacts(static_asset=asset({CC: "max-age=60"})))
    assert day.score > minute.score


def test_parse_cache_control_keeps_repeated_directives():
    assert parse_cache_control("max-age=1, Max-Age=2, no-cache") == {
        "max-age": ["1", "2"],
        "no-cache": [None],
    }


ETAG = {"ETag": '"abc"'}


def conditional(status, headers=None):
    return exchange(
        headers, url=ASSET, status=status, request_headers=(("If-None-Match", '"abc"'),)
    )


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        (asset(ETAG), conditional(304), "pass"),
        (asset({"Last-Modified": DATE}), conditional(304), "pass"),
        (asset({"etag": 'W/"weak"'}), conditional(304), "pass"),
        (asset(ETAG), conditional(200), "warn"),
        (asset({"Last-Modified": DATE}), conditional(200), "warn"),
        (asset(), conditional(200), "warn"),
        (asset(), None, "warn"),
        (asset(ETAG), None, "not_applicable"),
        (asset(ETAG), failed_exchange(url=ASSET), "error"),
        (None, None, "not_applicable"),
    ],
)
def test_conditional_requests(first, second, expected):
    target = artifacts(static_asset=first, static_conditional=second)
    assert run("conditional_requests", target).status == expected


def test_conditional_requests_records_what_was_sent():
    target = artifacts(static_asset=asset(ETAG), static_conditional=conditional(304))
    assert run("conditional_requests", target).evidence["sent"] == {"If-None-Match": '"abc"'}


@pytest.mark.parametrize(
    ("headers", "provider"),
    [
        ({"CF-Ray": "8a1b2c3d4e5f-FRA"}, "Cloudflare"),
        ({"Server": "cloudflare"}, "Cloudflare"),
        ({"X-Amz-Cf-Id": "abc=="}, "Amazon CloudFront"),
        ({"Via": "1.1 0a1b2c.cloudfront.net (CloudFront)"}, "Amazon CloudFront"),
        ({"X-Cache": "Hit from cloudfront"}, "Amazon CloudFront"),
        ({"X-Served-By": "cache-fra-eddf8230020-FRA"}, "Fastly"),
        ({"x-fastly-request-id": "abc"}, "Fastly"),
        ({"Akamai-GRN": "0.1234"}, "Akamai"),
        ({"Server": "AkamaiGHost"}, "Akamai"),
        ({"X-Azure-Ref": "0abc"}, "Azure Front Door"),
        ({"X-Vercel-Cache": "HIT"}, "Vercel"),
        ({"X-NF-Request-Id": "01H"}, "Netlify"),
    ],
)
def test_cdn_names_the_provider_from_headers(headers, provider):
    result = run("cdn", with_page(headers))
    assert result.status == "pass"
    assert result.evidence["providers"] == [provider]
    assert provider in result.message


@pytest.mark.parametrize(
    ("cname", "provider"),
    [
        ("d111111abcdef8.cloudfront.net.", "Amazon CloudFront"),
        ("example.com.cdn.cloudflare.net", "Cloudflare"),
        ("dualstack.j.sni.global.fastly.net", "Fastly"),
        ("www.example.com.edgekey.net", "Akamai"),
        ("e1234.a.akamaiedge.net", "Akamai"),
    ],
)
def test_cdn_names_the_provider_from_cname(cname, provider):
    result = run("cdn", artifacts(scheme_https=exchange(), dns=dns(cname)))
    assert (result.status, result.evidence["providers"]) == ("pass", [provider])


@pytest.mark.parametrize(
    ("headers", "expected", "score"),
    [
        ({"X-Cache": "HIT"}, "pass", 80),
        ({"Age": "120"}, "pass", 80),
        ({"Via": "1.1 varnish"}, "pass", 80),
        ({"Age": "soon"}, "warn", 40),
        ({"Via": "1.1 proxy.internal"}, "warn", 40),
        ({"Server": "nginx"}, "warn", 40),
        ({}, "warn", 40),
    ],
)
def test_cdn_generic_caches_and_nothing(headers, expected, score):
    result = run("cdn", with_page(headers))
    assert (result.status, result.score) == (expected, score)


def test_cdn_looks_at_static_asset_and_ignores_lookalike_cnames():
    target = artifacts(
        scheme_https=exchange(url=BASE),
        static_asset=exchange({"CF-Cache-Status": "HIT"}, url=ASSET),
        plain_http=exchange(url=PLAIN, status=301),
        dns=dns("notcloudfront.net.example.org"),
    )
    assert run("cdn", target).evidence["providers"] == ["Cloudflare"]


def test_cdn_not_applicable_without_anything_to_look_at():
    assert run("cdn", artifacts()).status == "not_applicable"
