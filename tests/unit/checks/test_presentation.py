"""Evidence for people (``checks.engine.presentation``): labelled tables, no Python reprs."""

import pytest

from checks.engine.artifacts import LatencySamples
from checks.engine.presentation import (
    EMPTY,
    artifact_tables,
    display,
    evidence_tables,
    raw_json,
)
from tests.unit.checks.catalog_builders import PLAIN, artifacts, exchange, tls


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, EMPTY),
        (True, "yes"),
        (False, "no"),
        (31536000, "31,536,000"),
        (12.34, "12.3"),
        (3.0, "3"),
        ([], EMPTY),
        (["TLSv1.2", "TLSv1.3"], "TLSv1.2, TLSv1.3"),
        ({"camera": "()"}, "Camera: ()"),
        ("nosniff", "nosniff"),
    ],
)
def test_values_are_shown_in_words(value, shown):
    assert display(value) == shown


def test_scalars_become_a_labelled_details_table_and_records_a_table_each():
    tables = evidence_tables(
        {
            "url": "http://example.com/",
            "status": 301,
            "include_subdomains": False,
            "hops": [{"url": "http://example.com/", "status": 301, "location": "https://x/"}],
            "technical_detail": "[SSL: WRONG_VERSION_NUMBER] (_ssl.c:1006)",
        }
    )
    details, hops = tables
    assert details.title == "Details"
    assert not details.is_record_table
    assert details.rows == (
        ("URL", "http://example.com/"),
        ("HTTP status", "301"),
        ("includeSubDomains", "no"),
    )
    assert hops.columns == ("URL", "HTTP status", "Redirects to")
    assert hops.rows == (("http://example.com/", "301", "https://x/"),)
    shown = repr(tables)
    assert "_ssl.c" not in shown  # technical errors only in the raw block


def test_raw_json_keeps_the_machine_form():
    assert raw_json({"b": None, "a": True}) == '{\n  "a": true,\n  "b": null\n}'


def test_one_table_per_kind_of_artifact():
    target = artifacts(
        scheme_https=exchange(
            [("Strict-Transport-Security", "max-age=31536000"), ("Set-Cookie", "sid=1; Secure")]
        ),
        plain_http=exchange(
            {"Location": "https://example.com/"},
            url=PLAIN,
            status=301,
            redirect_chain=(),
        ),
        tls=tls(),
        latency=LatencySamples(url=PLAIN, samples_ms=(10.0, 12.0, 30.0), ttfb_ms=(5.0, 6.0, 7.0)),
    )
    tables = {table.title: table for table in artifact_tables(target)}
    assert set(tables) == {
        "Certificate and TLS",
        "Response headers of https://example.com/",
        "Cookies",
        "Redirects",
        "Timings",
    }
    assert ("Chain verified", "yes") in tables["Certificate and TLS"].rows
    assert tables["Cookies"].rows == (("sid", "yes", "no", EMPTY, "https://example.com/"),)
    assert tables["Redirects"].rows == (("http://example.com/", "301", "https://example.com/"),)
    assert ("Median (ms)", "12") in tables["Timings"].rows
    header_names = [name for name, _ in tables["Response headers of https://example.com/"].rows]
    assert header_names == ["Strict-Transport-Security"]  # cookies have their own table


def test_a_target_that_did_not_answer_has_no_tables():
    assert artifact_tables(artifacts()) == []
