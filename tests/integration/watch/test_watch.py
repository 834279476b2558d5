"""The drift watch without a worker: the form, access, the sweep, a real regression between
two runs against a local server whose headers change, the e-mail and the signed webhook.

Runs are executed by calling ``probe_run_execute`` directly; the comparison runs from the
signal the worker path sends. Queued notifications are captured after commit and delivered
by calling their services (``test_watch_worker.py`` runs the whole chain through a worker).
"""

import json
import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone

from assessments.audit.models import AuditEvent
from assessments.watch.models import DriftAlert, DriftEvent, SystemWatch
from assessments.watch.selectors import watch_panel
from assessments.watch.services import (
    DRIFT_EMAIL_TASK,
    DRIFT_WEBHOOK_TASK,
    WATCH_START_TASK,
    drift_deliveries_resume,
    drift_email_send,
    drift_webhook_deliver,
    watch_save,
    watch_sweep,
    watched_run_start,
)
from assessments.workspaces.models import Role
from checks.engine.drift import WEBHOOK_ATTEMPTS
from checks.execution import probe_run_execute
from checks.models import ProbeRun
from checks.services import probe_run_start
from tests.factories import SystemFactory, TargetFactory
from tests.integration.watch.receivers import webhook_receiver
from tests.probe_servers import HARDENED_HEADERS, HardenedHandler, serve

pytestmark = [
    pytest.mark.usefixtures("loopback_network", "probe_settings"),
    pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1:DeprecationWarning"),
]
Delivery = DriftAlert.Delivery


class ChangingHandler(HardenedHandler):
    """The hardened site, whose HSTS header goes away when ``config["drop_hsts"]`` is set."""

    def _security(self) -> dict[str, str]:
        headers = dict(HARDENED_HEADERS)
        if self.server.config.get("drop_hsts"):
            headers.pop("Strict-Transport-Security")
        return headers


def changing_server(ca):
    return serve(ChangingHandler, ca.server_context(), drop_hsts=False)


@pytest.fixture
def system(owner):
    return SystemFactory(workspace=owner.workspace, name="Shop")


def watch(system, period="daily", webhook_url="", user=None):
    return watch_save(
        system,
        period=period,
        run_burst=False,
        webhook_url=webhook_url,
        new_secret=False,
        user=user,
    )


def run_now(system, user=None, *, by_watch=False) -> ProbeRun:
    run = watched_run_start(system.pk) if by_watch else probe_run_start(system, user)
    probe_run_execute(run.pk)
    run.refresh_from_db()
    assert run.status == ProbeRun.Status.SUCCEEDED, run.error
    return run


# --- The form and who may use it ------------------------------------------------------------


@pytest.mark.parametrize(
    ("webhook", "words"),
    [
        ("http://hooks.example.com/in", "Use an https:// address"),
        ("https://10.0.0.7/in", "private"),
        ("https://169.254.169.254/latest", "cannot receive the webhook"),
        ("https://127.0.0.1:9000/in", "loopback"),
        ("https://hooks.example.com:2222/in", "port 2222 is not allowed"),
    ],
)
def test_the_form_refuses_a_webhook_the_guard_would_refuse_in_words(
    webhook, words, system, owner, login, settings
):
    settings.SCALEREADY_ALLOW_LOOPBACK_TARGETS = False
    response = login(owner.user).post(
        f"/systems/{system.pk}/watch/", {"period": "daily", "webhook_url": webhook}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert words in page
    assert webhook in page  # what was typed is kept for fixing
    assert not SystemWatch.objects.exists()


def test_saving_a_watch_is_audited_without_its_secret(system, owner, login):
    client = login(owner.user)
    response = client.post(
        f"/systems/{system.pk}/watch/",
        {"period": "weekly", "webhook_url": "https://hooks.example.com/in"},
    )
    assert response.status_code == 302
    saved = SystemWatch.objects.get(system=system)
    assert (saved.period, saved.webhook_url) == ("weekly", "https://hooks.example.com/in")
    assert saved.webhook_secret.startswith("whsec_")
    assert len(saved.webhook_secret) > 40
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.SYSTEM)
    assert event.actor == owner.user
    assert event.summary == "Drift watch: watched weekly, with a signed webhook"
    assert saved.webhook_secret not in json.dumps([event.before, event.after])
    page = client.get(system.get_absolute_url()).content.decode()
    assert "Watched weekly" in page
    assert saved.webhook_secret in page  # shown to editors for copying
    audit = client.get(f"/w/{owner.workspace.pk}/audit/").content.decode()
    assert "System settings" in audit
    assert "Drift watch" in audit


def test_saving_the_same_watch_again_records_nothing(system, owner):
    watch(system, user=owner.user)
    watch(system, user=owner.user)
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.SYSTEM).count() == 1


def test_a_viewer_sees_the_watch_but_cannot_change_it(system, owner, make_member, login):
    watch(system, webhook_url="https://hooks.example.com/in", user=owner.user)
    viewer = make_member(Role.VIEWER, workspace=owner.workspace)
    client = login(viewer.user)
    page = client.get(system.get_absolute_url()).content.decode()
    assert "Watched daily" in page
    assert "Save the watch" not in page
    assert SystemWatch.objects.get().webhook_secret not in page
    response = client.post(f"/systems/{system.pk}/watch/", {"period": "off"})
    assert response.status_code == 403
    assert SystemWatch.objects.get().period == "daily"


def test_a_member_of_another_workspace_gets_404(system, make_member, login):
    stranger = make_member(Role.OWNER)
    client = login(stranger.user)
    assert client.get(f"/systems/{system.pk}/watch/").status_code == 404
    assert client.post(f"/systems/{system.pk}/watch/", {"period": "daily"}).status_code == 404


# --- The sweep -----------------------------------------------------------------------------


def watched_systems(owner, count: int, *, period: str, last_run_ago: timedelta | None):
    systems = SystemFactory.create_batch(count, workspace=owner.workspace)
    SystemWatch.objects.bulk_create(SystemWatch(system=s, period=period) for s in systems)
    if last_run_ago is not None:
        runs = ProbeRun.objects.bulk_create(
            ProbeRun(system=s, status="succeeded", target_urls=[]) for s in systems
        )
        ProbeRun.objects.filter(pk__in=[r.pk for r in runs]).update(
            created_at=timezone.now() - last_run_ago
        )
    return systems


@pytest.mark.parametrize("count", [5, 50])
def test_the_sweep_queues_due_systems_only_in_constant_queries(
    count, owner, django_assert_num_queries, django_capture_on_commit_callbacks
):
    due = watched_systems(owner, count, period="daily", last_run_ago=timedelta(days=2))
    due += watched_systems(owner, 2, period="weekly", last_run_ago=None)  # never probed
    watched_systems(owner, count, period="daily", last_run_ago=timedelta(hours=3))
    watched_systems(owner, 3, period="weekly", last_run_ago=timedelta(days=3))
    watched_systems(owner, 3, period="off", last_run_ago=timedelta(days=30))
    with (
        django_capture_on_commit_callbacks(execute=False) as queued,
        django_assert_num_queries(4),  # savepoint, due watches (locked), claim, release
    ):
        assert watch_sweep() == count + 2
    assert len(queued) == count + 2
    assert SystemWatch.objects.filter(queued_at__isnull=False).count() == count + 2
    claimed = set(
        SystemWatch.objects.filter(queued_at__isnull=False).values_list("system", flat=True)
    )
    assert claimed == {s.pk for s in due}
    assert watch_sweep() == 0  # claimed: not queued again by the next sweep


def test_the_sweep_sends_each_start_by_name(owner, django_capture_on_commit_callbacks, monkeypatch):
    [system] = watched_systems(owner, 1, period="daily", last_run_ago=None)
    sent = []
    monkeypatch.setattr(
        "config.enqueue.current_app.send_task",
        lambda name, args, **kwargs: sent.append((name, args)),
    )
    with django_capture_on_commit_callbacks(execute=True):
        watch_sweep()
    assert sent == [(WATCH_START_TASK, [system.pk])]


def test_a_refused_watched_start_is_recorded_in_words_and_shown(system, owner, login):
    watch(system, user=owner.user)  # no base URLs
    assert watched_run_start(system.pk) is None
    saved = SystemWatch.objects.get()
    assert saved.last_refusal == (
        "The drift watch could not start a run: This system has no base URLs to probe yet: "
        "add one first."
    )
    page = login(owner.user).get(system.get_absolute_url()).content.decode()
    assert "The drift watch could not start a run" in page


def test_a_watched_start_obeys_the_cooldown(system, owner, local_ca, probe_settings):
    watch(system, user=owner.user)
    with changing_server(local_ca) as server:
        TargetFactory(system=system, url=server.url)
        run_now(system, owner.user)
        probe_settings.SCALEREADY_PROBE_COOLDOWN_SECONDS = 600
        assert watched_run_start(system.pk) is None
    assert "was probed moments ago" in SystemWatch.objects.get().last_refusal
    assert ProbeRun.objects.count() == 1


# --- A regression between two runs, and its notifications -----------------------------------


def test_a_header_removed_between_runs_is_stored_e_mailed_and_signed_to_the_webhook(
    system, owner, make_member, login, local_ca, django_capture_on_commit_callbacks
):
    consultant = make_member(Role.CONSULTANT, workspace=owner.workspace)
    viewer = make_member(Role.VIEWER, workspace=owner.workspace)
    with changing_server(local_ca) as site, webhook_receiver(local_ca, (500,)) as receiver:
        TargetFactory(system=system, url=site.url)
        saved = watch(
            system, webhook_url=f"https://localhost:{receiver.port}/hooks", user=owner.user
        )
        receiver.config["secret"] = saved.webhook_secret
        first = run_now(system, owner.user)
        site.config["drop_hsts"] = True
        with django_capture_on_commit_callbacks(execute=False) as queued:
            second = run_now(system, by_watch=True)
        assert second.started_by_watch
        assert second.requested_by is None

        alert = DriftAlert.objects.get()
        assert (alert.run, alert.previous_run) == (second, first)
        events = list(DriftEvent.objects.filter(alert=alert))
        hsts = next(e for e in events if e.check_id == "hsts")
        assert hsts.kind == "check"
        assert hsts.target_url == site.url
        assert hsts.summary.endswith(f"pass before, fail now ({site.url}).")
        assert len(queued) == 3  # the run's own task, the e-mail, the webhook

        assert drift_email_send(alert.pk) is True
        [message] = mail.outbox
        assert sorted(message.to) == sorted([owner.user.email, consultant.user.email])
        assert viewer.user.email not in message.to
        assert "Shop" in message.subject
        assert hsts.summary in message.body
        # A link back to the watch on the system's page, built from SITE_URL (no request here).
        assert f"{settings.SITE_URL.rstrip('/')}/systems/{system.pk}/#watch" in message.body

        assert drift_webhook_deliver(alert.pk) == 30  # the receiver answered 500: retry later
        alert.refresh_from_db()
        assert (alert.webhook_state, alert.webhook_attempts) == (Delivery.PENDING, 1)
        assert alert.webhook_error == "the receiver answered HTTP 500"
        assert drift_webhook_deliver(alert.pk) is None
        deliveries = receiver.config["deliveries"]

    alert.refresh_from_db()
    assert (alert.webhook_state, alert.webhook_attempts) == (Delivery.DELIVERED, 2)
    assert alert.email_state == Delivery.DELIVERED
    assert [d.signature_valid for d in deliveries] == [True, True]
    body = deliveries[-1].body
    assert body["system"] == "Shop"
    assert body["system_url"].endswith(f"/systems/{system.pk}/#watch")
    assert body["delivery"] == deliveries[0].body["delivery"]
    assert hsts.summary in [r["summary"] for r in body["regressions"]]

    page = login(owner.user).get(system.get_absolute_url()).content.decode()
    assert hsts.summary.replace("'", "&#x27;") in page
    assert "webhook delivered" in page
    assert "e-mailed to the owners and consultants" in page
    assert "the drift watch" in page  # who started the second run, in words
    assert 'id="watch-grade-chart-title"' in page
    assert 'id="watch-latency-chart-title"' in page
    # Both runs finished today: the chart's labels carry the time to tell them apart.
    labels = [dot["label"] for dot in watch_panel(system).grade_chart["dots"]]
    assert len(labels) == 2
    assert all(re.fullmatch(r"\d{1,2} \w{3} \d{2}:\d{2}", label) for label in labels)


def test_an_unchanged_site_leaves_no_alert(system, owner, local_ca):
    with changing_server(local_ca) as site:
        TargetFactory(system=system, url=site.url)
        watch(system, user=owner.user)
        run_now(system, owner.user)
        run_now(system, by_watch=True)
    assert not DriftAlert.objects.exists()


def test_runs_of_an_unwatched_system_are_not_compared(system, owner, local_ca):
    with changing_server(local_ca) as site:
        TargetFactory(system=system, url=site.url)
        run_now(system, owner.user)
        site.config["drop_hsts"] = True
        run_now(system, owner.user)
    assert not DriftAlert.objects.exists()


def alert_for(system, webhook_url, secret="whsec_test"):  # noqa: S107  a test secret
    SystemWatch.objects.create(
        system=system, period="daily", webhook_url=webhook_url, webhook_secret=secret
    )
    runs = [
        ProbeRun.objects.create(system=system, status="succeeded", finished_at=timezone.now())
        for _ in range(2)
    ]
    alert = DriftAlert.objects.create(
        system=system, run=runs[1], previous_run=runs[0], webhook_state=Delivery.PENDING
    )
    DriftEvent.objects.create(
        alert=alert, kind="grade", summary="The probe grade dropped from A to B."
    )
    return alert


def test_the_webhook_fails_after_its_last_attempt_with_the_reason_shown(
    system, owner, login, local_ca
):
    statuses = (500,) * WEBHOOK_ATTEMPTS
    with webhook_receiver(local_ca, statuses) as receiver:
        alert = alert_for(system, f"https://localhost:{receiver.port}/hooks")
        receiver.config["secret"] = "whsec_test"
        delays = [drift_webhook_deliver(alert.pk) for _ in range(WEBHOOK_ATTEMPTS)]
        assert drift_webhook_deliver(alert.pk) is None  # nothing more to do
        calls = len(receiver.config["deliveries"])
    assert delays == [30, 60, 120, 240, None]
    assert calls == WEBHOOK_ATTEMPTS
    alert.refresh_from_db()
    assert alert.webhook_state == Delivery.FAILED
    page = login(owner.user).get(system.get_absolute_url()).content.decode()
    assert "webhook failed: the receiver answered HTTP 500" in page


def test_a_webhook_to_a_private_address_is_refused_at_delivery_without_retrying(system, owner):
    alert = alert_for(system, "https://10.1.2.3/hooks")
    assert drift_webhook_deliver(alert.pk) is None
    alert.refresh_from_db()
    assert alert.webhook_state == Delivery.FAILED
    assert alert.webhook_attempts == 1
    assert alert.webhook_error.startswith("the address was refused by the SSRF guard (")


def test_the_notifications_are_queued_by_name(
    system, owner, local_ca, django_capture_on_commit_callbacks, monkeypatch
):
    sent = []
    monkeypatch.setattr(
        "config.enqueue.current_app.send_task",
        lambda name, args, **kwargs: sent.append(name),
    )
    with changing_server(local_ca) as site:
        TargetFactory(system=system, url=site.url)
        watch(system, webhook_url="https://hooks.example.com/in", user=owner.user)
        first = ProbeRun.objects.create(system=system, target_urls=[site.url])
        probe_run_execute(first.pk)
        site.config["drop_hsts"] = True
        second = ProbeRun.objects.create(system=system, target_urls=[site.url])
        with django_capture_on_commit_callbacks(execute=True):
            probe_run_execute(second.pk)
    assert sent == [DRIFT_EMAIL_TASK, DRIFT_WEBHOOK_TASK]


# --- The page ------------------------------------------------------------------------------


@pytest.mark.parametrize("alerts", [1, 8])
def test_the_system_page_query_count_does_not_grow_with_alerts_and_runs(
    alerts, system, owner, login, django_assert_num_queries
):
    SystemWatch.objects.create(system=system, period="weekly")
    for _ in range(alerts):
        runs = [
            ProbeRun.objects.create(system=system, status="succeeded", finished_at=timezone.now())
            for _ in range(2)
        ]
        alert = DriftAlert.objects.create(system=system, run=runs[1], previous_run=runs[0])
        for kind in ("grade", "check"):
            DriftEvent.objects.create(alert=alert, kind=kind, summary=f"{kind} got worse")
    client = login(owner.user)
    client.get(system.get_absolute_url())
    with django_assert_num_queries(QUERIES_ON_SYSTEM_PAGE):
        page = client.get(system.get_absolute_url()).content.decode()
    assert page.count("grade got worse") == alerts


# session, user, system, targets x2, assessments, recent runs + their grades, nav workspaces,
# then the watch: watch, alerts + events, last run, history runs + grades + latency
QUERIES_ON_SYSTEM_PAGE = 15


def test_deliveries_a_stopped_worker_left_pending_are_queued_again_then_given_up(
    system, django_capture_on_commit_callbacks
):
    alert = alert_for(system, "https://hooks.example.com/in")
    hour = timedelta(hours=1, minutes=1)
    DriftAlert.objects.filter(pk=alert.pk).update(created_at=timezone.now() - hour)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        assert drift_deliveries_resume() == 1
        assert drift_deliveries_resume() == 0  # not again within the hour
    assert len(queued) == 2  # the e-mail and the webhook
    with django_capture_on_commit_callbacks(execute=False) as queued:
        assert drift_deliveries_resume(timezone.now() + hour) == 1
    alert.refresh_from_db()
    assert alert.email_state == Delivery.FAILED
    assert alert.email_error == "the worker stopped twice before sending it"
    assert len(queued) == 1  # the webhook, bounded by its own attempts
