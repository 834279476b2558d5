"""Ownership verification: by file, by meta tag, by (injected) DNS TXT; wrong tokens refused.

Only loopback servers started here are contacted; TXT lookups are always injected, so no DNS
query leaves the machine. No database.
"""

import sys

import pytest

from checks.engine.gatherers import GatherOptions
from checks.engine.gatherers.ownership import NO_DNS_CLIENT, verify_ownership
from checks.engine.ownership import file_has_token, meta_tokens, txt_has_token
from checks.engine.safety import ProbeLimits
from tests.probe_servers import hardened_server, naive_server

pytestmark = pytest.mark.usefixtures("loopback_network")

TOKEN = "sr-4f9c2d7e1a6b"
OTHER = "sr-0000aaaa1111"
LIMITS = ProbeLimits(connect_timeout=1, read_timeout=1, deadline_seconds=2)


def no_txt(host):
    return []


@pytest.fixture(scope="module")
def options(local_ca) -> GatherOptions:
    return GatherOptions(allow_loopback=True, limits=LIMITS, verify=local_ca.bundle)


# --- Pure parsing --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        (f'<meta name="scaleready-verification" content="{TOKEN}">', (TOKEN,)),
        (f"<META NAME='ScaleReady-Verification' CONTENT=' {TOKEN} '>", (TOKEN,)),
        (f'<meta content="{TOKEN}" name="scaleready-verification"/>', (TOKEN,)),
        (f'<meta name="google-site-verification" content="{TOKEN}">', ()),
        (f"<!-- <meta name=scaleready-verification content={TOKEN}> -->", ()),
        (
            '<meta name="scaleready-verification" content="a"><meta name="scaleready-verification" '
            'content="b">',
            ("a", "b"),
        ),
        ("<p>no meta here</p>", ()),
    ],
)
def test_meta_tokens_are_read_from_the_named_meta_tags_only(html, expected):
    assert meta_tokens(html) == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (TOKEN, True),
        (f"{TOKEN}\n", True),
        (f"  {TOKEN}  \r\n", True),
        (f"# ScaleReady\n{TOKEN}\n", True),
        (f"Not found: /.well-known/scaleready-{TOKEN}.txt", False),  # an echoed path
        (f"{TOKEN}x", False),
        ("", False),
    ],
)
def test_the_file_must_hold_the_token_on_a_line_of_its_own(body, expected):
    assert file_has_token(body, TOKEN) is expected


@pytest.mark.parametrize(
    ("records", "expected"),
    [
        ([f"scaleready-verification={TOKEN}"], True),
        (["v=spf1 -all", f'"scaleready-verification={TOKEN}"'], True),
        ([f"scaleready-verification={OTHER}"], False),
        ([f"scaleready-verification={TOKEN}-suffix"], False),
        ([], False),
    ],
)
def test_txt_records_match_the_exact_token(records, expected):
    assert txt_has_token(records, TOKEN) is expected


# --- Verifying a target ----------------------------------------------------------------------


def test_a_target_serving_the_token_file_is_verified(local_ca, options):
    with hardened_server(local_ca, file_token=TOKEN) as server:
        result = verify_ownership(server.url, TOKEN, options, txt_lookup=no_txt)
    assert (result.verified, result.method) == (True, "file")
    assert f"/.well-known/scaleready-{TOKEN}.txt" in result.detail
    assert server.paths() == [f"/.well-known/scaleready-{TOKEN}.txt"]


def test_a_target_with_the_meta_tag_is_verified(local_ca, options):
    with hardened_server(local_ca, meta_token=TOKEN) as server:
        result = verify_ownership(server.url, TOKEN, options, txt_lookup=no_txt)
    assert (result.verified, result.method) == (True, "meta")
    assert server.paths() == [f"/.well-known/scaleready-{TOKEN}.txt", "/"]


def test_a_target_with_the_txt_record_is_verified(local_ca, options):
    looked_up = []

    def txt_lookup(host):
        looked_up.append(host)
        return ["v=spf1 -all", f"scaleready-verification={TOKEN}"]

    with hardened_server(local_ca) as server:
        result = verify_ownership(server.url, TOKEN, options, txt_lookup=txt_lookup)
    assert (result.verified, result.method) == (True, "dns_txt")
    assert looked_up == ["localhost"]


def test_a_wrong_token_is_refused_by_every_method(local_ca, options):
    def txt_lookup(host):
        return [f"scaleready-verification={TOKEN}"]

    with hardened_server(local_ca, file_token=TOKEN, meta_token=TOKEN) as server:
        result = verify_ownership(server.url, OTHER, options, txt_lookup=txt_lookup)
    assert (result.verified, result.method) == (False, None)
    assert "answered 404" in result.detail
    assert "another token" in result.detail
    assert "no TXT record" in result.detail


def test_a_malformed_token_is_refused_without_any_request(local_ca, options):
    with hardened_server(local_ca) as server:
        result = verify_ownership(server.url, "../../etc/passwd", options, txt_lookup=no_txt)
    assert result.verified is False
    assert "token" in result.detail
    assert server.requests == []


def test_an_unreachable_target_is_not_verified(options):
    with naive_server() as server:
        url = server.url
    result = verify_ownership(url, TOKEN, options, txt_lookup=no_txt)
    assert result.verified is False
    assert "file:" in result.detail
    assert "meta:" in result.detail


def test_without_dnspython_the_default_txt_lookup_says_so(local_ca, options, monkeypatch):
    # dnspython is a dependency; an installation that lost it must still say why TXT failed.
    monkeypatch.setitem(sys.modules, "dns", None)
    monkeypatch.setitem(sys.modules, "dns.exception", None)
    monkeypatch.setitem(sys.modules, "dns.resolver", None)
    with hardened_server(local_ca) as server:
        result = verify_ownership(server.url, TOKEN, options)
    assert result.verified is False
    assert NO_DNS_CLIENT in result.detail
