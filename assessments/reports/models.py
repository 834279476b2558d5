"""Rendered PDF reports, read-only share links and a workspace's report branding."""

import secrets
from datetime import timedelta

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from assessments.workspaces.models import Assessment, Workspace

SHARE_LINK_LIFETIME = timedelta(days=30)
HEX_COLOUR = RegexValidator(r"^#[0-9a-fA-F]{6}$", "Use a colour like #1d4ed8.")


def report_upload_to(report: "ReportFile", filename: str) -> str:
    workspace_id = report.assessment.system.workspace_id
    return f"workspaces/{workspace_id}/reports/{report.assessment_id}/{filename}"


def logo_upload_to(branding: "Branding", filename: str) -> str:
    return f"workspaces/{branding.workspace_id}/branding/{filename}"


class ReportFile(models.Model):
    """One PDF rendering of an assessment's report, and the answers state it reflects.

    At most one rendering per assessment is queued or rendering at a time: the database
    refuses a second (``one_active_report_per_assessment``).
    """

    workspace_path = "assessment__system__workspace"
    client_path = "assessment__system__client"
    assessment_path = "assessment"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RENDERING = "rendering", "Rendering"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    ACTIVE = (Status.QUEUED, Status.RENDERING)

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="reports")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    file = models.FileField(upload_to=report_upload_to, blank=True)
    state_fingerprint = models.CharField(
        max_length=64, help_text="Hash of the answers and roadmap edits the PDF was made from."
    )
    error = models.TextField(blank=True)
    task_id = models.CharField(max_length=64, blank=True, help_text="The Celery task rendering it.")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    # Written by the worker when it claims the rendering and between its steps.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment"],
                condition=Q(status__in=["queued", "rendering"]),
                name="one_active_report_per_assessment",
            )
        ]

    def __str__(self):
        return f"Report {self.pk} of {self.assessment_id} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    def stale_reason(self, now) -> str | None:
        """Why this rendering will never finish, seen at ``now``; None while it may."""
        if self.status == self.Status.RENDERING:
            limit = settings.SCALEREADY_REPORT_HEARTBEAT_TIMEOUT_SECONDS
            last_sign = self.heartbeat_at or self.started_at or self.created_at
            if last_sign < now - timedelta(seconds=limit):
                return (
                    f"The worker stopped while making this PDF (silent for more than {limit} "
                    "seconds). It may have crashed or been restarted; making the PDF again is safe."
                )
        if self.status == self.Status.QUEUED:
            limit = settings.SCALEREADY_REPORT_QUEUE_TIMEOUT_SECONDS
            if self.created_at < now - timedelta(seconds=limit):
                return (
                    f"No worker picked this PDF up within {max(limit // 60, 1)} minute"
                    f"{'s' if limit >= 120 else ''}. Is the worker running? Making the PDF "
                    "again is safe."
                )
        return None

    @property
    def is_ready(self) -> bool:
        return self.status == self.Status.READY and bool(self.file)


def new_share_token() -> str:
    return secrets.token_urlsafe(32)


def default_share_expiry():
    return timezone.now() + SHARE_LINK_LIFETIME


class ShareLink(models.Model):
    """A read-only link to an assessment's report for people without an account."""

    workspace_path = "assessment__system__workspace"
    client_path = "assessment__system__client"
    assessment_path = "assessment"

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="share_links")
    token = models.CharField(max_length=64, unique=True, default=new_share_token)
    expires_at = models.DateTimeField(default=default_share_expiry)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"Share link for {self.assessment_id}"

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None and timezone.now() < self.expires_at


class Branding(models.Model):
    """How a workspace's reports look: logo, primary colour and a footer line."""

    workspace_path = "workspace"
    client_path = None
    assessment_path = None

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="branding")
    logo = models.FileField(upload_to=logo_upload_to, blank=True)
    primary_colour = models.CharField(
        max_length=7, blank=True, validators=[HEX_COLOUR], help_text="For example #1d4ed8."
    )
    footer_text = models.CharField(max_length=200, blank=True)
    page_size = models.CharField(
        "PDF page size",
        max_length=6,
        choices=[("a4", "A4"), ("letter", "US Letter")],
        default="a4",
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"Branding of {self.workspace_id}"


MAX_CONSULTANT_SUMMARY = 5000


class ConsultantSummary(models.Model):
    """What the consultant writes for the client in their own words: printed after the
    contents of the PDF and the DOCX (every copy, shared ones included)."""

    workspace_path = "assessment__system__workspace"
    client_path = "assessment__system__client"
    assessment_path = "assessment"

    assessment = models.OneToOneField(
        Assessment, on_delete=models.CASCADE, related_name="consultant_summary"
    )
    text = models.TextField(max_length=MAX_CONSULTANT_SUMMARY, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"Consultant summary of {self.assessment}"
