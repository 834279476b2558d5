"""Probe runs: starting (refusals), executing against local servers, sweeping, verifying, and
the pages that show them.

Runs are executed here by calling ``probe_run_execute`` directly (the Celery task is a thin
wrapper; ``test_probe_worker.py`` runs it through real workers). Targets are loopback servers
started by the tests; anything else would make ``loopback_network`` fail the test.
"""

from dataclasses import asdict
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from assessments.audit.models import AuditEvent
from assessments.workspaces.models import Role
from checks.engine.artifacts import BurstResult, artifacts_from_dict
from checks.engine.catalog import CATEGORIES, CHECKS
from checks.engine.probe import plain_json
from checks.execution import probe_run_execute
from checks.models import ProbedTarget, ProbeResult, ProbeRun
from checks.selectors import latest_burst, latest_evidence, latest_run
from checks.services import (
    CooldownActive,
    NoTargets,
    RunInProgress,
    probe_run_start,
    probe_runs_sweep,
    target_verify,
)
from tests.factories import SystemFactory, TargetFactory
from tests.probe_servers import hardened_server, naive_server

pytestmark = [
    pytest.mark.usefixtures("loopback_network", "probe_settings"),
    pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1:DeprecationWarning"),
]

Status = ProbeRun.Status


@pytest.fixture
def system(owner):
    return SystemFactory(workspace=owner.workspace)


def start_and_execute(system, user, **kwargs) -> ProbeRun:
    run = probe_run_start(system, user, **kwargs)
    probe_run_execute(run.pk)
    run.refresh_from_db()
    return run


def finished_run(system, urls, *, status=Status.SUCCEEDED) -> ProbeRun:
    """A finished run with one stored result per check per URL, without probing anything."""
    run = ProbeRun.objects.create(
        system=system,
        status=status,
        target_urls=urls,
        started_at=timezone.now(),
        finished_at=timezone.now(),
    )
    for url in urls:
        ProbedTarget.objects.create(run=run, url=url, artifacts={"target_url": url})
        ProbeResult.objects.bulk_create(
            ProbeResult(
                run=run,
                target_url=url,
                check_id=check.id,
                category=check.category,
                status="warn",
                score=50,
                message=f"{check.title}: could be better.",
                evidence={"url": url},
            )
            for check in CHECKS.values()
        )
    return run


# --- Starting ------------------------------------------------------------------------------


def test_a_run_is_queued_and_its_task_sent_only_after_commit(
    system, owner, django_capture_on_commit_callbacks
):
    TargetFactory(system=system, url="https://shop.example.com/")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run = probe_run_start(system, owner.user, run_burst=True)
    assert len(callbacks) == 1
    assert (run.status, run.run_burst, run.requested_by) == (Status.QUEUED, True, owner.user)
    assert run.target_urls == ["https://shop.example.com/"]


def test_a_run_that_cannot_reach_the_task_queue_fails_at_once(
    system, owner, monkeypatch, django_capture_on_commit_callbacks
):
    from celery import current_app
    from kombu.exceptions import OperationalError

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    # The app that queues is the current one (config/enqueue.py): a test that made another
    # Celery app current earlier in the run must not let the real broker take this send.
    monkeypatch.setattr(current_app._get_current_object(), "send_task", broker_down)
    TargetFactory(system=system)
    with django_capture_on_commit_callbacks(execute=True):
        run = probe_run_start(system, owner.user)
    run.refresh_from_db()
    assert run.status == Status.FAILED
    assert "The worker queue is unavailable" in run.error


def test_a_system_without_base_urls_cannot_be_probed(system, owner):
    with pytest.raises(NoTargets, match="no base URLs"):
        probe_run_start(system, owner.user)
    assert not ProbeRun.objects.exists()


@pytest.mark.parametrize("status", [Status.QUEUED, Status.RUNNING])
def test_a_second_run_is_refused_while_one_is_queued_or_running(system, owner, status):
    TargetFactory(system=system)
    ProbeRun.objects.create(system=system, status=status, target_urls=[])
    with pytest.raises(RunInProgress, match="already queued or running"):
        probe_run_start(system, owner.user)
    assert ProbeRun.objects.count() == 1


def test_the_database_allows_one_active_run_per_system(system):
    from django.db import IntegrityError, transaction

    ProbeRun.objects.create(system=system, status=Status.RUNNING)
    ProbeRun.objects.create(system=system, status=Status.FAILED)
    with pytest.raises(IntegrityError), transaction.atomic():
        ProbeRun.objects.create(system=system, status=Status.QUEUED)


def test_a_host_probed_moments_ago_is_in_cooldown_across_systems(owner, probe_settings):
    probe_settings.SCALEREADY_PROBE_COOLDOWN_SECONDS = 60
    first = SystemFactory(workspace=owner.workspace)
    second = SystemFactory(workspace=owner.workspace)
    TargetFactory(system=first, url="https://shop.example.com/")
    TargetFactory(system=second, url="https://shop.example.com:8443/api")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        finished_run(first, ["https://shop.example.com/"])
    with time_machine.travel(start + timedelta(seconds=20), tick=False):
        with pytest.raises(CooldownActive) as refused:
            probe_run_start(second, owner.user)
        assert refused.value.host == "shop.example.com"
        assert refused.value.seconds_left == 40
        assert "wait 40 more seconds" in str(refused.value)
    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        assert probe_run_start(second, owner.user).status == Status.QUEUED


def test_an_active_run_keeps_its_hosts_in_cooldown(owner, probe_settings):
    probe_settings.SCALEREADY_PROBE_COOLDOWN_SECONDS = 60
    first = SystemFactory(workspace=owner.workspace)
    second = SystemFactory(workspace=owner.workspace)
    ProbeRun.objects.create(
        system=first,
        status=Status.RUNNING,
        target_urls=["https://api.example.com/"],
        created_at=timezone.now() - timedelta(hours=1),
    )
    TargetFactory(system=second, url="https://api.example.com/v2")
    with pytest.raises(CooldownActive, match="wait 60 more seconds"):
        probe_run_start(second, owner.user)


# --- Executing -----------------------------------------------------------------------------


def test_a_run_against_the_hardened_site_stores_one_result_per_check(system, owner, local_ca):
    with hardened_server(local_ca) as server:
        target = TargetFactory(system=system, url=server.url)
        run = start_and_execute(system, owner.user)
    assert run.status == Status.SUCCEEDED, run.error
    assert run.started_at <= run.finished_at
    results = list(run.results.all())
    assert [r.check_id for r in results] == list(CHECKS)
    assert {r.target_id for r in results} == {target.pk}
    assert {r.category for r in results} <= set(CATEGORIES)
    assert next(r for r in results if r.check_id == "hsts").status == "pass"
    [probed] = run.probed_targets.all()
    artifacts = artifacts_from_dict(probed.artifacts)
    assert artifacts.scheme_https.status == 200
    assert artifacts.burst is None
    [progress] = run.progress["targets"]
    assert progress["state"] == "done"
    assert progress["gatherers"] == dict.fromkeys(("http", "tls", "dns", "latency"), "done")

    evidence = latest_evidence(system)
    assert len(evidence) == len(CHECKS)
    assert set(evidence[0]) == {"check_id", "status", "score", "message", "evidence", "target_url"}
    assert evidence[0]["target_url"] == server.url
    assert latest_run(system) == run
    assert latest_burst(system) is None


def test_executing_a_run_twice_runs_it_once(system, owner, local_ca):
    with hardened_server(local_ca) as server:
        TargetFactory(system=system, url=server.url)
        run = start_and_execute(system, owner.user)
        requests_after_first = len(server.requests)
        probe_run_execute(run.pk)  # a redelivered task: the run is not queued any more
        assert len(server.requests) == requests_after_first
    assert run.results.count() == len(CHECKS)


def test_a_refused_target_becomes_a_note_and_the_others_are_probed(system, owner, local_ca):
    with hardened_server(local_ca) as server:
        TargetFactory(system=system, url=server.url)
        TargetFactory(system=system, url="https://10.20.30.40/")
        run = start_and_execute(system, owner.user)
    assert run.status == Status.SUCCEEDED
    refused = run.probed_targets.get(url="https://10.20.30.40/")
    assert refused.artifacts is None
    assert "refused" in refused.note
    assert "private" in refused.note or "not globally" in refused.note
    assert {r.target_url for r in run.results.all()} == {server.url}


def test_a_run_whose_every_target_is_refused_fails_with_the_reasons(system, owner):
    TargetFactory(system=system, url="https://169.254.169.254/")
    run = start_and_execute(system, owner.user)
    assert run.status == Status.FAILED
    assert run.error.startswith("No target could be probed.")
    assert "https://169.254.169.254/" in run.error
    assert not run.results.exists()
    assert latest_evidence(system) == []


def test_loopback_targets_are_refused_when_the_setting_is_off(
    system, owner, local_ca, probe_settings
):
    probe_settings.SCALEREADY_ALLOW_LOOPBACK_TARGETS = False
    with hardened_server(local_ca) as server:
        TargetFactory(system=system, url=server.url)
        run = start_and_execute(system, owner.user)
        assert server.requests == []
    assert run.status == Status.FAILED
    assert "loopback" in run.error


def test_the_burst_runs_only_on_verified_targets(system, owner, local_ca):
    token = "sr-burst-0123456789"
    with (
        hardened_server(local_ca, file_token=token, rate_limit_after=40) as verified_server,
        hardened_server(local_ca) as other_server,
    ):
        verified = TargetFactory(
            system=system,
            url=verified_server.url,
            verification_token=token,
            verified_at=timezone.now(),
            verification_method="file",
        )
        TargetFactory(system=system, url=other_server.url)
        run = start_and_execute(system, owner.user, run_burst=True)
    assert run.status == Status.SUCCEEDED, run.error
    by_url = {p.url: p for p in run.probed_targets.all()}
    burst = artifacts_from_dict(by_url[verified_server.url].artifacts).burst
    assert burst.verified
    assert burst.requests_sent > 0
    assert burst.aborted_reason  # the site starts answering 429 and the burst backs off
    assert artifacts_from_dict(by_url[other_server.url].artifacts).burst is None
    assert "ownership of this target is not verified" in by_url[other_server.url].note
    progress = {t["url"]: t for t in run.progress["targets"]}
    assert progress[verified_server.url]["gatherers"]["burst"] == "done"
    assert "burst" not in progress[other_server.url]["gatherers"]
    assert latest_burst(system) == burst
    verified.refresh_from_db()
    assert verified.is_verified


def test_a_target_that_fails_its_reverification_loses_its_verified_mark(system, owner, local_ca):
    with hardened_server(local_ca) as server:  # the token is no longer published
        target = TargetFactory(
            system=system, url=server.url, verified_at=timezone.now(), verification_method="meta"
        )
        run = start_and_execute(system, owner.user, run_burst=True)
    assert run.status == Status.SUCCEEDED
    assert "The capacity burst did not run" in run.probed_targets.get().note
    target.refresh_from_db()
    assert not target.is_verified
    assert "not verified" in target.verification_detail
    assert latest_burst(system) is None


def test_the_selectors_read_the_latest_succeeded_run_in_one_query_each(
    system, django_assert_num_queries
):
    url = "https://a.example.com/"
    burst = BurstResult(url=url, verified=True, requests_sent=50, completed=50, sustained_rps=40.0)
    with django_assert_num_queries(1):
        assert latest_evidence(system) == []
    with django_assert_num_queries(1):
        assert latest_burst(system) is None
    with_burst = finished_run(system, [url])
    ProbeRun.objects.filter(pk=with_burst.pk).update(run_burst=True)
    ProbedTarget.objects.filter(run=with_burst).update(
        artifacts={"target_url": url, "burst": plain_json(asdict(burst))}
    )
    later = finished_run(system, [url])  # no burst: the earlier measurement still counts
    ProbeResult.objects.filter(run=later).update(status="pass", score=100)
    finished_run(system, [url], status=Status.FAILED)
    with django_assert_num_queries(1):
        evidence = latest_evidence(system)
    assert {(e["status"], e["score"]) for e in evidence} == {("pass", 100)}
    assert len(evidence) == len(CHECKS)
    with django_assert_num_queries(1):
        assert latest_burst(system) == burst


# --- Sweeping ------------------------------------------------------------------------------


def test_the_sweep_fails_a_running_run_whose_heartbeat_stopped(system):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        dead = ProbeRun.objects.create(
            system=system, status=Status.RUNNING, started_at=start, heartbeat_at=start
        )
        alive = ProbeRun.objects.create(system=SystemFactory(), status=Status.RUNNING)
    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        ProbeRun.objects.filter(pk=alive.pk).update(heartbeat_at=timezone.now())
        assert probe_runs_sweep() == 1
    dead.refresh_from_db()
    alive.refresh_from_db()
    assert dead.status == Status.FAILED
    assert dead.error.startswith("The worker stopped responding")
    assert dead.finished_at == start + timedelta(seconds=61)
    assert alive.status == Status.RUNNING


def test_the_sweep_fails_a_run_no_worker_picked_up(system):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        run = ProbeRun.objects.create(system=system)
    with time_machine.travel(start + timedelta(minutes=9), tick=False):
        assert probe_runs_sweep() == 0
    with time_machine.travel(start + timedelta(minutes=11), tick=False):
        assert probe_runs_sweep() == 1
    run.refresh_from_db()
    assert run.status == Status.FAILED
    assert "No worker picked this run up" in run.error


def test_the_sweep_leaves_finished_runs_alone(system):
    long_ago = timezone.now() - timedelta(days=1)
    run = ProbeRun.objects.create(
        system=system, status=Status.SUCCEEDED, heartbeat_at=long_ago, finished_at=long_ago
    )
    assert probe_runs_sweep() == 0
    run.refresh_from_db()
    assert run.status == Status.SUCCEEDED


def test_a_run_failed_by_the_sweeper_keeps_its_reason_when_the_worker_comes_back(
    system, owner, local_ca
):
    with hardened_server(local_ca) as server:
        TargetFactory(system=system, url=server.url)
        run = probe_run_start(system, owner.user)
        ProbeRun.objects.filter(pk=run.pk).update(status=Status.FAILED, error="Swept.")
        probe_run_execute(run.pk)
    run.refresh_from_db()
    assert (run.status, run.error) == (Status.FAILED, "Swept.")
    assert not run.results.exists()


# --- Verifying -----------------------------------------------------------------------------


def test_targets_get_their_own_verification_token(system):
    first, second = TargetFactory(system=system), TargetFactory(system=system)
    assert first.verification_token != second.verification_token
    assert first.verification_token.startswith("sr-")
    assert first.verification_file_path == f"/.well-known/scaleready-{first.verification_token}.txt"


def test_verify_now_finds_the_token_file_on_the_hardened_site(system, owner, login, local_ca):
    token = "sr-verify-0123456789"
    with hardened_server(local_ca, file_token=token) as server:
        target = TargetFactory(system=system, url=server.url, verification_token=token)
        response = login(owner.user).post(reverse("target_verify", args=[target.pk]), follow=True)
    target.refresh_from_db()
    assert target.is_verified
    assert target.verification_method == "file"
    page = response.content.decode()
    assert "is verified (by token file)" in page
    assert "Verified" in page


def test_verify_now_explains_why_a_target_is_not_verified(system, local_ca):
    with hardened_server(local_ca) as server:
        target = TargetFactory(system=system, url=server.url, verified_at=timezone.now())
        result = target_verify(target)
    assert not result.verified
    target.refresh_from_db()
    assert not target.is_verified
    assert "answered 404" in target.verification_detail
    assert 'has no <meta name="scaleready-verification">' in target.verification_detail


# --- Pages ---------------------------------------------------------------------------------


def test_the_system_page_shows_targets_verification_instructions_and_runs(system, owner, login):
    target = TargetFactory(system=system)
    run = finished_run(system, [target.url])
    page = login(owner.user).get(system.get_absolute_url()).content.decode()
    assert "Automated probes" in page
    assert target.verification_file_path in page
    assert f'content="{target.verification_token}"' in page.replace("&quot;", '"')
    assert f"scaleready-verification={target.verification_token}" in page
    assert reverse("target_verify", args=[target.pk]) in page
    assert "Include capacity burst — verified targets only" in page
    assert run.get_absolute_url() in page


def test_starting_from_the_system_page_leads_to_the_run_page(system, owner, login):
    TargetFactory(system=system)
    client = login(owner.user)
    response = client.post(reverse("probe_run_start", args=[system.pk]), {"run_burst": "1"})
    run = ProbeRun.objects.get()
    assert response.url == run.get_absolute_url()
    assert run.run_burst
    page = client.get(response.url).content.decode()
    assert "Probe run requested: this page follows it until it finishes." in page
    assert 'hx-trigger="every 1s"' in page
    assert "Waiting for a worker" in page
    # Who asked for it is in the audit log, in words.
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.PROBE)
    assert event.actor == owner.user
    assert event.subject == system.name
    assert event.summary == "Probe run started on 1 base URL, with a capacity burst"
    log = client.get(reverse("audit_log", args=[owner.workspace.pk])).content.decode()
    assert "Probe run started on 1 base URL, with a capacity burst" in log
    assert "Base URLs probed" in log


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("no_targets", "no base URLs to probe yet"),
        ("in_progress", "already queued or running"),
        ("cooldown", "wait 60 more seconds"),
    ],
)
def test_a_refused_start_says_why_on_the_system_page(
    setup, message, system, owner, login, probe_settings
):
    if setup != "no_targets":
        TargetFactory(system=system, url="https://shop.example.com/")
    if setup == "in_progress":
        ProbeRun.objects.create(system=system, status=Status.RUNNING)
    if setup == "cooldown":
        probe_settings.SCALEREADY_PROBE_COOLDOWN_SECONDS = 60
        finished_run(SystemFactory(), ["https://shop.example.com/"])
    client = login(owner.user)
    response = client.post(reverse("probe_run_start", args=[system.pk]), follow=True)
    assert response.redirect_chain[-1][0] == f"{system.get_absolute_url()}#probes"
    assert "The probes were not started: " in response.content.decode()
    assert message in response.content.decode()
    assert not AuditEvent.objects.filter(kind=AuditEvent.Kind.PROBE).exists()  # nothing ran


def test_results_are_grouped_by_category_with_expandable_evidence(system, owner, login, local_ca):
    with hardened_server(local_ca) as server:
        TargetFactory(system=system, url=server.url)
        run = start_and_execute(system, owner.user)
    page = login(owner.user).get(run.get_absolute_url()).content.decode()
    assert "Succeeded" in page
    positions = [page.index(title) for title in CATEGORIES.values() if title in page]
    assert len(positions) == len(CATEGORIES)
    assert positions == sorted(positions)
    assert page.count('<details class="evidence">') == len(CHECKS)
    assert CHECKS["hsts"].title in page
    assert "badge badge-pass" in page
    assert "max-age=31536000" in page  # HSTS evidence, inside its <details>
    assert "hx-trigger" not in page


def _outside_raw_blocks(page: str) -> str:
    """The page as a person reads it before unfolding the raw data."""
    import re

    return re.sub(r'<details class="raw">.*?</details>', "", page, flags=re.DOTALL)


def test_evidence_is_labelled_tables_with_raw_data_folded_away(system, owner, login, local_ca):
    with hardened_server(local_ca) as server:
        TargetFactory(system=system, url=server.url)
        run = start_and_execute(system, owner.user)
    page = login(owner.user).get(run.get_absolute_url()).content.decode()
    for caption in ("Certificate and TLS", "Response headers of", "Cookies", "Timings"):
        assert f"<caption>{caption}" in page
    assert page.count('<details class="raw">') == len(CHECKS)
    readable = _outside_raw_blocks(page)
    assert '<th scope="row">max-age (seconds)</th><td>31,536,000</td>' in readable
    assert "&quot;max_age&quot;: 31536000" not in readable  # JSON only in the raw block
    assert "&quot;max_age&quot;: 31536000" in page
    import re

    assert re.findall(r"(?<![-\w])(?:None|True|False)(?![-\w])|\[\{'|\{'", readable) == []
    for check_id in (c for c in CHECKS if "_" in c):
        assert check_id not in readable


def test_the_run_page_query_count_does_not_grow_with_targets(
    system, owner, login, django_assert_num_queries
):
    client = login(owner.user)
    one = finished_run(system, ["https://a.example.com/"])
    many = finished_run(
        SystemFactory(workspace=system.workspace),
        [f"https://t{i}.example.com/" for i in range(6)],
    )
    client.get(one.get_absolute_url())
    with django_assert_num_queries(7) as captured:  # ... + the run's grade
        client.get(one.get_absolute_url())
    with django_assert_num_queries(len(captured)):
        response = client.get(many.get_absolute_url())
    assert response.content.decode().count('<details class="evidence">') == 6 * len(CHECKS)


def test_the_system_page_query_count_does_not_grow_with_runs(
    system, owner, login, django_assert_max_num_queries
):
    client = login(owner.user)
    TargetFactory(system=system)
    finished_run(system, ["https://a.example.com/"])  # runs and their grades: 2 queries
    client.get(system.get_absolute_url())
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as before:
        client.get(system.get_absolute_url())
    for _ in range(7):
        finished_run(system, ["https://a.example.com/"])
    with django_assert_max_num_queries(len(before)):
        page = client.get(system.get_absolute_url()).content.decode()
    assert page.count("badge badge-run-succeeded") == 5


def test_polling_returns_the_fragment_and_stops_once_the_run_ends(system, owner, login):
    run = ProbeRun.objects.create(
        system=system,
        status=Status.RUNNING,
        target_urls=["https://a.example.com/"],
        started_at=timezone.now(),
        heartbeat_at=timezone.now(),
        progress={
            "targets": [
                {
                    "url": "https://a.example.com/",
                    "state": "running",
                    "expected": ["http", "tls", "dns", "latency"],
                    "gatherers": {"http": "done", "tls": "started", "latency": "started"},
                }
            ]
        },
    )
    client = login(owner.user)
    fragment = client.get(run.get_absolute_url(), headers={"HX-Request": "true"}).content.decode()
    assert fragment.lstrip().startswith('<div id="run-status"')
    assert "<html" not in fragment
    assert 'hx-trigger="every 1s"' in fragment
    assert "Running: TLS handshakes, Latency samples" in fragment
    assert "1 of 4 gatherers done" in fragment

    ProbeRun.objects.filter(pk=run.pk).update(status=Status.SUCCEEDED, finished_at=timezone.now())
    fragment = client.get(run.get_absolute_url(), headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in fragment
    assert "Succeeded" in fragment


def test_polling_a_run_whose_worker_died_shows_it_failed(system, owner, login):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        run = ProbeRun.objects.create(
            system=system, status=Status.RUNNING, started_at=start, heartbeat_at=start
        )
    with time_machine.travel(start + timedelta(minutes=5), tick=False):
        fragment = (
            login(owner.user)
            .get(run.get_absolute_url(), headers={"HX-Request": "true"})
            .content.decode()
        )
    assert "The worker stopped responding" in fragment
    assert "Run again" in fragment
    assert "hx-trigger" not in fragment
    run.refresh_from_db()
    assert run.status == Status.FAILED


def test_a_failed_run_offers_to_run_again_with_the_same_burst_choice(system, owner, login):
    run = ProbeRun.objects.create(
        system=system, status=Status.FAILED, run_burst=True, error="The target vanished."
    )
    page = login(owner.user).get(run.get_absolute_url()).content.decode()
    assert "The target vanished." in page
    assert reverse("probe_run_start", args=[system.pk]) in page
    assert 'name="run_burst" value="1"' in page


def test_a_boosted_visit_gets_the_whole_page(system, owner, login):
    run = finished_run(system, ["https://a.example.com/"])
    headers = {"HX-Request": "true", "HX-Boosted": "true"}
    page = login(owner.user).get(run.get_absolute_url(), headers=headers).content.decode()
    assert "<html" in page


def test_get_on_the_action_urls_changes_nothing(system, owner, login):
    target = TargetFactory(system=system)
    client = login(owner.user)
    start = client.get(reverse("probe_run_start", args=[system.pk]))
    assert start.status_code == 405
    assert "only takes a form" in start.content.decode()
    assert client.get(reverse("target_verify", args=[target.pk])).status_code == 405
    assert not ProbeRun.objects.exists()
    target.refresh_from_db()
    assert target.verification_detail == ""


def test_viewers_see_runs_but_cannot_start_or_verify(make_member, login):
    viewer = make_member(Role.VIEWER)
    system = SystemFactory(workspace=viewer.workspace)
    target = TargetFactory(system=system)
    run = finished_run(system, [target.url])
    client = login(viewer.user)
    assert client.get(run.get_absolute_url()).status_code == 200
    assert client.post(reverse("probe_run_start", args=[system.pk])).status_code == 403
    assert client.post(reverse("target_verify", args=[target.pk])).status_code == 403
    page = client.get(system.get_absolute_url()).content.decode()
    assert run.get_absolute_url() in page
    assert "Run probes" not in page
    assert target.verification_token not in page
    assert ProbeRun.objects.count() == 1


# --- Tasks ---------------------------------------------------------------------------------


def test_the_sweeper_task_is_scheduled_every_minute(settings):
    from checks.tasks import probe_runs_sweep_task
    from config.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["probe-runs-sweep"]
    assert entry["task"] == probe_runs_sweep_task.name
    assert entry["task"] in app.tasks
    assert entry["schedule"] == 60


def test_a_run_stopped_by_its_soft_time_limit_ends_failed_with_the_reason(
    system, monkeypatch, settings
):
    from celery.exceptions import SoftTimeLimitExceeded

    from checks import tasks

    run = ProbeRun.objects.create(system=system, status=Status.RUNNING)

    def over_time(run_id):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(tasks, "probe_run_execute", over_time)
    tasks.probe_run_task.run(run.pk)
    run.refresh_from_db()
    assert run.status == Status.FAILED
    assert f"longer than its {settings.CELERY_TASK_SOFT_TIME_LIMIT}-second limit" in run.error


def test_a_run_against_a_naive_site_contradicts_confident_answers_on_the_results_page(
    owner, bank_version, login
):
    from assessments.questionnaire.services import answers_import
    from tests.factories import AssessmentFactory
    from tests.profiles import mature_platform

    assessment = AssessmentFactory(
        system__workspace=owner.workspace, bank_version=bank_version, band="1m"
    )
    answers_import(assessment, mature_platform(), owner.user)
    client = login(owner.user)
    results_url = reverse("results", args=[assessment.pk])
    before = client.get(results_url).content.decode()
    assert "Claims vs evidence" not in before

    with naive_server() as server:
        TargetFactory(system=assessment.system, url=server.http_url)
        run = start_and_execute(assessment.system, owner.user)
    assert run.status == Status.SUCCEEDED, run.error
    after = client.get(results_url).content.decode()
    assert "Claims vs evidence" in after
    failed = {r.check_id for r in run.results.filter(status="fail")}
    assert "csp" in failed
    # Checks are named in words on the page, never by their id.
    assert "Content-Security-Policy is strict" in after
    assert "<code>csp</code>" not in after
    assert "contradicted" in after
