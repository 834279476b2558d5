"""The drift watch's rows: a system's watch settings, and what a watched run found worse.

``SystemWatch`` is one row per watched system (none until someone sets a watch).
``DriftAlert`` is one run compared with the previous succeeded run of its system, created only
when something regressed; it carries the delivery state of its e-mail and webhook, so a
notification is never lost silently nor left pending for ever. ``DriftEvent`` is one
regression of that run, in words.
"""

import secrets
from datetime import timedelta

from django.db import models

from checks.models import ProbeRun

WEBHOOK_SECRET_BYTES = 32


def new_webhook_secret() -> str:
    """The HMAC key a receiver checks signatures with (``checks.engine.drift``)."""
    return f"whsec_{secrets.token_urlsafe(WEBHOOK_SECRET_BYTES)}"


class SystemWatch(models.Model):
    workspace_path = "system__workspace"
    client_path = "system__client"
    assessment_path = None

    class Period(models.TextChoices):
        OFF = "off", "Not watched"
        DAILY = "daily", "Daily"
        WEEKLY = "weekly", "Weekly"

    PERIOD_LENGTH = {Period.DAILY: timedelta(days=1), Period.WEEKLY: timedelta(days=7)}

    system = models.OneToOneField(
        "workspaces.System", on_delete=models.CASCADE, related_name="watch"
    )
    period = models.CharField(max_length=8, choices=Period.choices, default=Period.OFF)
    run_burst = models.BooleanField(default=False)
    webhook_url = models.URLField(max_length=2000, blank=True)
    # Stored in clear: it must sign every delivery. Shown only to people who may edit the
    # system, on the watch form, and never written to the audit log.
    webhook_secret = models.CharField(max_length=80, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The sweep's claim: set when it queued a start, so the next sweep does not queue again.
    queued_at = models.DateTimeField(null=True, blank=True)
    # Why the last watched start did not happen (cooldown, no base URLs...), in words.
    last_refusal = models.TextField(blank=True)
    last_refusal_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["period", "queued_at"], name="watch_due")]

    def __str__(self):
        return f"Watch of {self.system}: {self.get_period_display()}"

    @property
    def is_on(self) -> bool:
        return self.period != self.Period.OFF

    @property
    def length(self) -> timedelta | None:
        return self.PERIOD_LENGTH.get(self.period)


class DriftAlert(models.Model):
    workspace_path = "system__workspace"
    client_path = "system__client"
    assessment_path = None

    class Delivery(models.TextChoices):
        NONE = "none", "not configured"
        PENDING = "pending", "pending"
        DELIVERED = "delivered", "delivered"
        FAILED = "failed", "failed"

    system = models.ForeignKey(
        "workspaces.System", on_delete=models.CASCADE, related_name="drift_alerts"
    )
    run = models.OneToOneField(ProbeRun, on_delete=models.CASCADE, related_name="drift_alert")
    previous_run = models.ForeignKey(
        ProbeRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    email_state = models.CharField(max_length=10, choices=Delivery.choices, default="pending")
    email_sent_at = models.DateTimeField(null=True, blank=True)
    email_error = models.TextField(blank=True)
    webhook_state = models.CharField(max_length=10, choices=Delivery.choices, default="none")
    webhook_attempts = models.PositiveSmallIntegerField(default=0)
    webhook_delivered_at = models.DateTimeField(null=True, blank=True)
    webhook_error = models.TextField(blank=True)
    # When the sweep last queued a delivery again whose task was lost (a worker stopped).
    resumed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["system", "-created_at"], name="drift_alert_recent")]

    def __str__(self):
        return f"Drift of {self.system} at {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def delivery_words(self) -> list[str]:
        """How the alert's notifications went, in words, for the system page."""
        Delivery = self.Delivery
        words = {
            Delivery.PENDING: "e-mail being sent",
            Delivery.DELIVERED: "e-mailed to the owners and consultants",
            Delivery.FAILED: f"e-mail failed: {self.email_error}",
        }
        said = [words[self.email_state]] if self.email_state in words else []
        if self.webhook_state == Delivery.PENDING:
            tries = self.webhook_attempts
            said.append(
                f"webhook retrying after {tries} failed attempt(s): {self.webhook_error}"
                if tries
                else "webhook being delivered"
            )
        elif self.webhook_state == Delivery.DELIVERED:
            said.append("webhook delivered")
        elif self.webhook_state == Delivery.FAILED:
            said.append(f"webhook failed: {self.webhook_error}")
        return said


class DriftEvent(models.Model):
    workspace_path = "alert__system__workspace"
    client_path = "alert__system__client"
    assessment_path = None

    class Kind(models.TextChoices):
        GRADE = "grade", "Grade dropped"
        CHECK = "check", "Check got worse"
        CERTIFICATE = "certificate", "Certificate expiring"
        LATENCY = "latency", "Latency grew"
        CAPACITY = "capacity", "Throughput fell"

    alert = models.ForeignKey(DriftAlert, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    target_url = models.URLField(max_length=2000, blank=True)  # "" for the run as a whole
    check_id = models.CharField(max_length=64, blank=True)
    summary = models.TextField()

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return self.summary
