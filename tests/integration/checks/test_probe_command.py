"""``manage.py probe`` end to end, against loopback servers started here; no database.

The hardened site must come out clean and the naive one must fail the checks it was built to
fail. Loopback targets are allowed only through the setting; without it the command refuses
before sending anything and exits with status 2.
"""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from checks.engine.artifacts import artifacts_from_dict
from checks.engine.catalog import CHECKS
from checks.engine.gatherers import DEFAULT_SAMPLES
from checks.engine.gatherers.latency import WARMUP_REQUESTS
from checks.engine.probe import (
    REPORT_FORMAT,
    REPORT_FORMAT_VERSION,
    ProbeOptions,
    TargetsRefused,
    probe_and_evaluate,
    probe_target,
    report_to_dict,
)
from checks.engine.safety import TargetRefused
from tests.probe_servers import hardened_server, naive_server

pytestmark = [
    pytest.mark.usefixtures("loopback_network"),
    pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1:DeprecationWarning"),
]

TOKEN = "sr-cli-7d1e4a9b"

HARDENED_PASSES = {
    "https_available",
    "http_redirects_to_https",
    "tls_protocols",
    "tls_forward_secrecy",
    "certificate_valid",
    "certificate_hostname",
    "hsts",
    "csp",
    "x_content_type_options",
    "frame_protection",
    "referrer_policy",
    "permissions_policy",
    "cookie_security",
    "cors",
    "compression",
    "http2",
    "static_caching",
    "conditional_requests",
    "version_disclosure",
    "error_page_leaks",
    "robots_txt",
    "security_txt",
}
NAIVE_FAILS = {
    "https_available",
    "http_redirects_to_https",
    "csp",
    "x_content_type_options",
    "frame_protection",
    "cookie_security",
    "cors",
    "compression",
    "static_caching",
    "error_page_leaks",
}


def probe(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("probe", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def probe_json(*args: str) -> dict:
    out, _ = probe(*args, "--json")
    return json.loads(out)


def statuses(target: dict) -> dict[str, str]:
    return {result["check_id"]: result["status"] for result in target["results"]}


def test_json_report_of_the_hardened_site_has_one_result_per_check(local_ca, probe_settings):
    with hardened_server(local_ca) as server:
        report = probe_json(server.url, "--ca-bundle", local_ca.bundle)
    assert (report["format"], report["format_version"]) == (REPORT_FORMAT, REPORT_FORMAT_VERSION)
    [target] = report["targets"]
    assert target["url"] == server.url
    assert [result["check_id"] for result in target["results"]] == list(CHECKS)
    for result in target["results"]:
        assert set(result) == {"check_id", "status", "score", "message", "evidence"}
    artifacts = artifacts_from_dict(target["artifacts"])
    assert artifacts.scheme_https.status == 200
    assert artifacts.tls.alpn == "h2"
    assert len(artifacts.latency.samples_ms) == DEFAULT_SAMPLES
    assert len(artifacts.latency.warmup_ms) == WARMUP_REQUESTS
    assert artifacts.burst is None


def test_the_hardened_site_passes_its_checks(local_ca, probe_settings):
    with hardened_server(local_ca) as server:
        [target] = probe_json(server.url, "--ca-bundle", local_ca.bundle)["targets"]
    results = statuses(target)
    expected = HARDENED_PASSES & set(results)
    assert {check: results[check] for check in expected} == dict.fromkeys(expected, "pass")


def test_the_naive_site_fails_the_expected_checks(probe_settings):
    with naive_server() as server:
        [target] = probe_json(server.url, "--latency-samples", "3")["targets"]
    results = statuses(target)
    expected = NAIVE_FAILS & set(results)
    assert {check: results[check] for check in expected} == dict.fromkeys(expected, "fail")
    if "version_disclosure" in results:
        assert results["version_disclosure"] in {"warn", "fail"}


TLS_DEPENDENT = {
    "tls_protocols",
    "tls_forward_secrecy",
    "certificate_valid",
    "certificate_expiry",
    "certificate_hostname",
    "certificate_chain",
    "hsts",
    "http2",
}


def test_a_site_without_an_https_listener_gets_one_finding_in_plain_words(probe_settings):
    """One cause, one finding: the port speaks plain HTTP only, so HTTPS fails once, in words,
    and the checks that needed TLS are not applicable with the same sentence."""
    with naive_server() as server:
        [target] = probe_json(server.url, "--latency-samples", "3")["targets"]
    results = {result["check_id"]: result for result in target["results"]}
    sentence = (
        "HTTPS is not served: the HTTPS port does not speak TLS (it probably serves plain HTTP)."
    )
    assert (results["https_available"]["status"], results["https_available"]["message"]) == (
        "fail",
        sentence,
    )
    for check_id in TLS_DEPENDENT:
        result = results[check_id]
        assert (result["status"], result["message"]) == (
            "not_applicable",
            f"Not checked: {sentence}",
        )
    assert [r["check_id"] for r in target["results"] if r["status"] == "error"] == []
    assert not any("_ssl.c" in r["message"] for r in target["results"])


def test_a_burst_runs_on_a_verified_target(local_ca, probe_settings):
    # The limit leaves room for the passive requests (latency: 2 warm-ups + 20 samples).
    with hardened_server(local_ca, file_token=TOKEN, rate_limit_after=50) as server:
        [target] = probe_json(
            server.url, "--ca-bundle", local_ca.bundle, "--burst", "--token", TOKEN
        )["targets"]
    burst = target["artifacts"]["burst"]
    assert burst["verified"] is True
    assert "429" in burst["aborted_reason"]
    assert burst["requests_sent"] < 100


def test_a_burst_is_refused_when_the_token_is_not_published(local_ca, probe_settings):
    with hardened_server(local_ca) as server:
        [target] = probe_json(
            server.url, "--ca-bundle", local_ca.bundle, "--burst", "--token", TOKEN
        )["targets"]
    burst = target["artifacts"]["burst"]
    assert burst["refused_reason"].startswith("ownership is not verified")
    assert burst["requests_sent"] == 0
    base_page_gets = [r for r in server.requests if r.tls and r.path == "/"]
    # page, CORS, latency warm-up and samples, meta check
    assert len(base_page_gets) == 1 + 1 + WARMUP_REQUESTS + DEFAULT_SAMPLES + 1


def test_text_output_groups_results_by_category(local_ca, probe_settings):
    with hardened_server(local_ca) as server:
        out, _ = probe(server.url, "--ca-bundle", local_ca.bundle, "--latency-samples", "3")
    assert server.url in out
    assert "HTTPS, TLS and certificates" in out
    assert "PASS  HTTPS is served" in out


def test_loopback_is_refused_without_the_setting_and_exits_2(local_ca, settings):
    settings.SCALEREADY_ALLOW_LOOPBACK_TARGETS = False
    err = StringIO()
    with hardened_server(local_ca) as server, pytest.raises(CommandError) as refused:
        call_command("probe", server.url, "--json", stdout=StringIO(), stderr=err)
    assert refused.value.returncode == 2
    assert err.getvalue().startswith(f"Refused: {server.url}: ")
    assert "loopback" in err.getvalue()
    assert server.requests == []


def test_a_burst_without_a_token_is_a_usage_error(probe_settings):
    with pytest.raises(CommandError, match="--token"):
        call_command("probe", "https://localhost:8443/", "--burst")


# --- The probe code path the command (and the task) share ------------------------------------


def test_probe_target_runs_every_gatherer_and_reports_progress(local_ca):
    events = []
    options = ProbeOptions(allow_loopback=True, ca_bundle=local_ca.bundle, latency_samples=2)
    with hardened_server(local_ca) as server:
        artifacts = probe_target(server.url, options, lambda *event: events.append(event))
    for name in ("http", "tls", "dns", "latency"):
        assert events.index((name, "started")) < events.index((name, "done"))
    assert len(events) == 8
    assert artifacts.target_url == server.url
    assert artifacts.dns.addresses == ("127.0.0.1",)
    assert artifacts.burst is None


def test_probe_target_refuses_before_sending_anything(local_ca):
    with hardened_server(local_ca) as server, pytest.raises(TargetRefused, match="loopback"):
        probe_target(server.url, ProbeOptions(allow_loopback=False))
    assert server.requests == []


def test_probe_and_evaluate_vets_every_target_before_probing_any(local_ca):
    options = ProbeOptions(allow_loopback=True, ca_bundle=local_ca.bundle)
    with hardened_server(local_ca) as server, pytest.raises(TargetsRefused) as refused:
        probe_and_evaluate([server.url, "http://169.254.169.254/"], options)
    assert refused.value.refusals[0][0] == "http://169.254.169.254/"
    assert "metadata" in refused.value.refusals[0][1]
    assert server.requests == []


def test_the_json_report_round_trips_through_json(local_ca):
    options = ProbeOptions(allow_loopback=True, ca_bundle=local_ca.bundle, latency_samples=2)
    with hardened_server(local_ca) as server:
        reports = probe_and_evaluate([server.url], options)
    document = report_to_dict(reports)
    assert json.loads(json.dumps(document)) == document
    stored = artifacts_from_dict(document["targets"][0]["artifacts"])
    assert stored == reports[0].artifacts


# --- Run bare, start fast (issue 14, part 6) --------------------------------------------------
BARE_ENV_DROPPED = ("SECRET_KEY", "DEBUG", "SCALEREADY_ALLOW_LOOPBACK_TARGETS")


def _bare_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k not in BARE_ENV_DROPPED}


def _manage(*args: str, code: str | None = None):
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    command = [sys.executable, "-c", code, *args] if code else [sys.executable, "manage.py", *args]
    return subprocess.run(
        command, cwd=root, env=_bare_env(), capture_output=True, text=True, timeout=60
    )


def test_probe_runs_bare_without_secret_key_or_debug():
    # A loopback target is refused without sending anything: exit status 2, not a settings error.
    done = _manage("probe", "http://127.0.0.1:9/")
    assert done.returncode == 2, done.stderr
    assert "Refused: http://127.0.0.1:9/" in done.stderr
    assert "SECRET_KEY" not in done.stderr


def test_score_runs_bare_without_secret_key_or_debug(tmp_path):
    done = _manage("score", str(tmp_path / "missing.json"), "--target-users", "1000")
    assert done.returncode != 0
    assert "SECRET_KEY" not in done.stderr
    assert "missing.json" in done.stderr  # the command itself ran and said what is wrong


def test_other_commands_still_need_a_secret_without_debug():
    done = _manage("check")
    assert done.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off." in done.stderr


def test_probe_skips_the_system_checks_and_imports_neither_pdf_nor_analytics():
    script = (
        "import os, sys\n"
        "os.environ['DJANGO_SETTINGS_MODULE'] = 'config.settings'\n"
        "sys.argv = ['manage.py', *sys.argv[1:]]\n"
        "from django.core.management import execute_from_command_line\n"
        "try:\n"
        "    execute_from_command_line(sys.argv)\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = ('weasyprint', 'pandas', 'config.urls', 'assessments.reports.views')\n"
        "print('loaded:', sorted(m for m in heavy if m in sys.modules))\n"
    )
    done = _manage("probe", "http://127.0.0.1:9/", code=script)
    assert "loaded: []" in done.stdout, done.stdout + done.stderr
