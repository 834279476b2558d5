"""The CI gate end to end: ``scaleready-gate`` and ``manage.py gate`` against a live test
server with a real Celery worker probing loopback targets.

The first gate run passes and is accepted as the baseline; then the target slows down, and
the next run fails on the regressed time-to-first-byte check and on the verdict. Waits are
the gate's own polling of the API against its deadline; the test never sleeps.
"""

import io
from xml.etree import ElementTree as ET

import pytest
from django.core.management import CommandError, call_command

from assessments.api.gate.cli import ERROR, FAILED, PASSED, main
from assessments.api.models import AcceptedRun
from assessments.api.services import api_token_create
from checks.engine.catalog.performance import TTFB_WARN_MS
from checks.models import ProbeRun
from tests.factories import AssessmentFactory, SystemFactory, TargetFactory
from tests.probe_servers import hardened_server, naive_server

pytestmark = [
    pytest.mark.usefixtures("probe_settings", "loopback_network"),
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1:DeprecationWarning"),
]


@pytest.fixture
def secret(owner):
    return api_token_create(
        workspace=owner.workspace, user=owner.user, name="CI", role="consultant"
    ).secret


@pytest.fixture(autouse=True)
def roomy_rate_limit(settings):
    """The gate polls every 0.1 s here; a slow run must not meet the per-token limit, except
    where a test sets a tight one on purpose."""
    settings.SCALEREADY_API_RATE_REQUESTS = 10_000


@pytest.fixture(autouse=True)
def no_proxies(monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)


def test_the_gate_passes_accepts_then_fails_on_a_regression_and_the_verdict(
    celery_worker, live_server, owner, secret, local_ca, bank_version, tmp_path, capsys
):
    system = SystemFactory(workspace=owner.workspace)
    assessment = AssessmentFactory(system=system, bank_version=bank_version)
    common = ["--url", live_server.url, "--token", secret, "--system", str(system.pk)]
    common += ["--poll", "0.1", "--timeout", "120"]
    with hardened_server(local_ca) as target:
        TargetFactory(system=system, url=target.url)
        junit = tmp_path / "first.xml"
        assert main([*common, "--accept-on-pass", "--junit", str(junit)]) == PASSED
        printed = capsys.readouterr().out
        assert "no accepted run to compare with" in printed
        assert printed.rstrip().endswith("PASSED")
        accepted = AcceptedRun.objects.get(system=system)
        suite = read_junit(junit)
        # One case per check result, and one for the run's grade.
        assert int(suite.get("tests")) == accepted.run.results.count() + 1
        assert "grade" in [case.get("name") for case in suite]
        assert suite.get("failures") == "0"

        target.config["response_delay"] = (TTFB_WARN_MS + 150) / 1000
        junit = tmp_path / "second.xml"
        status = main(
            [*common, "--assessment", str(assessment.pk), "--max-verdict", "at_risk",
             "--junit", str(junit)]
        )  # fmt: skip
    printed = capsys.readouterr().out
    assert status == FAILED
    assert f"compared with accepted run {accepted.run_id}" in printed
    assert "pass → fail" in printed
    assert "the verdict is “Not enough answers to judge”" in printed
    failures = [c for c in read_junit(junit) if c.find("failure") is not None]
    assert "verdict" in [c.get("name") for c in failures]
    assert len(failures) >= 2
    # The failing run was not accepted: the baseline stays the good one.
    assert AcceptedRun.objects.get(system=system).run_id == accepted.run_id


def test_manage_py_gate_and_its_exit_status(celery_worker, live_server, owner, secret, local_ca):
    system = SystemFactory(workspace=owner.workspace)
    args = ["--url", live_server.url, "--token", secret, "--system", str(system.pk)]
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as refused:
        call_command("gate", *args, "--poll", "0.1", stdout=out, stderr=err)
    assert refused.value.returncode == ERROR  # no base URLs yet: the run cannot start
    assert "no base URLs" in err.getvalue()
    with hardened_server(local_ca) as target:
        TargetFactory(system=system, url=target.url)
        call_command("gate", *args, "--poll", "0.1", stdout=out, stderr=err)
    assert "PASSED" in out.getvalue()


def test_a_wrong_token_or_a_grade_the_server_does_not_give_is_an_error(
    live_server, owner, secret, capsys
):
    system = SystemFactory(workspace=owner.workspace)
    wrong = ["--url", live_server.url, "--token", "srk_wrong-token-wrong-token", "--system"]
    assert main([*wrong, str(system.pk)]) == ERROR
    assert "401 Not authenticated" in capsys.readouterr().err


def read_junit(path) -> ET.Element:
    return ET.fromstring(path.read_text())  # noqa: S314 - the file the gate wrote


def test_a_grade_below_the_threshold_fails_the_gate_and_says_which(
    celery_worker, live_server, owner, secret, capsys
):
    system = SystemFactory(workspace=owner.workspace)
    args = ["--url", live_server.url, "--token", secret, "--system", str(system.pk)]
    args += ["--poll", "0.1", "--timeout", "120"]
    with naive_server() as target:  # plain HTTP only: no HTTPS caps the grade at F
        TargetFactory(system=system, url=target.http_url)
        assert main([*args, "--min-grade", "C"]) == FAILED
    printed = capsys.readouterr().out
    assert "the grade is F, below C" in printed
    run = ProbeRun.objects.filter(system=system).latest("created_at")
    assert run.status == ProbeRun.Status.SUCCEEDED


def test_the_gate_waits_out_the_hosts_cooldown(
    celery_worker, live_server, owner, secret, local_ca, probe_settings, capsys
):
    probe_settings.SCALEREADY_PROBE_COOLDOWN_SECONDS = 1
    system = SystemFactory(workspace=owner.workspace)
    args = ["--url", live_server.url, "--token", secret, "--system", str(system.pk)]
    args += ["--poll", "0.1", "--timeout", "60"]
    with hardened_server(local_ca) as target:
        TargetFactory(system=system, url=target.url)
        assert main(args) == PASSED
        assert main(args) == PASSED  # refused for the cooldown first, then started
    first, second = ProbeRun.objects.filter(system=system, status="succeeded").order_by("pk")
    assert (second.created_at - first.finished_at).total_seconds() >= 1


def test_the_gate_waits_when_its_token_hits_the_rate_limit(
    celery_worker, live_server, owner, secret, local_ca, settings, capsys
):
    # A tight limit the gate's fast polling is sure to hit: it must wait as told, not fail.
    settings.SCALEREADY_API_RATE_REQUESTS = 4
    settings.SCALEREADY_API_RATE_SECONDS = 2
    system = SystemFactory(workspace=owner.workspace)
    args = ["--url", live_server.url, "--token", secret, "--system", str(system.pk)]
    with hardened_server(local_ca) as target:
        TargetFactory(system=system, url=target.url)
        assert main([*args, "--poll", "0.05", "--timeout", "120"]) == PASSED
    assert capsys.readouterr().out.rstrip().endswith("PASSED")
