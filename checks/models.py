"""Probe targets, the runs that probe them, and what each run found.

A ``ProbeRun`` covers all base URLs of one system. Each probed URL leaves a ``ProbedTarget``
(its raw artifacts as JSON, re-loadable with ``artifacts_from_dict``, or the reason it was
refused) and one ``ProbeResult`` per check. Results keep the URL they were measured on, so
they survive the target being removed from the system later.
"""

import secrets
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from checks.engine.artifacts import TargetArtifacts, artifacts_from_dict
from checks.engine.ownership import META_NAME, TXT_PREFIX, verification_path


def new_verification_token() -> str:
    """Unguessable, and made of the characters ``checks.engine.ownership`` accepts."""
    return f"sr-{secrets.token_urlsafe(18)}"


class Target(models.Model):
    """One base URL of a system, the unit that probes run against."""

    workspace_path = "system__workspace"
    client_path = "system__client"  # client staff see their systems' probes
    assessment_path = None

    class VerificationMethod(models.TextChoices):
        FILE = "file", "token file"
        META = "meta", "meta tag"
        DNS_TXT = "dns_txt", "DNS TXT record"

    system = models.ForeignKey(
        "workspaces.System", on_delete=models.CASCADE, related_name="targets"
    )
    url = models.URLField(max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)
    # Ownership: a capacity burst runs only on a verified target (re-verified just before).
    verification_token = models.CharField(
        max_length=64, default=new_verification_token, editable=False
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    verification_method = models.CharField(
        max_length=16, choices=VerificationMethod.choices, blank=True
    )
    verification_detail = models.TextField(blank=True)  # what the last attempt found

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["system", "url"], name="unique_target_per_system")
        ]

    def __str__(self):
        return self.url

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None

    @property
    def verification_file_path(self) -> str:
        return verification_path(self.verification_token)

    @property
    def verification_meta_tag(self) -> str:
        return f'<meta name="{META_NAME}" content="{self.verification_token}">'

    @property
    def verification_txt_record(self) -> str:
        return f"{TXT_PREFIX}{self.verification_token}"


class ProbeRun(models.Model):
    """One run of the automated probes over every base URL of a system."""

    workspace_path = "system__workspace"
    client_path = "system__client"
    assessment_path = None

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    system = models.ForeignKey(
        "workspaces.System", on_delete=models.CASCADE, related_name="probe_runs"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Started by the drift watch (``assessments.watch``), not by a person: ``requested_by``
    # is then empty and pages say "the drift watch".
    started_by_watch = models.BooleanField(default=False)
    run_burst = models.BooleanField(default=False)
    target_urls = models.JSONField(default=list)  # the base URLs when the run was requested
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # {"targets": [{"url", "state", "expected": [gatherer...], "gatherers": {name: state}}]}
    progress = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)  # why the run failed

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The latest successful run of a system (scoring reads it).
            models.Index(fields=["system", "status", "-finished_at"], name="probe_run_latest"),
            # The sweeper's scan for runs left running or queued.
            models.Index(fields=["status", "heartbeat_at"], name="probe_run_sweep"),
            # The per-host cooldown looks at recent runs of every system.
            models.Index(fields=["created_at"], name="probe_run_created"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["system"],
                condition=Q(status__in=["queued", "running"]),
                name="one_active_probe_run_per_system",
            )
        ]

    def __str__(self):
        return f"Probe run {self.pk} of {self.system_id} ({self.status})"

    def get_absolute_url(self):
        return reverse("probe_run_detail", args=[self.pk])

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def requested_by_words(self) -> str:
        """Who started the run, for pages: an address, "the drift watch", or "someone"
        (an account since deleted)."""
        if self.started_by_watch:
            return "the drift watch"
        return self.requested_by.email if self.requested_by else "someone"

    @property
    def duration(self) -> timedelta | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return self.finished_at - self.started_at

    def stale_reason(self, now: datetime) -> str | None:
        """Why the sweeper should fail this run at ``now``; None while it looks alive."""
        if self.status == self.Status.RUNNING:
            limit = settings.SCALEREADY_PROBE_HEARTBEAT_TIMEOUT_SECONDS
            last_sign = self.heartbeat_at or self.started_at or self.created_at
            if last_sign < now - timedelta(seconds=limit):
                return worker_lost_reason(limit)
        if self.status == self.Status.QUEUED:
            limit = settings.SCALEREADY_PROBE_QUEUE_TIMEOUT_SECONDS
            if self.created_at < now - timedelta(seconds=limit):
                return never_started_reason(limit)
        return None


def worker_lost_reason(seconds: int) -> str:
    return (
        f"The worker stopped responding (no heartbeat for more than {seconds} seconds), so the "
        "run was stopped. It may have crashed or been restarted; running the probes again is safe."
    )


def never_started_reason(seconds: int) -> str:
    return (
        f"No worker picked this run up within {seconds // 60} minutes, so it was cancelled. "
        "Check that a Celery worker is running, then run the probes again."
    )


class ProbedTarget(models.Model):
    """One base URL as probed in one run: its raw artifacts, or why it could not be probed."""

    workspace_path = "run__system__workspace"
    client_path = "run__system__client"
    assessment_path = None

    run = models.ForeignKey(ProbeRun, on_delete=models.CASCADE, related_name="probed_targets")
    target = models.ForeignKey(
        Target, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    url = models.URLField(max_length=2000)
    artifacts = models.JSONField(null=True, blank=True)  # TargetArtifacts.to_dict()
    note = models.TextField(blank=True)  # refused, burst skipped...

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["run", "url"], name="one_probed_target_per_url")
        ]

    def __str__(self):
        return self.url

    @property
    def was_probed(self) -> bool:
        return self.artifacts is not None

    def load_artifacts(self) -> TargetArtifacts | None:
        return None if self.artifacts is None else artifacts_from_dict(self.artifacts)


class ProbeResult(models.Model):
    """What one check concluded about one target in one run."""

    workspace_path = "run__system__workspace"
    client_path = "run__system__client"
    assessment_path = None

    run = models.ForeignKey(ProbeRun, on_delete=models.CASCADE, related_name="results")
    target = models.ForeignKey(
        Target, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    target_url = models.URLField(max_length=2000)
    check_id = models.CharField(max_length=64)
    category = models.CharField(max_length=32)
    status = models.CharField(max_length=16)  # pass/warn/fail/error/not_applicable
    score = models.PositiveSmallIntegerField()
    message = models.TextField()
    evidence = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["run", "check_id"], name="probe_result_check")]

    def __str__(self):
        return f"{self.check_id}: {self.status}"

    def as_evidence(self) -> dict[str, Any]:
        """The plain form the scoring reads (see ``checks.selectors.latest_evidence``)."""
        return {
            "check_id": self.check_id,
            "status": self.status,
            "score": self.score,
            "message": self.message,
            "evidence": self.evidence,
            "target_url": self.target_url,
        }
