"""The app passes its own header checks: the probe engine pointed at our live server.

The live server speaks plain HTTP with development settings, so transport checks (HTTPS,
HSTS, secure cookies) are out of scope here; ``tests/integration/config/test_settings.py``
covers what production settings add. Everything a page's headers and error pages say is
judged by the same catalog clients are judged by.
"""

import pytest

from checks.engine.probe import ProbeOptions, probe_and_evaluate
from tests.probe_servers import loopback_only

OUR_HEADERS_PASS = (
    "csp",
    "x_content_type_options",
    "frame_protection",
    "referrer_policy",
    "permissions_policy",
    "error_page_leaks",
    "cors",
)


@pytest.mark.django_db(transaction=True)
def test_our_pages_pass_our_own_header_and_error_page_checks(live_server):
    options = ProbeOptions(allow_loopback=True, latency_samples=2, alias_lookup=None)
    with loopback_only():
        [report] = probe_and_evaluate([f"{live_server.url}/"], options)
    results = {result.check_id: result for result in report.results}
    failing = {
        check_id: (results[check_id].status, results[check_id].message)
        for check_id in OUR_HEADERS_PASS
        if results[check_id].status != "pass"
    }
    assert failing == {}
    # The test server (Django's WSGIServer) names its version; nothing of ours may add one.
    disclosed = results["version_disclosure"].evidence["disclosed"]
    assert set(disclosed) <= {"server"}
    assert disclosed.get("server", "WSGIServer/").startswith("WSGIServer/")
    # The page judged is the login page the home page redirects to, read over plain HTTP.
    assert results["csp"].evidence["url"].startswith(f"{live_server.url}/accounts/login/")
