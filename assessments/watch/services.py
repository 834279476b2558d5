"""The drift watch's writes: setting a watch, the beat sweep that starts watched runs,
comparing a finished run with the previous one, and delivering what got worse.

How it stays honest:

- watched runs start through ``checks.services.probe_run_start``, the same path as a person's
  run (SSRF guard at probe time, one active run per system, per-host cooldown, bursts only on
  verified targets); a refused start is recorded on the watch in words;
- the sweep finds every due watch in one query and claims them with one ``UPDATE``, whatever
  the number of systems; each start is its own task, queued by name after commit;
- a comparison creates at most one ``DriftAlert`` per run (a redelivered task finds it);
- the e-mail and the webhook record their state on the alert; the webhook is signed with
  HMAC-SHA256 over a timestamp, re-vetted by the SSRF guard on every attempt, retried with the
  backoff of ``checks.engine.drift.retry_delays``, and marked failed, with the reason, after
  the last attempt.
"""

from __future__ import annotations

import json
import logging
import smtplib
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.template.loader import render_to_string
from django.utils import timezone

from assessments.audit.models import AuditEvent
from assessments.audit.services import audit_record
from assessments.watch.models import DriftAlert, DriftEvent, SystemWatch, new_webhook_secret
from assessments.watch.selectors import drift_recipients, watch_of
from checks.engine.drift import (
    WEBHOOK_ATTEMPTS,
    compare_runs,
    retry_delays,
    snapshot,
    webhook_signature,
)
from checks.engine.safety import ProbeFailed, ProbeLimits, TargetRefused, fetch
from checks.models import ProbeRun
from checks.selectors import SNAPSHOT_FIELDS, result_rows
from checks.services import ProbeRunRefused, probe_run_start
from config.enqueue import enqueue_on_commit

logger = logging.getLogger(__name__)
# The tasks (``assessments.watch.tasks``) are sent by name: tasks call services, never the reverse.
WATCH_SWEEP_TASK = "watch.sweep"
WATCH_START_TASK = "watch.start_watched_run"
DRIFT_EMAIL_TASK = "watch.send_drift_email"
DRIFT_WEBHOOK_TASK = "watch.deliver_drift_webhook"
# A due watch whose start was queued is not queued again for this long (a refused start,
# e.g. in a host's cooldown, is tried again after it).
RETRY_START_AFTER = timedelta(hours=1)
# Short limits: a receiver has seconds to answer; no redirects (a signed body goes nowhere else).
WEBHOOK_LIMITS = ProbeLimits(
    connect_timeout=3.0,
    read_timeout=5.0,
    deadline_seconds=8.0,
    max_body_bytes=10_000,
    max_redirects=0,
)
Period = SystemWatch.Period
Delivery = DriftAlert.Delivery


# --- Settings ---------------------------------------------------------------------------------


def _audited(watch: SystemWatch) -> dict:
    return {
        "watch": watch.get_period_display(),
        "watch_burst": "yes" if watch.run_burst else "no",
        "webhook_url": watch.webhook_url or "none",
    }


def watch_save(
    system, *, period: str, run_burst: bool, webhook_url: str, new_secret: bool, user
) -> SystemWatch:
    """Set ``system``'s watch, audited as a change to the system's settings.

    A webhook gets a signing secret when it is first set (or when ``new_secret`` asks for a
    new one); removing the webhook drops its secret. The secret never enters the audit log:
    only that it was replaced.
    """
    watch = watch_of(system)
    before = _audited(watch) if watch.pk else None
    watch.period, watch.run_burst, watch.webhook_url = period, run_burst, webhook_url
    replaced = False
    if not webhook_url:
        watch.webhook_secret = ""
    elif new_secret or not watch.webhook_secret:
        watch.webhook_secret, replaced = new_webhook_secret(), True
    after = _audited(watch)
    if before == after and not replaced:
        return watch
    if watch.is_on and (before is None or before["watch"] != after["watch"]):
        watch.queued_at = None  # a newly set period is due at the next sweep
    with transaction.atomic():
        watch.save()
        if replaced:
            before = {**(before or {}), "webhook_secret": "—"}
            after = {**after, "webhook_secret": "a new secret"}
        audit_record(
            system=system,
            actor=user,
            kind=AuditEvent.Kind.SYSTEM,
            subject=system.name,
            summary=f"Drift watch: {watch_words(watch)}",
            before=before,
            after=after,
        )
    return watch


def watch_words(watch: SystemWatch) -> str:
    if not watch.is_on:
        return "not watched"
    words = f"watched {watch.get_period_display().lower()}"
    return words + (", with a signed webhook" if watch.webhook_url else "")


# --- The sweep and watched starts --------------------------------------------------------------


def watches_due(now: datetime):
    """Watches whose system had no run for a whole period and whose start is not already
    queued: one query, whatever the number of systems."""
    last_run = (
        ProbeRun.objects.filter(system_id=OuterRef("system_id"))
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    due = Q()
    for period, length in SystemWatch.PERIOD_LENGTH.items():
        due |= Q(period=period) & (Q(last_run_at__isnull=True) | Q(last_run_at__lte=now - length))
    not_queued = Q(queued_at__isnull=True) | Q(queued_at__lte=now - RETRY_START_AFTER)
    return (
        SystemWatch.objects.exclude(period=Period.OFF)
        .filter(not_queued)
        .annotate(last_run_at=Subquery(last_run))
        .filter(due)
    )


def watch_sweep(now: datetime | None = None) -> int:
    """Queue a watched start for every due system; returns how many. Two queries and a
    savepoint pair for any number of watches (the bench holds it to that)."""
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            watches_due(now)
            .select_for_update(skip_locked=True, of=("self",))
            .values_list("pk", "system_id")
        )
        if not due:
            return 0
        SystemWatch.objects.filter(pk__in=[pk for pk, _ in due]).update(queued_at=now)
        for _, system_id in due:
            enqueue_on_commit(
                WATCH_START_TASK,
                [system_id],
                on_failure=lambda reason, system_id=system_id: _start_not_queued(system_id, reason),
            )
    logger.info("drift watch sweep: %d watched run(s) queued", len(due))
    return len(due)


def _start_not_queued(system_id: int, reason: str) -> None:
    _refused(system_id, f"The drift watch could not queue a run: {reason}")


def _refused(system_id: int, words: str) -> None:
    SystemWatch.objects.filter(system_id=system_id).update(
        last_refusal=words, last_refusal_at=timezone.now(), queued_at=None
    )


def watched_run_start(system_id: int) -> ProbeRun | None:
    """Start the watched run of one system, as a person's start would (no person: the run
    says "the drift watch"); a refusal is recorded on the watch, in words."""
    watch = SystemWatch.objects.select_related("system").filter(system_id=system_id).first()
    if watch is None or not watch.is_on:
        return None
    try:
        run = probe_run_start(watch.system, None, run_burst=watch.run_burst, by_watch=True)
    except ProbeRunRefused as exc:
        _refused(system_id, f"The drift watch could not start a run: {exc}")
        return None
    SystemWatch.objects.filter(pk=watch.pk).update(last_refusal="", last_refusal_at=None)
    return run


# --- Comparing a finished run with the one before ----------------------------------------------


def previous_succeeded(run: ProbeRun) -> ProbeRun | None:
    return (
        ProbeRun.objects.filter(
            system_id=run.system_id,
            status=ProbeRun.Status.SUCCEEDED,
            finished_at__lte=run.finished_at,
        )
        .exclude(pk=run.pk)
        .order_by("-finished_at", "-pk")
        .first()
    )


def drift_compare(run_id: int) -> DriftAlert | None:
    """Compare a succeeded run of a watched system with its previous succeeded run; store
    what regressed as one alert with its events and queue its notifications. None when the
    system is not watched, there is nothing to compare with, or nothing got worse."""
    run = ProbeRun.objects.filter(pk=run_id, status=ProbeRun.Status.SUCCEEDED).first()
    if run is None:
        return None
    watch = SystemWatch.objects.filter(system_id=run.system_id).first()
    previous = previous_succeeded(run) if watch is not None and watch.is_on else None
    if previous is None:
        return None
    rows = result_rows([run.pk, previous.pk], SNAPSHOT_FIELDS)
    regressions = compare_runs(snapshot(rows[previous.pk]), snapshot(rows[run.pk]))
    if not regressions:
        return None
    with transaction.atomic():
        alert, created = DriftAlert.objects.get_or_create(
            run=run,
            defaults={
                "system_id": run.system_id,
                "previous_run": previous,
                "webhook_state": Delivery.PENDING if watch.webhook_url else Delivery.NONE,
            },
        )
        if not created:
            return alert  # a redelivered comparison: already stored and queued
        DriftEvent.objects.bulk_create(
            DriftEvent(
                alert=alert,
                kind=r.kind,
                target_url=r.target_url,
                check_id=r.check_id,
                summary=r.summary,
            )
            for r in regressions
        )
        _queue_email(alert.pk)
        if watch.webhook_url:
            _queue_webhook(alert.pk)
    return alert


def _queue_email(alert_id: int) -> None:
    """Send the alert's e-mail after commit; a queue that cannot take it fails it in words."""
    enqueue_on_commit(
        DRIFT_EMAIL_TASK,
        [alert_id],
        on_failure=lambda reason: _email_ended(alert_id, Delivery.FAILED, reason),
    )


def _queue_webhook(alert_id: int) -> None:
    """Deliver the alert's webhook after commit; a queue that cannot take it fails it."""
    enqueue_on_commit(
        DRIFT_WEBHOOK_TASK,
        [alert_id],
        on_failure=lambda reason: _webhook_failed(alert_id, reason),
    )


# --- Deliveries a stopped worker left pending ---------------------------------------------------

# Longer than every retry of a webhook put together (30 + 60 + 120 + 240 s by default).
DELIVERY_STUCK_AFTER = timedelta(hours=1)
EMAIL_LOST_TWICE = "the worker stopped twice before sending it"


def drift_deliveries_resume(now: datetime | None = None) -> int:
    """Queue again the e-mails and webhooks still pending an hour after their alert (or after
    the last resume): their task was lost with a worker. An e-mail lost twice is failed with
    that reason; a webhook is bounded by its attempts. Returns how many alerts were resumed;
    three queries whatever their number."""
    now = now or timezone.now()
    stale = now - DELIVERY_STUCK_AFTER
    pending = Q(email_state=Delivery.PENDING) | Q(webhook_state=Delivery.PENDING)
    quiet = Q(resumed_at__isnull=True, created_at__lte=stale) | Q(resumed_at__lte=stale)
    with transaction.atomic():
        stuck = list(
            DriftAlert.objects.filter(pending & quiet)
            .select_for_update(skip_locked=True)
            .values_list("pk", "email_state", "webhook_state", "resumed_at")
        )
        if not stuck:
            return 0
        DriftAlert.objects.filter(pk__in=[row[0] for row in stuck]).update(resumed_at=now)
        lost_twice = [
            pk for pk, email, _, resumed in stuck if email == Delivery.PENDING and resumed
        ]
        DriftAlert.objects.filter(pk__in=lost_twice).update(
            email_state=Delivery.FAILED, email_error=EMAIL_LOST_TWICE
        )
        for pk, email, webhook, resumed in stuck:
            if email == Delivery.PENDING and not resumed:
                _queue_email(pk)
            if webhook == Delivery.PENDING:
                _queue_webhook(pk)
    logger.warning("drift watch: %d alert(s) with lost deliveries queued again", len(stuck))
    return len(stuck)


# --- E-mail -------------------------------------------------------------------------------------


def _email_ended(alert_id: int, state: str, error: str = "") -> None:
    DriftAlert.objects.filter(pk=alert_id, email_state=Delivery.PENDING).update(
        email_state=state,
        email_error=error,
        email_sent_at=timezone.now() if state == Delivery.DELIVERED else None,
    )


def drift_email_send(alert_id: int) -> bool:
    """One e-mail per alert, to the people who may edit the system (owners and consultants
    of its workspace, read when sending); True when it went out."""
    alert = (
        DriftAlert.objects.select_related("system", "run", "previous_run")
        .filter(pk=alert_id, email_state=Delivery.PENDING)
        .first()
    )
    if alert is None:
        return False
    recipients = drift_recipients(alert.system)
    if not recipients:
        _email_ended(alert_id, Delivery.FAILED, "nobody who may edit the system has an address")
        return False
    events = list(alert.events.all())
    context = {
        "alert": alert,
        "system": alert.system,
        "events": events,
        "page": watch_page_url(alert.system),
    }
    try:
        send_mail(
            subject=f"{alert.system.name}: {len(events)} regression(s) found by the drift watch",
            message=render_to_string("watch/drift_email.txt", context),
            from_email=None,
            recipient_list=recipients,
        )
    except (smtplib.SMTPException, OSError) as exc:
        logger.warning("drift e-mail for alert %s not sent: %r", alert_id, exc)
        _email_ended(alert_id, Delivery.FAILED, "the mail server refused or could not be reached")
        return False
    _email_ended(alert_id, Delivery.DELIVERED)
    return True


# --- Webhook ------------------------------------------------------------------------------------


def watch_page_url(system) -> str:
    """Where people read an alert: the watch on the system's page (no request to build it
    from in a worker, so from ``SITE_URL``)."""
    return settings.SITE_URL.rstrip("/") + system.get_absolute_url() + "#watch"


def _webhook_failed(alert_id: int, reason: str) -> None:
    DriftAlert.objects.filter(pk=alert_id, webhook_state=Delivery.PENDING).update(
        webhook_state=Delivery.FAILED, webhook_error=reason
    )


def webhook_body(alert: DriftAlert, events) -> bytes:
    """The JSON a receiver gets: the system, the two runs' times and each regression."""
    payload = {
        "type": "drift",
        "delivery": f"drift-{alert.pk}",  # the same on every retry: receivers dedupe by it
        "system": alert.system.name,
        "system_url": watch_page_url(alert.system),
        "run_finished_at": alert.run.finished_at.isoformat(),
        "previous_run_finished_at": (
            alert.previous_run.finished_at.isoformat() if alert.previous_run else None
        ),
        "regressions": [
            {
                "kind": event.kind,
                "target_url": event.target_url,
                "check": event.check_id,
                "summary": event.summary,
            }
            for event in events
        ],
    }
    return json.dumps(payload, sort_keys=True).encode()


def webhook_delays() -> tuple[int, ...]:
    return retry_delays(WEBHOOK_ATTEMPTS, settings.SCALEREADY_WEBHOOK_RETRY_BASE_SECONDS)


def drift_webhook_deliver(alert_id: int) -> int | None:
    """One delivery attempt; returns the seconds to wait before the next one, or None when
    there is nothing more to do (delivered, failed for good, or not pending)."""
    alert = (
        DriftAlert.objects.select_related("system__watch", "run", "previous_run")
        .filter(pk=alert_id, webhook_state=Delivery.PENDING)
        .first()
    )
    if alert is None:
        return None
    watch = alert.system.watch
    if not watch.webhook_url or not watch.webhook_secret:
        _webhook_failed(alert_id, "the webhook was removed from the watch before delivery")
        return None
    attempt = alert.webhook_attempts + 1
    DriftAlert.objects.filter(pk=alert_id).update(webhook_attempts=attempt)
    body = webhook_body(alert, alert.events.all())
    error, final = _post(watch, body)
    if error is None:
        DriftAlert.objects.filter(pk=alert_id, webhook_state=Delivery.PENDING).update(
            webhook_state=Delivery.DELIVERED, webhook_delivered_at=timezone.now(), webhook_error=""
        )
        return None
    delays = webhook_delays()
    if final or attempt > len(delays):
        _webhook_failed(alert_id, error)
        return None
    DriftAlert.objects.filter(pk=alert_id).update(webhook_error=error)
    return delays[attempt - 1]


def _post(watch: SystemWatch, body: bytes) -> tuple[str | None, bool]:
    """POST the signed body through the SSRF guard: (error in words or None, whether it is
    final). A refused address is final; anything else may pass on a later attempt."""
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "ScaleReady-Timestamp": str(timestamp),
        "ScaleReady-Signature": webhook_signature(watch.webhook_secret.encode(), body, timestamp),
    }
    try:
        response = fetch(
            watch.webhook_url,
            allow_loopback=settings.SCALEREADY_ALLOW_LOOPBACK_TARGETS,
            limits=WEBHOOK_LIMITS,
            method="POST",
            headers=headers,
            follow_redirects=False,
            verify=settings.SCALEREADY_PROBE_CA_BUNDLE or True,
            body=body,
        )
    except TargetRefused as exc:
        return f"the address was refused by the SSRF guard ({exc.reason})", True
    except ProbeFailed as exc:
        return f"the receiver could not be reached ({exc.reason})", False
    if 200 <= response.status < 300:
        return None, False
    return f"the receiver answered HTTP {response.status}", False
