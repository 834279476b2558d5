"""Probe runs through real Celery workers: a full run end to end, and a worker killed mid-run.

The in-thread worker (``celery_worker``) consumes the test queue. The kill test starts a
separate worker process on a queue of its own, pointed at the test database and broker,
SIGKILLs it while the run is going and checks that the sweeper fails the run and a new run
succeeds. Waits poll the database against a deadline; nothing sleeps a fixed time.
"""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from checks.engine.catalog import CHECKS
from checks.models import ProbeRun
from checks.services import probe_run_start, probe_runs_sweep
from checks.tasks import probe_run_task
from tests.factories import SystemFactory, TargetFactory
from tests.probe_servers import hardened_server

pytestmark = [
    pytest.mark.usefixtures("probe_settings"),
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1:DeprecationWarning"),
]

Status = ProbeRun.Status
BASE_DIR = Path(settings.BASE_DIR)


def wait_for(
    run: ProbeRun, statuses: set[str], timeout: float = 60.0, log: Path | None = None
) -> ProbeRun:
    """Poll the run's row until its status is one of ``statuses``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if run.status in statuses:
            return run
        time.sleep(0.05)
    output = log.read_text(errors="replace")[-3000:] if log else ""
    pytest.fail(f"run {run.pk} still {run.status} after {timeout} s (wanted {statuses})\n{output}")


def test_a_real_worker_runs_a_full_probe_run(celery_worker, owner, local_ca):
    system = SystemFactory(workspace=owner.workspace)
    with hardened_server(local_ca) as first, hardened_server(local_ca) as second:
        TargetFactory(system=system, url=first.url)
        TargetFactory(system=system, url=second.url)
        run = probe_run_start(system, owner.user)
        wait_for(run, {Status.SUCCEEDED, Status.FAILED})
    assert run.status == Status.SUCCEEDED, run.error
    assert run.results.count() == 2 * len(CHECKS)
    for url in (first.url, second.url):
        assert sorted(run.results.filter(target_url=url).values_list("check_id", flat=True)) == (
            sorted(CHECKS)
        )
    assert [t["state"] for t in run.progress["targets"]] == ["done", "done"]
    assert run.heartbeat_at >= run.started_at


# --- A worker killed mid-run -----------------------------------------------------------------


def database_url() -> str:
    """The test database, as a URL a separate process can open."""
    name = connection.settings_dict["NAME"]
    if connection.vendor == "sqlite":
        return f"sqlite:///{name}"
    return urlunsplit(urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{name}"))


def start_worker_process(queue: str, ca_bundle: str, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "SCALEREADY_ALLOW_LOOPBACK_TARGETS": "1",
        "SCALEREADY_PROBE_CA_BUNDLE": ca_bundle,
    }
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "--pool",
        "solo",
        "--queues",
        queue,
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "--loglevel",
        "WARNING",
    ]
    with log.open("wb") as output:
        return subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=output, stderr=output)


def test_a_run_whose_worker_is_killed_ends_failed_and_a_rerun_succeeds(
    celery_worker, owner, local_ca, tmp_path
):
    system = SystemFactory(workspace=owner.workspace)
    queue = f"scaleready-kill-test-{os.getpid()}"
    # Each answer takes 1 s: the run is still going when the worker dies.
    with hardened_server(local_ca, response_delay=1.0) as server:
        TargetFactory(system=system, url=server.url)
        run = ProbeRun.objects.create(system=system, target_urls=[server.url])
        log = tmp_path / "worker.log"
        worker = start_worker_process(queue, local_ca.bundle, log)
        try:
            probe_run_task.apply_async((run.pk,), queue=queue)
            wait_for(run, {Status.RUNNING, Status.SUCCEEDED, Status.FAILED}, timeout=30, log=log)
            assert run.status == Status.RUNNING
            worker.send_signal(signal.SIGKILL)
            assert worker.wait(timeout=10) == -signal.SIGKILL
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.wait(timeout=10)

        run.refresh_from_db()
        assert run.status == Status.RUNNING  # nobody is left to say otherwise...
        assert probe_runs_sweep() == 0  # ...and the heartbeat is recent
        timeout = settings.SCALEREADY_PROBE_HEARTBEAT_TIMEOUT_SECONDS
        assert probe_runs_sweep(now=timezone.now() + timedelta(seconds=timeout + 1)) == 1
        run.refresh_from_db()
        assert run.status == Status.FAILED
        assert run.error.startswith("The worker stopped responding")
        assert not run.results.exists()

        server.config["response_delay"] = 0
        rerun = probe_run_start(system, owner.user)
        wait_for(rerun, {Status.SUCCEEDED, Status.FAILED})
    assert rerun.status == Status.SUCCEEDED, rerun.error
    assert rerun.results.count() == len(CHECKS)
